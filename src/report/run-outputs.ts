import { Outputs } from '../names.js';
import type { RunResult } from '../pipeline.js';

/** What the outputs are made of: a run's result (only the mode of each attempt counts). */
export type OutputFacts = Pick<
  RunResult,
  'conclusion' | 'sessionId' | 'executionFile' | 'failureReason' | 'freshAfterLostSession' | 'apiRetries' | 'resumed' | 'restoredFrom' | 'checkpointKey' | 'checkpointsSaved'
> & { readonly attempts: readonly Pick<RunResult['attempts'][number], 'mode'>[] };

/**
 * The outputs of every run, by name, in the order the action sets them and the CLI prints them:
 * built here once so that the two cannot drift. (The action adds its drop-in outputs.)
 */
export function runOutputs(result: OutputFacts) {
  return Object.freeze({
    [Outputs.conclusion]: result.conclusion,
    [Outputs.sessionId]: result.sessionId ?? '',
    [Outputs.executionLog]: result.executionFile,
    [Outputs.failureReason]: result.failureReason,
    [Outputs.attempts]: String(result.attempts.length),
    [Outputs.resumedSessions]: String(result.attempts.filter((attempt) => attempt.mode === 'resume').length),
    [Outputs.freshSessionFallbacks]: String(result.freshAfterLostSession),
    [Outputs.apiRetries]: String(result.apiRetries),
    [Outputs.resumed]: String(result.resumed),
    [Outputs.restoredFrom]: result.restoredFrom,
    [Outputs.checkpointKey]: result.checkpointKey,
    [Outputs.checkpointsSaved]: String(result.checkpointsSaved),
  });
}

export type RunOutputs = ReturnType<typeof runOutputs>;
