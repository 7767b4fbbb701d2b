import { backoffDelay } from '../backoff.js';

/** How process retries back off; validated once in settings. */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly backoffFactor: number;
  /** Overall budget for retrying, from the first failure on. */
  readonly maxRetryTimeMs: number;
}

/** Even with initial_delay 0 a retry waits this long: a failure must never loop without a pause. */
export const MIN_DELAY_MS = 100;

/**
 * The wait before process retry number `retry` (1 for the first retry): the shared backoff (a
 * server's retry-after hint wins), never below a floor: the same failure must not loop without a pause.
 */
export function retryDelayMs(policy: RetryPolicy, retry: number, hintMs: number | undefined, random: () => number = Math.random): number {
  const floor = Math.max(MIN_DELAY_MS, Math.min(1000, policy.maxDelayMs, policy.initialDelayMs));
  return backoffDelay({ initialDelayMs: policy.initialDelayMs, maxDelayMs: policy.maxDelayMs, factor: policy.backoffFactor }, retry, hintMs, random, floor).delayMs;
}
