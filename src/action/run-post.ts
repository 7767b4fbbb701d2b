import os from 'node:os';
import * as core from '@actions/core';
import { z } from 'zod';
import { createAdapter } from '../agents/create-adapter.js';
import { openJobCheckpoints } from '../checkpoint/job.js';
import { States } from '../names.js';
import { actionsLog } from '../report/log.js';
import { hideInputsFromEnviron } from './hide-inputs.js';
import { readSettings, type InputName } from '../settings/settings.js';

const historySchema = z.object({
  attempts: z.array(z.record(z.string(), z.unknown())),
  totals: z.object({ costUsd: z.number().nonnegative(), turns: z.number().int().nonnegative() }),
});

/** What main left of its attempt history; a missing or damaged value just leaves the history empty. */
function readHistory(text: string): z.infer<typeof historySchema> | undefined {
  if (!text) return undefined;
  try {
    const parsed = historySchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The post step runs after failure, cancellation and timeouts. When main did not finish (killed
 * by `timeout-minutes` or a crash), it takes the last checkpoint from what main left in
 * GITHUB_STATE. It never fails the job.
 */
export async function runPost(): Promise<void> {
  try {
    const started = core.getState(States.mainStarted) === 'true';
    const finished = core.getState(States.mainFinished) === 'true';
    if (!started) {
      core.info('durable-agent did not start in this job: nothing to do.');
      return;
    }
    if (finished) {
      core.info('durable-agent finished in the main step: nothing to do.');
      return;
    }
    const baseCommit = core.getState(States.baseCommit);
    if (!baseCommit) {
      core.info('durable-agent did not finish, but it stopped before checkpoints were set up: nothing to save.');
      return;
    }
    await core.group('Final checkpoint (main did not finish)', async () => {
      const settings = readSettings((name: InputName) => core.getInput(name), {
        baseDir: process.env.GITHUB_WORKSPACE ?? process.cwd(),
        tempDir: process.env.RUNNER_TEMP ?? os.tmpdir(),
        job: process.env.GITHUB_JOB,
        workspace: process.env.GITHUB_WORKSPACE,
      });
      hideInputsFromEnviron();
      const adapter = createAdapter({ settings, apiBaseUrl: undefined });
      const job = await openJobCheckpoints({
        settings,
        adapter,
        env: process.env,
        log: actionsLog(),
        restore: false,
        baseCommit,
        lastSequence: Number(core.getState(States.lastSequence)) || 0,
      });
      if (!job) return;
      job.scheduler.sessionId = core.getState(States.sessionId) || undefined;
      const history = readHistory(core.getState(States.history));
      if (history) {
        job.scheduler.attempts = history.attempts;
        job.scheduler.totals = history.totals;
      }
      await job.scheduler.save('post step: main did not finish', { force: true, final: true });
    });
  } catch (error) {
    core.warning(`post step: ${error instanceof Error ? error.message : String(error)}`);
  }
}
