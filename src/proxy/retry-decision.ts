/**
 * The API proxy's decisions, kept free of I/O so they can be tested exhaustively: which upstream
 * answers are worth another try, how long to wait, and when to stop retrying altogether.
 */
import { z } from 'zod';
import { backoffDelay, type Backoff } from '../backoff.js';
import { formatDuration } from '../format.js';
import { parseJsonAs } from '../parse-json.js';

export interface ProxyRetryPolicy extends Backoff {
  /** Total tries per request, >= 1. */
  readonly attempts: number;
}

/** What went wrong with one upstream try, before any byte of it reached the agent. */
export type UpstreamFailureKind =
  | { kind: 'status'; status: number; errorType?: string | undefined }
  | { kind: 'network'; code: string }
  /** `body`: the headers came, then the rest of a retryable answer did not. */
  | { kind: 'timeout'; afterMs: number; phase?: 'headers' | 'body' };

// 529 is Anthropic's "overloaded"; 429 carries a retry-after we honour. Other 4xx say the
// request itself is wrong, and repeating it cannot help.
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504, 529]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

export function isRetryableFailure(failure: UpstreamFailureKind): boolean {
  return failure.kind !== 'status' || isRetryableStatus(failure.status);
}

/** The ProxyStats.failuresByStatus key. */
export function failureKey(failure: UpstreamFailureKind): string {
  return failure.kind === 'status' ? String(failure.status) : failure.kind;
}

/** For log lines: never includes bodies or header values, only status, error type or error code. */
export function describeFailure(failure: UpstreamFailureKind): string {
  switch (failure.kind) {
    case 'status':
      return failure.errorType === undefined ? `answered ${failure.status}` : `answered ${failure.status} (${failure.errorType})`;
    case 'network':
      return `failed before a response (${failure.code})`;
    case 'timeout':
      return failure.phase === 'body'
        ? `answered, then sent nothing more for ${formatDuration(failure.afterMs)} (timeout)`
        : `sent no response headers within ${formatDuration(failure.afterMs)} (timeout)`;
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  const trimmed = text?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/**
 * The server's delay hint in ms: `retry-after-ms` (what Anthropic's SDKs read first), else
 * `retry-after` as seconds or an HTTP date. Undefined when absent or unreadable.
 */
export function parseRetryAfterMs(headers: Record<string, string | string[] | undefined>, nowMs: number): number | undefined {
  const ms = headerValue(headers['retry-after-ms']);
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms)) return Number(ms);
  const after = headerValue(headers['retry-after']);
  if (after === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(after)) return Number(after) * 1000;
  // HTTP dates start with the day name; anything else Date.parse would read loosely (`-3` as a year).
  if (!/^[A-Za-z]/.test(after)) return undefined;
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/**
 * closed: retry as usual. open: the upstream looks down, hand failures straight back.
 * half-open: the cool-down passed and one request (since `since`) is probing with retries.
 */
export type BreakerState =
  | { readonly mode: 'closed'; readonly failures: number }
  | { readonly mode: 'open'; readonly failures: number; readonly since: number }
  | { readonly mode: 'half-open'; readonly failures: number; readonly since: number };

export const CLOSED_BREAKER: BreakerState = Object.freeze({ mode: 'closed', failures: 0 });

export type BreakerChange = 'opened' | 'half-open' | 'closed';

/** Whether a failed request may retry now; the open → half-open move happens here. */
export function breakerAllowsRetry(state: BreakerState, now: number, cooldownMs: number): { allowed: boolean; state: BreakerState; change?: BreakerChange } {
  if (state.mode === 'closed') return { allowed: true, state };
  // A probe that never reports back (its agent went away) must not keep the breaker shut for
  // good, so half-open also lets a new probe through after another cool-down.
  if (now - state.since < cooldownMs) return { allowed: false, state };
  return { allowed: true, state: { mode: 'half-open', failures: state.failures, since: now }, change: 'half-open' };
}

/**
 * Records how a request ended: 'success' when the upstream gave a non-transient answer,
 * 'failure' when a transient failure went back to the agent.
 */
export function breakerRecord(
  state: BreakerState,
  outcome: 'success' | 'failure',
  now: number,
  threshold: number,
): { state: BreakerState; change?: BreakerChange } {
  if (outcome === 'success') {
    return state.mode === 'closed' ? { state: CLOSED_BREAKER } : { state: CLOSED_BREAKER, change: 'closed' };
  }
  const failures = state.failures + 1;
  switch (state.mode) {
    case 'closed':
      return failures >= threshold ? { state: { mode: 'open', failures, since: now }, change: 'opened' } : { state: { mode: 'closed', failures } };
    case 'half-open':
      return { state: { mode: 'open', failures, since: now }, change: 'opened' };
    case 'open':
      // Keep the original opening time: the cool-down runs from when it opened, not from the
      // last failure handed straight back (else a steady trickle would keep it open forever).
      return { state: { mode: 'open', failures, since: state.since } };
  }
}

export type PassOnReason = 'not-retryable' | 'exhausted' | 'busy' | 'breaker-open';

export type RetryDecision = { retry: true; delayMs: number; fromHint: boolean } | { retry: false; reason: PassOnReason };

export interface RetryQuestion {
  failure: UpstreamFailureKind;
  /** The retry that would come next: 1 after the first try failed. */
  retry: number;
  hintMs: number | undefined;
  policy: ProxyRetryPolicy;
  breaker: BreakerState;
  now: number;
  /** Requests of the whole proxy in backoff right now. */
  waiting: number;
  maxConcurrentRetries: number;
  random: () => number;
}

/** One failed try: retry (after how long) or hand the failure back, and the breaker's new state. */
export function decideRetry(question: RetryQuestion): { decision: RetryDecision; breaker: BreakerState; change?: BreakerChange } {
  const { breaker } = question;
  if (!isRetryableFailure(question.failure)) return { decision: { retry: false, reason: 'not-retryable' }, breaker };
  if (question.retry > question.policy.attempts - 1) return { decision: { retry: false, reason: 'exhausted' }, breaker };
  if (question.waiting >= question.maxConcurrentRetries) return { decision: { retry: false, reason: 'busy' }, breaker };
  const gate = breakerAllowsRetry(breaker, question.now, question.policy.maxDelayMs);
  if (!gate.allowed) return { decision: { retry: false, reason: 'breaker-open' }, breaker: gate.state };
  const { delayMs, fromHint } = backoffDelay(question.policy, question.retry, question.hintMs, question.random);
  return { decision: { retry: true, delayMs, fromHint }, breaker: gate.state, ...(gate.change ? { change: gate.change } : {}) };
}

/** The proxy serves the agent on the same machine only; anything else is refused. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4)) return true;
  return address === '::1' || address === '0:0:0:0:0:0:0:1';
}

const apiErrorBody = z.object({ error: z.looseObject({ type: z.string() }) });

/** The API's error object from a buffered error body (`{"type":"error","error":{"type":"api_error",…}}`); undefined when the body is not that shape. */
export function apiErrorOf(body: string): z.infer<typeof apiErrorBody>['error'] | undefined {
  return parseJsonAs(apiErrorBody, body)?.error;
}

/** The API's error type from a buffered error body, for the log line only. */
export function errorTypeOf(body: string): string | undefined {
  const type = apiErrorOf(body)?.type;
  // Only a short identifier: this goes into logs, and a free-form field could carry anything.
  return type !== undefined && /^[a-z_]{1,64}$/.test(type) ? type : undefined;
}
