import type { UserFolders } from '../run-context.js';
import type { Settings } from '../settings/settings.js';
import type { AgentDescription } from './agent-description.js';
import type { AgentEvent } from './events.js';

export interface LaunchRequest {
  /** `fresh` starts a new session (with this id where the agent lets us choose it); `resume` continues one. */
  readonly mode: 'fresh' | 'resume';
  readonly prompt: string;
  readonly sessionId: string | undefined;
}

export interface AgentLaunch {
  readonly args: readonly string[];
  /** Variables the adapter sets on top of the step's environment (undefined: leave as it is). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Variables set only where the step's environment has none. */
  readonly envDefaults: Readonly<Record<string, string>>;
  /** Numeric variables raised to at least this value (a larger one the step set is kept). */
  readonly envAtLeast?: Readonly<Record<string, number>> | undefined;
}

/** One run of an agent CLI: its folders, its command line and its output, for the settings of the run. */
export interface AgentAdapter {
  /** What the agent is (its package, inputs, state layout): the registry's entry. */
  readonly agent: AgentDescription;
  /** Folder the action owns where the agent keeps its sessions; checkpoints copy it. */
  readonly stateDir: string;
  /**
   * Creates the state folder and any configuration the agent reads from it; `user` is the run
   * context's (the runner's own agent configuration there can be the base of ours).
   */
  prepare(user: Pick<UserFolders, 'home'>): Promise<void>;
  /** The id to pin on a fresh session, when the agent accepts one up front. */
  newSessionId(): string | undefined;
  launch(request: LaunchRequest): AgentLaunch;
  /** One stdout line (its bytes, without the line end) to typed events; never throws, unknown kinds come back as `other`. */
  parseLine(line: Buffer): AgentEvent[];
}

export interface AdapterContext {
  readonly settings: Settings;
  /** Base URL of the Messages API the agent must call (the retry proxy, or the upstream). */
  readonly apiBaseUrl: string | undefined;
  /** The job's own ANTHROPIC_BASE_URL, for an agent whose config must name the API when no proxy stands in between. */
  readonly jobBaseUrl?: string | undefined;
}
