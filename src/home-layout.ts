import { createHash } from 'node:crypto';
import path from 'node:path';
import type { UserFolders } from './run-context.js';

// durable-agent's folders on disk, in one place. Every function here is pure: the folders they
// start from come from the run context the entry point read.

/** The files of one run below its temp folder (RUNNER_TEMP in Actions, the CLI's home outside). */
export interface HomeLayout {
  /** `<temp>/durable-agent`: private (0700), the agent's state, the execution file, checkpoint staging. */
  readonly root: string;
  /** The local store's folder unless `checkpoint_dir` says otherwise. */
  readonly checkpoints: string;
  /** DURABLE_AGENT_CHECKPOINT_DIR: a folder whose contents are always in the checkpoint. */
  readonly checkpointDir: string;
  /** DURABLE_AGENT_CHECKPOINT_REQUEST: creating this file asks for a checkpoint now. */
  readonly checkpointRequest: string;
  /** Copies of transcripts and outputs on their way into a checkpoint. */
  readonly staging: string;
  /** Where a missing agent CLI is installed. */
  readonly tools: string;
  /** The NDJSON execution log. */
  readonly executionFile: string;
  /** claude-code-action's `execution_file` (a JSON array), where that action writes it: in the temp folder itself. */
  readonly executionArray: string;
  /** Claude Code's config folder (CLAUDE_CONFIG_DIR), which holds its sessions. */
  readonly claudeConfig: string;
  /** OpenCode's XDG folders; its sessions are in `data`. */
  readonly opencode: { readonly data: string; readonly config: string; readonly cache: string; readonly state: string };
}

export function homeLayout(tempDir: string): HomeLayout {
  const root = path.join(tempDir, 'durable-agent');
  const opencode = path.join(root, 'opencode');
  return Object.freeze({
    root,
    checkpoints: path.join(root, 'checkpoints'),
    checkpointDir: path.join(root, 'checkpoint-dir'),
    checkpointRequest: path.join(root, 'checkpoint-request'),
    staging: path.join(root, 'staging'),
    tools: path.join(root, 'tools'),
    executionFile: path.join(root, 'execution.ndjson'),
    executionArray: claudeCodeActionExecutionFile(tempDir),
    claudeConfig: path.join(root, 'claude-config'),
    opencode: Object.freeze({
      data: path.join(opencode, 'data'),
      config: path.join(opencode, 'config'),
      cache: path.join(opencode, 'cache'),
      state: path.join(opencode, 'state'),
    }),
  });
}

/** Where claude-code-action writes its execution file (guard mode reads it there). */
export function claudeCodeActionExecutionFile(runnerTemp: string): string {
  return path.join(runnerTemp, 'claude-execution-output.json');
}

/**
 * The CLI's temp folder for one working directory (agent state, execution file, local checkpoints):
 * stable, so running again in the same folder finds what the last run left. Under the user's
 * state folder ($XDG_STATE_HOME, else ~/.local/state), never a predictable name in the shared
 * temp folder, where another user could create it first and plant settings that run as us.
 */
export function cliHome(workingDirectory: string, user: Pick<UserFolders, 'home' | 'stateHome'>): string {
  const stateHome = user.stateHome ?? path.join(user.home, '.local', 'state');
  return path.join(stateHome, 'durable-agent', createHash('sha256').update(workingDirectory).digest('hex').slice(0, 12));
}

/** The guard's own folder in RUNNER_TEMP: status file, daemon log, checkpoint staging. */
export function guardTempDir(runnerTemp: string): string {
  return path.join(runnerTemp, 'durable-agent-guard');
}

export function guardStatusFile(runnerTemp: string): string {
  return path.join(guardTempDir(runnerTemp), 'status.json');
}

export function guardDaemonLog(runnerTemp: string): string {
  return path.join(guardTempDir(runnerTemp), 'daemon.log');
}

/**
 * The Actions cache store's staging folder. Its path is part of the cache entry's version, so a
 * re-run's runner must use the very same one: not RUNNER_TEMP (another runner may have another),
 * but a folder of the OS temp folder named after the lineage.
 */
export function cacheStagingDir(osTempDir: string, lineageHash: string): string {
  return path.join(osTempDir, `durable-agent-cache-${lineageHash}`);
}
