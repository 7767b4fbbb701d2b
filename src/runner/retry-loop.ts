import { setTimeout as sleep } from 'node:timers/promises';
import pRetry, { AbortError } from 'p-retry';
import type { Log } from '../report/log.js';
import { formatDuration } from '../format.js';
import type { AttemptRecord } from './attempt.js';
import type { LaunchPlan } from './next-launch.js';
import { retryDelayMs, retryStep, type RetryPolicy } from './retry-policy.js';

export interface Wait {
  readonly afterAttempt: number;
  readonly startedAt: Date;
  readonly ms: number;
  readonly reason: string;
}

export interface RetryLoopOptions {
  readonly policy: RetryPolicy;
  readonly first: LaunchPlan;
  /** Runs one attempt; must not throw for agent failures (they are in the record). */
  readonly attempt: (number: number, plan: LaunchPlan) => Promise<AttemptRecord>;
  /** What to launch after a failed attempt. */
  readonly next: (previous: AttemptRecord) => LaunchPlan;
  /** A delay hint (retry-after) for the wait after this attempt, when one is known. */
  readonly delayHint?: ((record: AttemptRecord) => number | undefined) | undefined;
  /** Whether a failed attempt may be retried at all (budget guards); true when absent. */
  readonly mayRetry?: ((record: AttemptRecord) => string | undefined) | undefined;
  readonly log: Log;
  readonly signal?: AbortSignal | undefined;
  readonly random?: () => number;
}

export interface RetryLoopResult {
  readonly attempts: readonly AttemptRecord[];
  readonly waits: readonly Wait[];
  /** Why retrying stopped before success, when it did for a reason other than the last attempt's own. */
  readonly stoppedBecause: string | undefined;
}

class AttemptFailed extends Error {
  constructor(readonly record: AttemptRecord) {
    super(`${record.classification.reason}: ${record.classification.message}`);
  }
}

/**
 * The process-retry layer: runs attempts until the retry step (retry-policy.ts) says done or stop,
 * or the policy (attempts, overall time) runs out. Waits with full-jitter backoff between attempts; a cancel
 * ends a wait at once.
 */
export async function runWithRetries(options: RetryLoopOptions): Promise<RetryLoopResult> {
  const { policy, log } = options;
  const attempts: AttemptRecord[] = [];
  const waits: Wait[] = [];
  let plan = options.first;
  let stoppedBecause: string | undefined;

  const run = async (attemptNumber: number): Promise<void> => {
    const record = await options.attempt(attemptNumber, plan);
    attempts.push(record);
    const step = retryStep(record);
    if (step === 'done') return;
    if (step === 'stop') throw new AbortError(new AttemptFailed(record));
    const refusal = options.mayRetry?.(record);
    if (refusal) {
      stoppedBecause = refusal;
      throw new AbortError(new AttemptFailed(record));
    }
    throw new AttemptFailed(record);
  };

  try {
    await pRetry(run, {
      retries: Math.max(0, policy.maxAttempts - 1),
      // The delay is ours (full jitter, retry-after); p-retry keeps count and the overall budget.
      minTimeout: 0,
      maxTimeout: 0,
      maxRetryTime: policy.maxRetryTimeMs,
      signal: options.signal,
      shouldRetry: async ({ error, retriesConsumed }) => {
        if (!(error instanceof AttemptFailed)) return false;
        const record = error.record;
        const ms = retryStep(record) === 'at_once' ? 0 : retryDelayMs(policy, retriesConsumed + 1, options.delayHint?.(record), options.random);
        plan = options.next(record);
        const reason = `${record.classification.reason}: ${record.classification.message.replace(/\.+$/, '')}`;
        if (ms > 0) {
          log.info(`Attempt ${record.number} ended with ${reason}. Waiting ${formatDuration(ms)} before attempt ${record.number + 1} (${plan.request.mode === 'resume' ? `resuming session ${plan.request.sessionId ?? ''}` : 'new session'}).`);
          waits.push({ afterAttempt: record.number, startedAt: new Date(), ms, reason: record.classification.reason });
          await sleep(ms, undefined, { signal: options.signal });
        } else {
          log.info(`Attempt ${record.number} ended with ${reason}.`);
        }
        if (plan.note) log.warning(plan.note);
        return true;
      },
    });
  } catch (error) {
    const failed = error instanceof AttemptFailed ? error : error instanceof AbortError && error.originalError instanceof AttemptFailed ? error.originalError : undefined;
    if (!failed) {
      if (options.signal?.aborted) {
        log.warning('Cancelled while waiting to retry.');
        stoppedBecause = 'cancelled';
      } else {
        throw error;
      }
    } else if (retryStep(failed.record) !== 'stop' && !stoppedBecause) {
      stoppedBecause = attempts.length >= policy.maxAttempts ? `max_attempts (${policy.maxAttempts}) reached` : 'max_retry_time reached';
    }
  }
  return { attempts, waits, stoppedBecause };
}
