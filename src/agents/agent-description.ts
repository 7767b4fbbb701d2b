// Everything durable-agent knows about one agent CLI, in one value per agent (claude-agent.ts,
// opencode-agent.ts), listed once in registry.ts. Code elsewhere asks the description; it never
// compares an agent's name, so a new agent is one file and one line in the registry.
import type { AdapterContext, AgentAdapter } from './adapter.js';
import type { SessionStoreReader } from './session-store.js';

/** The action inputs that belong to one agent (action.yml declares them too). */
export interface AgentInputNames {
  /** Extra arguments for its CLI, split as claude-code-action splits `claude_args`. */
  readonly args: string;
  /** The CLI version installed when none is on PATH. */
  readonly version: string;
  /** A path to the CLI's executable, which then is used as it is. */
  readonly path: string;
}

/** Where the agent keeps its state when the job, not durable-agent, set it up (guard mode). */
export interface AgentDefaultHome {
  /** Pure: that folder, moved only by the variables the agent itself reads. */
  stateDir(env: Readonly<Record<string, string | undefined>>, home: string): string;
  /**
   * That folder's place inside the state folder durable-agent gives the agent ('' when it is that
   * folder): the layout isSessionData, sessionStore and findSession know.
   */
  readonly within: string;
  /**
   * Globs (as `checkpoint_paths` takes them, `/` anchored at the folder) of what a guard checkpoint
   * leaves out and refuses to restore: the agent's own settings, hooks, commands, plugins, caches.
   */
  readonly exclude: readonly string[];
}

export interface AgentDescription<Name extends string = string> {
  /** The `agent` input's value. */
  readonly name: Name;
  /** How people call it, in the log. */
  readonly label: string;
  /** npm package that provides the CLI, the name of its executable, and the version the action installs and the tests run. */
  readonly npmPackage: string;
  readonly executableName: string;
  readonly pinnedVersion: string;
  readonly inputs: AgentInputNames;
  /**
   * The agent's own session ids. A session id read back from a checkpoint becomes an argument of
   * its command line, so one of any other shape (an option, a path) is never passed on.
   */
  readonly sessionIdFormat: RegExp;
  /** The arguments that resume a session (what guard mode gives the user's step as its `inputs.args` output). */
  resumeArgs(sessionId: string): readonly string[];
  /**
   * Pure: whether a path of the state folder durable-agent gives the agent (split into its
   * segments, none empty, `.` or `..`; folders too, since a kept file needs its parents) is session
   * data a checkpoint may save and restore. An allow-list: settings, hooks, credentials and
   * anything a new CLI version adds stay out until judged (checkpoint/agent-config-policy.ts).
   */
  isSessionData(parts: readonly string[]): boolean;
  readonly defaultHome: AgentDefaultHome;
  /** Path the agent's ANTHROPIC_BASE_URL carries before `/messages`, after our proxy's URL ('' or '/v1'). */
  readonly baseUrlPath: string;
  /**
   * The guard output giving the proxy's URL with baseUrlPath, for a step that configures the agent
   * itself; none when `proxy_url` is already its form (guard/action.yml declares it).
   */
  readonly guardBaseUrlOutput: string | undefined;
  /** The variable that bounds its wait for an answer, raised above the proxy's outage hold; none when it has no such bound. */
  readonly requestTimeoutVariable: string | undefined;
  /** claude-code-action's drop-in inputs it takes: `settings` (its settings.json), `use_bedrock`/`use_vertex`/`use_foundry`. */
  readonly takesClaudeCodeInputs: boolean;
  /** The output naming its state folder, so a later step can resume the session itself. */
  readonly stateDirOutput: string | undefined;
  /** Whether its arguments ask for claude-code-action's `structured_output`. */
  structuredOutputRequested(agentArgs: readonly string[]): boolean;
  createAdapter(context: AdapterContext): AgentAdapter;
  /** The reader of its session store, below `root`, the state folder durable-agent gives it (or its layout's root in guard mode). */
  sessionStore(root: string): SessionStoreReader;
  /** The newest top-level session of `cwd` in its store below `root` (guard mode sees no events); undefined when none can be read. */
  findSession(root: string, cwd: string): Promise<string | undefined>;
}
