import * as core from '@actions/core';
import { createAdapter } from '../agents/create-adapter.js';
import { openJobCheckpoints } from '../checkpoint/job.js';
import { actionsLog } from '../report/log.js';
import { hideInputsFromEnviron } from './hide-inputs.js';
import { actionsStateProvider, loadMainState } from './main-state.js';
import { readSettings, type InputName } from '../settings/settings.js';
import { actionSettingsContext, readRunContext } from '../run-context.js';
import { errorMessage } from '../error-message.js';

/**
 * The post step runs after failure, cancellation and timeouts. When main did not finish (killed
 * by `timeout-minutes` or a crash), it takes the last checkpoint from what main left in
 * GITHUB_STATE. It never fails the job.
 */
export async function runPost(env: NodeJS.ProcessEnv): Promise<void> {
  try {
    const main = loadMainState(actionsStateProvider());
    if (!main.started) {
      core.info('durable-agent did not start in this job: nothing to do.');
      return;
    }
    if (main.finished) {
      core.info('durable-agent finished in the main step: nothing to do.');
      return;
    }
    const saved = main.checkpoint;
    if (!saved) {
      core.info('durable-agent did not finish, but it stopped before checkpoints were set up: nothing to save.');
      return;
    }
    await core.group('Final checkpoint (main did not finish)', async () => {
      const run = readRunContext(env);
      const settings = readSettings((name: InputName) => core.getInput(name), actionSettingsContext(run));
      hideInputsFromEnviron();
      const adapter = createAdapter({ settings, apiBaseUrl: undefined });
      const job = await openJobCheckpoints({
        settings,
        adapter,
        run,
        env,
        log: actionsLog(),
        restore: false,
        baseCommit: saved.baseCommit,
        lastSequence: saved.lastSequence,
        // What main's ledger last said: the run's session, history and totals.
        runState: () => saved,
      });
      if (!job) return;
      await job.scheduler.save('post step: main did not finish', { force: true, final: true });
    });
  } catch (error) {
    core.warning(`post step: ${errorMessage(error)}`);
  }
}
