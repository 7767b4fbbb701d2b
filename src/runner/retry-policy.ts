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
 * The wait before retry number `retry` (1 for the first retry): full jitter over the exponential
 * ceiling, so many runs failing together do not come back together. A server's retry-after hint
 * wins over the computed delay, capped by the maximum delay. Never zero: the same failure must not
 * loop without a pause.
 */
export function retryDelayMs(policy: RetryPolicy, retry: number, hintMs: number | undefined, random: () => number = Math.random): number {
  const floor = Math.max(MIN_DELAY_MS, Math.min(1000, policy.maxDelayMs, policy.initialDelayMs));
  if (hintMs !== undefined && hintMs >= 0) return Math.max(floor, Math.min(policy.maxDelayMs, hintMs));
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.backoffFactor ** Math.max(0, retry - 1));
  return Math.max(floor, Math.round(random() * ceiling));
}
