/**
 * What a failed GitHub REST call means, and whether and when to try it again, as pure functions of
 * what the call left (status, headers, GitHub's message, the clock). The watchdog exists to absorb
 * infrastructure trouble, so GitHub's own trouble (5xx, rate limits, a dropped connection) is
 * waited out within a bound; anything the same request would get again (a missing permission, a
 * bad token, a run that does not exist) is said at once, named from the status.
 */
import { parseRetryAfterMs } from '../proxy/retry-decision.js';
import { backoffDelay, type Backoff } from '../backoff.js';

export type GitHubFailure =
  /** 5xx: GitHub's side; the same request may well succeed a moment later. */
  | { readonly kind: 'server_error'; readonly status: number }
  /** 429, or a 403 that says it is a rate limit; `waitMs` from retry-after or x-ratelimit-reset. */
  | { readonly kind: 'rate_limited'; readonly status: number; readonly secondary: boolean; readonly waitMs: number | undefined }
  /** No answer at all: refused, reset, DNS, timed out. */
  | { readonly kind: 'network'; readonly detail: string }
  | { readonly kind: 'bad_credentials'; readonly status: 401 }
  | { readonly kind: 'missing_permission'; readonly status: 403 }
  | { readonly kind: 'not_found'; readonly status: 404 }
  /** Any other answer (400, 409, 422, ...): GitHub's message says what. */
  | { readonly kind: 'refused'; readonly status: number };

export type GitHubFailureKind = GitHubFailure['kind'];

export interface FailedAnswer {
  /** Undefined when no answer came. */
  readonly status: number | undefined;
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** GitHub's `message`, or the network error's. */
  readonly message: string;
}

/** Without a hint, GitHub's documentation says to wait at least a minute after a secondary rate limit. */
export const SECONDARY_RATE_LIMIT_WAIT_MS = 60_000;

/** Backoff between tries of one call when the answer carries no hint. */
export const GITHUB_BACKOFF: Backoff = Object.freeze({
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  factor: 2,
});

export function classifyGitHubFailure(answer: FailedAnswer, nowMs: number): GitHubFailure {
  const { status, headers, message } = answer;
  if (status === undefined) return { kind: 'network', detail: message };
  if (status >= 500) return { kind: 'server_error', status };
  const secondary = /secondary rate limit|abuse detection/i.test(message);
  const exhausted = headers['x-ratelimit-remaining'] === '0';
  const retryAfter = parseRetryAfterMs(headers, nowMs);
  if (status === 429 || (status === 403 && (secondary || exhausted || retryAfter !== undefined || /rate limit/i.test(message)))) {
    return { kind: 'rate_limited', status, secondary, waitMs: retryAfter ?? (exhausted ? untilReset(headers['x-ratelimit-reset'], nowMs) : undefined) };
  }
  if (status === 401) return { kind: 'bad_credentials', status };
  if (status === 403) return { kind: 'missing_permission', status };
  if (status === 404) return { kind: 'not_found', status };
  return { kind: 'refused', status };
}

export type GitHubRetryDecision =
  | { readonly retry: true; readonly delayMs: number }
  /** `retryable`: another try could succeed, but not within the budget. */
  | { readonly retry: false; readonly retryable: boolean; readonly why: string };

/**
 * Whether to try a failed call again: only for failures another try can fix, and only when the wait
 * fits in what is left of the budget. `retry` counts the retries of this call, 1 for the first.
 */
export function decideGitHubRetry(failure: GitHubFailure, retry: number, remainingMs: number, random: () => number = Math.random): GitHubRetryDecision {
  if (failure.kind !== 'server_error' && failure.kind !== 'rate_limited' && failure.kind !== 'network') {
    return { retry: false, retryable: false, why: 'another try gets the same answer' };
  }
  const hint = failure.kind === 'rate_limited' ? (failure.waitMs ?? (failure.secondary ? SECONDARY_RATE_LIMIT_WAIT_MS : undefined)) : undefined;
  // Never below the first delay: a failing call must not be hammered.
  const delayMs = hint ?? backoffDelay(GITHUB_BACKOFF, retry, undefined, random, GITHUB_BACKOFF.initialDelayMs).delayMs;
  if (delayMs > remainingMs) {
    return { retry: false, retryable: true, why: hint === undefined ? 'github_retry_time is spent' : `GitHub asks to wait ${Math.ceil(delayMs / 1000)} s, beyond what is left of github_retry_time` };
  }
  return { retry: true, delayMs };
}

/** What failed, in words a user acts on: the status decides, never a guess. */
export function describeGitHubFailure(failure: GitHubFailure, permission: string): string {
  switch (failure.kind) {
    case 'server_error':
      return `GitHub server error (${failure.status})`;
    case 'rate_limited':
      return `${failure.secondary ? 'GitHub secondary rate limit' : 'GitHub rate limit'} (${failure.status})`;
    case 'network':
      return `no answer from the GitHub API (${failure.detail})`;
    case 'bad_credentials':
      return 'bad credentials (401): github_token is invalid or expired';
    case 'missing_permission':
      return `missing permission (403): the token needs ${permission}`;
    case 'not_found':
      return 'not found (404), or the token cannot see this repository';
    case 'refused':
      return `GitHub refused the request (${failure.status})`;
  }
}

function untilReset(reset: string | undefined, nowMs: number): number | undefined {
  if (reset === undefined || !/^\d+$/.test(reset)) return undefined;
  return Math.max(0, Number(reset) * 1000 - nowMs);
}
