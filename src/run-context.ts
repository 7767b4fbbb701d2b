import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { SettingsContext } from './settings/settings.js';

/**
 * What durable-agent knows of the job it runs in, read once from the environment by the entry
 * point (action main and post, guard main, post and daemon, the CLI) and passed down, so no module
 * below them reads `process.env`. Outside Actions most fields are undefined.
 */
export interface RunContext {
  /** GITHUB_ACTIONS=true: inside a GitHub Actions job. */
  readonly inActions: boolean;
  /** GITHUB_WORKSPACE: the checkout's folder in Actions. */
  readonly workspace: string | undefined;
  /** RUNNER_TEMP: the runner's temp folder, emptied after each job. */
  readonly runnerTemp: string | undefined;
  /** GITHUB_REPOSITORY, `owner/name`. */
  readonly repository: string | undefined;
  /** GITHUB_WORKFLOW. */
  readonly workflow: string | undefined;
  /** GITHUB_JOB: the job's id. */
  readonly job: string | undefined;
  /** GITHUB_RUN_ID. */
  readonly runId: string | undefined;
  /** GITHUB_RUN_ATTEMPT: 1 for the first run, 2 for the first re-run; 1 when absent or unreadable. */
  readonly runAttempt: number;
  /** GITHUB_HEAD_REF (a pull request's branch), else GITHUB_REF_NAME; undefined when neither is set. */
  readonly branch: string | undefined;
  /** GITHUB_EVENT_NAME. */
  readonly eventName: string | undefined;
  /** GITHUB_EVENT_PATH: the file holding the triggering event's payload. */
  readonly eventPath: string | undefined;
  /** GITHUB_API_URL, else https://api.github.com. */
  readonly apiUrl: string;
  /** GITHUB_TOKEN from the environment (the CLI's token; the action's comes from its input). */
  readonly token: string | undefined;
  /** ACTIONS_RUNTIME_TOKEN: its claims say whether this job may write to the cache. */
  readonly runtimeToken: string | undefined;
  /** ACTIONS_CACHE_MODE: `read` or `none` forbid cache writes. */
  readonly cacheMode: string | undefined;
  /** DURABLE_AGENT_SIGNING_KEY: the CLI's checkpoint signing key (a secret, never a flag). */
  readonly signingKey: string | undefined;
  /** DURABLE_AGENT_HOLD_PING_MS: tests shorten the outage hold's pings with it. */
  readonly holdPingMs: string | undefined;
  /** DURABLE_AGENT_CHECKPOINT_REQUEST: the file `durable-agent checkpoint` creates, set by the run the agent is under. */
  readonly checkpointRequest: string | undefined;
  /** DURABLE_GUARD_STATUS: the status file the guard's main step gave its daemon. */
  readonly guardStatusFile: string | undefined;
  /** Where this user's own folders are (the CLI's home and the agents' default folders derive from them). */
  readonly user: UserFolders;
}

/** The user's folders as the environment names them; see home-layout.ts for what lives where (the agents' own default folders are in their descriptions). */
export interface UserFolders {
  /** HOME, else the account's home folder. */
  readonly home: string;
  /** XDG_STATE_HOME when absolute. */
  readonly stateHome: string | undefined;
}

const text = z.string().optional();
// Empty counts as unset where the code always read these with `||`.
const nonEmpty = z
  .string()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

const Environment = z.object({
  GITHUB_ACTIONS: text,
  GITHUB_WORKSPACE: text,
  RUNNER_TEMP: text,
  GITHUB_REPOSITORY: text,
  GITHUB_WORKFLOW: text,
  GITHUB_JOB: text,
  GITHUB_RUN_ID: text,
  GITHUB_RUN_ATTEMPT: z.coerce.number().int().positive().catch(1),
  GITHUB_HEAD_REF: nonEmpty,
  GITHUB_REF_NAME: nonEmpty,
  GITHUB_EVENT_NAME: text,
  GITHUB_EVENT_PATH: nonEmpty,
  GITHUB_API_URL: text,
  GITHUB_TOKEN: text,
  ACTIONS_RUNTIME_TOKEN: text,
  ACTIONS_CACHE_MODE: text,
  DURABLE_AGENT_SIGNING_KEY: text,
  DURABLE_AGENT_HOLD_PING_MS: text,
  DURABLE_AGENT_CHECKPOINT_REQUEST: text,
  DURABLE_GUARD_STATUS: nonEmpty,
  HOME: nonEmpty,
  XDG_STATE_HOME: nonEmpty,
});

/** Reads the run context from an environment (the entry point gives `process.env`). */
export function readRunContext(env: Readonly<Record<string, string | undefined>>, homedir: () => string = os.homedir): RunContext {
  const read = Environment.parse(env);
  return Object.freeze({
    inActions: read.GITHUB_ACTIONS === 'true',
    workspace: read.GITHUB_WORKSPACE,
    runnerTemp: read.RUNNER_TEMP,
    repository: read.GITHUB_REPOSITORY,
    workflow: read.GITHUB_WORKFLOW,
    job: read.GITHUB_JOB,
    runId: read.GITHUB_RUN_ID,
    runAttempt: read.GITHUB_RUN_ATTEMPT,
    branch: read.GITHUB_HEAD_REF ?? read.GITHUB_REF_NAME,
    eventName: read.GITHUB_EVENT_NAME,
    eventPath: read.GITHUB_EVENT_PATH,
    apiUrl: read.GITHUB_API_URL ?? 'https://api.github.com',
    token: read.GITHUB_TOKEN,
    runtimeToken: read.ACTIONS_RUNTIME_TOKEN,
    cacheMode: read.ACTIONS_CACHE_MODE,
    signingKey: read.DURABLE_AGENT_SIGNING_KEY,
    holdPingMs: read.DURABLE_AGENT_HOLD_PING_MS,
    checkpointRequest: read.DURABLE_AGENT_CHECKPOINT_REQUEST,
    guardStatusFile: read.DURABLE_GUARD_STATUS,
    user: Object.freeze({
      home: read.HOME ?? homedir(),
      stateHome: read.XDG_STATE_HOME !== undefined && path.isAbsolute(read.XDG_STATE_HOME) ? read.XDG_STATE_HOME : undefined,
    }),
  });
}

/** Where the action resolves relative paths and keeps its own files: the workspace and RUNNER_TEMP, else the shell's folder and the OS temp folder. */
export function actionSettingsContext(run: RunContext): SettingsContext {
  return { baseDir: run.workspace ?? process.cwd(), tempDir: run.runnerTemp ?? os.tmpdir(), job: run.job, workspace: run.workspace };
}
