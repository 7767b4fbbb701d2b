import os from 'node:os';
import { guardTempDir } from '../home-layout.js';
import type { RunContext } from '../run-context.js';
import { defaultCheckpointId, readSettings, type InputSource, type Settings } from '../settings/settings.js';

export interface GuardContext {
  /** GITHUB_WORKSPACE. */
  readonly baseDir: string;
  /** RUNNER_TEMP. */
  readonly runnerTemp: string;
  readonly job: string | undefined;
}

/**
 * The guard's inputs are a subset of the main action's (agent, working directory, proxy and
 * checkpoint settings) and are validated by the same parser, so a bad value fails with the same
 * line. The guard runs no agent itself: the prompt the parser requires is a fixed stand-in.
 */
export function readGuardSettings(source: InputSource, context: GuardContext): Settings {
  return readSettings(
    (name) => {
      if (name === 'prompt') return 'guard mode: the agent is started by a later step';
      if (name === 'prompt_file') return '';
      // The guard's checkpoints are not those of a durable-agent step in the same job.
      if (name === 'checkpoint_id') return source(name) || `${defaultCheckpointId(context.job, source('matrix') ?? '')}-guard`;
      return source(name);
    },
    { baseDir: context.baseDir, tempDir: guardTempDir(context.runnerTemp), job: context.job },
  );
}

/** The guard's folders from the job's context: the workspace and RUNNER_TEMP, else the shell's folder and the OS temp folder. */
export function guardContext(run: RunContext): GuardContext {
  return { baseDir: run.workspace ?? process.cwd(), runnerTemp: run.runnerTemp ?? os.tmpdir(), job: run.job };
}
