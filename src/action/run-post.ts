import * as core from '@actions/core';
import { States } from '../names.js';

/**
 * The post step runs after failure, cancellation and timeouts. It is where the final checkpoint
 * goes when main did not finish; it never fails the job.
 */
export function runPost(): void {
  try {
    const started = core.getState(States.mainStarted) === 'true';
    const finished = core.getState(States.mainFinished) === 'true';
    if (!started) core.info('durable-agent did not start in this job: nothing to do.');
    else if (finished) core.info('durable-agent finished in the main step: nothing to do.');
    else core.info('durable-agent did not finish in the main step (cancelled or killed).');
  } catch (error) {
    core.warning(`post step: ${error instanceof Error ? error.message : String(error)}`);
  }
}
