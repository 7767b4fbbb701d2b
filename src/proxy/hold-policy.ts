/**
 * The outage hold's decisions, free of I/O: which failed requests are held, how long a held request
 * waits between upstream probes, when the hold gives up, and the SSE text the agent gets meanwhile.
 *
 * Why a hold at all: once the proxy's own tries are used up, handing the failure back makes the
 * agent retry a few times and exit, and with it go the background work it started and its turn.
 * A streaming request that has not sent a byte yet can instead be answered `200 text/event-stream`
 * at once: both CLIs wait on a stream of `ping` events for many minutes, and the upstream's real
 * answer can follow on the same stream once the outage is over.
 */
import { z } from 'zod';
import { backoffCeilingMs } from '../backoff.js';
import { parseJsonAs } from '../parse-json.js';
import { apiErrorOf, isRetryableFailure } from './retry-decision.js';
import type { PassOnReason, ProxyRetryPolicy, UpstreamFailureKind } from './retry-decision.js';

export interface HoldPolicy {
  /** api_retry_time: how long after the request's first try a held request gives up; 0 turns holds off. */
  readonly retryTimeMs: number;
  /** Time between two `ping` events on a held stream. */
  readonly pingIntervalMs: number;
}

/** Within the 10–15 s the real API leaves between pings; far below both CLIs' stream timeouts. */
export const DEFAULT_PING_INTERVAL_MS = 10_000;

export const PING_EVENT = 'event: ping\ndata: {"type": "ping"}\n\n';

/** Headers of a held answer: what the API sends for a stream, plus a marker for logs and tests. */
export const HOLD_RESPONSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-durable-agent-hold': '1',
} as const;

const streamingBody = z.looseObject({ stream: z.literal(true) });

/**
 * Whether the agent asked for a streamed answer. The body is only read here when a request has
 * already failed, so the common path never parses it; the substring test skips the parse for
 * bodies that cannot be streaming requests.
 */
export function isStreamingRequest(body: Buffer): boolean {
  return body.includes('"stream"') && parseJsonAs(streamingBody, body.toString('utf8')) !== undefined;
}

export interface HoldQuestion {
  readonly failure: UpstreamFailureKind;
  /** Why the normal retries handed the failure back. */
  readonly reason: PassOnReason;
  readonly streaming: boolean;
  readonly policy: HoldPolicy;
  /** Since the request's first upstream try. */
  readonly elapsedMs: number;
}

/**
 * A held request must be one the agent reads as a stream (it is answered 200 before the upstream
 * has answered), failed transiently (a 401 stays a 401), and there must be time left. Requests
 * turned away by the breaker or the concurrency bound are held too: holds probe one at a time.
 */
export function shouldHold(question: HoldQuestion): boolean {
  if (question.policy.retryTimeMs <= 0 || !question.streaming) return false;
  if (question.reason === 'not-retryable' || !isRetryableFailure(question.failure)) return false;
  return question.elapsedMs < question.policy.retryTimeMs;
}

/**
 * The wait before probe number `retry` of a held request (counting on from the normal retries):
 * the exponential ceiling bounded by api_max_delay, jittered over its upper half so that a hold
 * never spins, and at least what a retry-after hint asked for (within api_max_delay).
 */
export function holdDelayMs(policy: ProxyRetryPolicy, retry: number, hintMs: number | undefined, random: () => number): number {
  const ceiling = backoffCeilingMs(policy, retry);
  const jittered = Math.round(ceiling / 2 + (random() * ceiling) / 2);
  const hinted = hintMs === undefined ? 0 : Math.min(policy.maxDelayMs, Math.max(0, hintMs));
  return Math.max(jittered, hinted);
}

export type HoldStep = { readonly kind: 'wait'; readonly ms: number } | { readonly kind: 'give-up' };

/** Before each probe: wait (never past the deadline, so the last probe lands on it) or give up. */
export function nextHoldStep(options: { elapsedMs: number; retryTimeMs: number; delayMs: number }): HoldStep {
  const remaining = options.retryTimeMs - options.elapsedMs;
  if (remaining <= 0) return { kind: 'give-up' };
  return { kind: 'wait', ms: Math.max(0, Math.min(options.delayMs, remaining)) };
}

const ERROR_TYPE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};

/** The Messages API's error type for a status, as both CLIs and our classifier read it. */
export function errorTypeForStatus(status: number): string {
  return ERROR_TYPE_BY_STATUS[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

/** An SSE `error` event as the Messages API sends one mid-stream. */
export function sseErrorEvent(type: string, message: string): string {
  return `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type, message } })}\n\n`;
}

/**
 * A fatal upstream answer (400, 401, 403, quota) that arrived while the agent already reads a 200
 * stream: the same error as an `error` event. The API's own error object is kept when the body is
 * one (its message tells the agent and the classifier what happened), re-serialised on one line as
 * SSE requires; anything else becomes the standard shape for the status.
 */
export function fatalAnswerEvent(status: number, body: string): string {
  const error = apiErrorOf(body);
  if (error === undefined) return sseErrorEvent(errorTypeForStatus(status), `The model API answered ${status}.`);
  return `event: error\ndata: ${JSON.stringify({ type: 'error', error })}\n\n`;
}

/**
 * The event that ends a hold whose time ran out: the last failure's type, so the agent exits with
 * a reason the classifier reads as transient (`api_error`, `overloaded_error`, `rate_limit_error`)
 * and the process-retry layer takes over.
 */
export function gaveUpEvent(failure: UpstreamFailureKind, heldMs: number, tries: number, describe: (ms: number) => string): string {
  const type = failure.kind === 'status' ? errorTypeForStatus(failure.status) : 'api_error';
  const what = failure.kind === 'status' ? `answered ${failure.status}` : failure.kind === 'network' ? `could not be reached (${failure.code})` : 'timed out';
  return sseErrorEvent(type, `The model API ${what} on each of ${tries} tries over ${describe(heldMs)} (durable-agent held the request up to api_retry_time).`);
}

/** The one-word outcome of a hold for the log and the summary. */
export type HoldEnd =
  | { readonly kind: 'answered'; readonly status: number }
  | { readonly kind: 'gave-up'; readonly failure: UpstreamFailureKind }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'agent-left' };

export function describeHoldEnd(end: HoldEnd): string {
  switch (end.kind) {
    case 'answered':
      return String(end.status);
    case 'gave-up':
      return `gave up (${end.failure.kind === 'status' ? end.failure.status : end.failure.kind})`;
    case 'cancelled':
      return 'cancelled';
    case 'agent-left':
      return 'agent left';
  }
}

/**
 * A bound on one agent request that a hold never hits: api_retry_time, plus Claude Code's own
 * default of ten minutes for the answer itself and the last try before the hold gives up.
 */
export function agentRequestTimeoutMs(retryTimeMs: number): number {
  return retryTimeMs + 600_000;
}

/** DURABLE_AGENT_HOLD_PING_MS, for tests that cannot wait ten seconds for a ping; else the default. */
export function pingIntervalFrom(value: string | undefined): number {
  if (value === undefined || !/^\d+$/.test(value.trim())) return DEFAULT_PING_INTERVAL_MS;
  const ms = Number(value.trim());
  return ms >= 10 && ms <= 60_000 ? ms : DEFAULT_PING_INTERVAL_MS;
}
