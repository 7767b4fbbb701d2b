/**
 * Exponential backoff with full jitter, the one used for every retry (process retries, the API
 * proxy and its holds, the watchdog's GitHub calls): pure, so each caller's policy is tested alone.
 */
export interface Backoff {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** How much the ceiling grows per retry. */
  readonly factor: number;
}

/** Upper bound of the jittered wait before retry number `retry` (1 for the first retry). */
export function backoffCeilingMs(backoff: Backoff, retry: number): number {
  return Math.min(backoff.maxDelayMs, backoff.initialDelayMs * backoff.factor ** Math.max(0, retry - 1));
}

/**
 * The wait before retry number `retry`: full jitter over the exponential ceiling, so many clients
 * failing together do not come back together. A server's hint (≥ 0) wins, capped by the maximum
 * delay so one header cannot park a retry for an hour. Never below `floorMs`.
 */
export function backoffDelay(backoff: Backoff, retry: number, hintMs: number | undefined, random: () => number, floorMs = 0): { delayMs: number; fromHint: boolean } {
  if (hintMs !== undefined && hintMs >= 0) return { delayMs: Math.max(floorMs, Math.min(backoff.maxDelayMs, hintMs)), fromHint: true };
  return { delayMs: Math.max(floorMs, Math.round(random() * backoffCeilingMs(backoff, retry))), fromHint: false };
}
