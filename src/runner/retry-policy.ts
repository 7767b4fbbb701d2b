import { backoffDelay } from '../backoff.js';
import type { LaunchRequest } from '../agents/adapter.js';
import type { ClassificationKind } from './classify.js';

type LaunchMode = LaunchRequest['mode'];

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

/** What follows an attempt: nothing, the end of the run, or another attempt after a backoff wait or at once. */
export type RetryStep = 'done' | 'stop' | 'after_backoff' | 'at_once';

/**
 * Decided from how the attempt ended (the classification's kind) and how it was launched. A lost
 * session is retried at once, in a fresh session (next-launch.ts), since waiting does not bring it
 * back; a session this run had just started that cannot be found either means a fresh one would
 * be lost again, so the run stops.
 */
export function retryStep(attempt: { readonly classification: { readonly kind: ClassificationKind }; readonly mode: LaunchMode }): RetryStep {
  switch (attempt.classification.kind) {
    case 'success':
      return 'done';
    case 'transient':
      return 'after_backoff';
    case 'session_lost':
      return attempt.mode === 'resume' ? 'at_once' : 'stop';
    case 'fatal':
      return 'stop';
  }
}
