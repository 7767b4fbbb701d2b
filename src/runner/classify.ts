import type { ErrorEvent, ResultEvent } from '../agents/events.js';
import type { StopCause } from './supervise.js';

export type FailureReason =
  | 'server_error'
  | 'overloaded'
  | 'rate_limited'
  | 'network'
  | 'stalled'
  | 'attempt_timeout'
  | 'auth'
  | 'bad_request'
  | 'quota'
  | 'max_turns'
  | 'cancelled'
  | 'session_not_found'
  | 'agent_not_started'
  | 'matched_retry_on'
  | 'matched_never_retry_on'
  | 'budget'
  | 'unknown';

/**
 * How an attempt ended, which is all a retry decision reads (retry-policy.ts): `transient` is
 * worth retrying in the same session, `fatal` is not worth retrying, and `session_lost` means the
 * agent could not find the session it was asked to resume, so only a fresh session can go on.
 */
export const CLASSIFICATION_KINDS = ['success', 'transient', 'fatal', 'session_lost'] as const;
export type ClassificationKind = (typeof CLASSIFICATION_KINDS)[number];

export type Classification =
  | { kind: 'success'; reason: 'success'; message: string }
  | { kind: 'session_lost'; reason: 'session_not_found'; message: string }
  | { kind: 'transient' | 'fatal'; reason: FailureReason; message: string };

/** What one attempt left behind; everything here is plain data so the classifier stays pure. */
export interface AttemptEvidence {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stoppedBy: StopCause | undefined;
  readonly spawnError?: string | undefined;
  /** Claude's final `result` line. */
  readonly result?: ResultEvent | undefined;
  /** Error events in the stream (OpenCode), oldest first. */
  readonly errors: readonly ErrorEvent[];
  /** Whether a turn ended with reason `stop`/`end_turn` after the last error event. */
  readonly finishedAfterLastError: boolean;
  /** The last 64 KiB of stdout and stderr. */
  readonly tail: string;
  /** What the API proxy saw during the attempt: upstream failures by status, and those handed on. */
  readonly proxy?: { readonly failuresByStatus: Readonly<Record<string, number>>; readonly passedOnFailures: number } | undefined;
}

export interface ClassifyOptions {
  readonly retryOn?: readonly RegExp[];
  readonly neverRetryOn?: readonly RegExp[];
  /** How a non-zero exit with no evidence counts. */
  readonly retryUnknown?: boolean;
}

const TRANSIENT: ReadonlySet<FailureReason> = new Set([
  'server_error', 'overloaded', 'rate_limited', 'network', 'stalled', 'attempt_timeout', 'matched_retry_on',
]);

function verdict(reason: FailureReason, message: string): Classification {
  if (reason === 'session_not_found') return { kind: 'session_lost', reason, message };
  return { kind: TRANSIENT.has(reason) ? 'transient' : 'fatal', reason, message };
}

/** Text patterns, most specific first: a quota message arrives as a 400 and must not read as bad_request. */
const TEXT_PATTERNS: ReadonlyArray<readonly [RegExp, FailureReason]> = [
  [/No conversation found with session ID|Session .* not found|session not found/i, 'session_not_found'],
  [/credit balance is too low|insufficient[_ ]quota|billing|exceeded your (current )?quota/i, 'quota'],
  [/overloaded_error|API Error: 529|\b529\b.*overloaded|"Overloaded"|\bOverloaded\b/i, 'overloaded'],
  [/rate_limit_error|Request rejected \(429\)|API Error: 429|rate limit/i, 'rate_limited'],
  [/authentication_error|permission_error|Invalid API key|invalid x-api-key|API Error: 40[13]|OAuth token (has )?expired|Unauthorized/i, 'auth'],
  [/invalid_request_error|API Error: 400|prompt is too long|context (length|window)|maximum context/i, 'bad_request'],
  [/api_error|Internal server error|API Error: 5\d\d|Bad Gateway|Service Unavailable|Gateway Timeout/i, 'server_error'],
  [/ECONNRESET|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|ENOTFOUND|EPIPE|socket hang up|fetch failed|Connection dropped|Connection to the API was lost|connection error|Request timed out|network error|terminated|stream (closed|ended) (early|unexpectedly)/i, 'network'],
];

export function reasonFromText(text: string): FailureReason | undefined {
  for (const [pattern, reason] of TEXT_PATTERNS) if (pattern.test(text)) return reason;
  return undefined;
}

export function reasonFromStatus(status: number | null | undefined, type?: string | null): FailureReason | undefined {
  switch (type) {
    case 'overloaded_error': return 'overloaded';
    case 'rate_limit_error': return 'rate_limited';
    case 'authentication_error':
    case 'permission_error': return 'auth';
    case 'api_error': return 'server_error';
  }
  if (status === undefined || status === null) return undefined;
  if (status === 529) return 'overloaded';
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'auth';
  if (status === 402) return 'quota';
  if (status >= 500) return 'server_error';
  if (status >= 400) return 'bad_request';
  return undefined;
}

function firstLine(text: string, max = 500): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** Reads the structured evidence first, then the text, and lets the user's patterns have the last word. */
export function classifyAttempt(evidence: AttemptEvidence, options: ClassifyOptions = {}): Classification {
  const base = classifyEvidence(evidence, options.retryUnknown ?? true);
  if (base.kind === 'success' || base.reason === 'cancelled') return base;
  const haystack = `${base.message}\n${evidence.result?.text ?? ''}\n${evidence.errors.map((e) => e.message).join('\n')}\n${evidence.tail}`;
  if (options.neverRetryOn?.some((pattern) => pattern.test(haystack))) {
    // A lost session too: the fresh session it would get is a retry.
    return { kind: 'fatal', reason: base.kind === 'transient' ? 'matched_never_retry_on' : base.reason, message: base.message };
  }
  if (base.kind === 'fatal' && options.retryOn?.some((pattern) => pattern.test(haystack))) {
    return { kind: 'transient', reason: 'matched_retry_on', message: base.message };
  }
  return base;
}

function classifyEvidence(evidence: AttemptEvidence, retryUnknown: boolean): Classification {
  if (evidence.spawnError) return verdict('agent_not_started', evidence.spawnError);
  switch (evidence.stoppedBy) {
    case 'cancelled': return verdict('cancelled', 'the run was cancelled');
    case 'idle_timeout': return verdict('stalled', 'the agent printed nothing for longer than idle_timeout');
    case 'attempt_timeout': return verdict('attempt_timeout', 'the attempt ran longer than attempt_timeout');
  }

  const result = evidence.result;
  if (result) {
    if (!result.isError && evidence.exitCode === 0) return { kind: 'success', reason: 'success', message: firstLine(result.text) };
    const message = firstLine(result.text) || `the agent reported ${result.subtype}`;
    if (result.subtype === 'error_max_turns' || result.terminalReason === 'max_turns') return verdict('max_turns', message);
    const byText = reasonFromText(result.text);
    if (byText === 'quota' || byText === 'session_not_found') return verdict(byText, message);
    const byStatus = reasonFromStatus(result.apiErrorStatus, result.apiErrorType);
    if (byStatus) return verdict(byStatus, message);
    if (byText) return verdict(byText, message);
    if (result.isError) return unknown(message, retryUnknown);
  }

  const lastError = evidence.errors.at(-1);
  if (lastError && !evidence.finishedAfterLastError) {
    const message = firstLine(lastError.message);
    const byText = reasonFromText(lastError.message);
    if (byText === 'quota' || byText === 'session_not_found') return verdict(byText, message);
    // The API's own error type first: a streamed error arrives with the stream's status, not its own.
    const byStatus = reasonFromStatus(lastError.status, lastError.apiErrorType);
    if (byStatus) return verdict(byStatus, message);
    if (byText) return verdict(byText, message);
    return unknown(message, retryUnknown);
  }

  if (evidence.exitCode === 0) return { kind: 'success', reason: 'success', message: result ? firstLine(result.text) : '' };

  const byText = reasonFromText(evidence.tail);
  const ending = evidence.signal ? `the agent was killed by ${evidence.signal}` : `the agent exited with code ${evidence.exitCode}`;
  if (byText) return verdict(byText, `${ending}: ${lastMatchingLine(evidence.tail)}`);
  const byProxy = reasonFromProxy(evidence.proxy);
  if (byProxy) return verdict(byProxy.reason, `${ending}; the model API had just answered ${byProxy.what}`);
  return unknown(`${ending} without saying why`, retryUnknown);
}

/** When the agent says nothing, the failures the proxy had to hand on tell what it was facing. */
function reasonFromProxy(proxy: AttemptEvidence['proxy']): { reason: FailureReason; what: string } | undefined {
  if (!proxy || proxy.passedOnFailures === 0) return undefined;
  const [status] = Object.entries(proxy.failuresByStatus).sort((a, b) => b[1] - a[1])[0] ?? [];
  if (status === undefined) return undefined;
  if (status === 'network' || status === 'timeout') return { reason: 'network', what: `with ${status} failures` };
  const reason = reasonFromStatus(Number(status));
  return reason ? { reason, what: `HTTP ${status}` } : undefined;
}

function unknown(message: string, retryUnknown: boolean): Classification {
  return { kind: retryUnknown ? 'transient' : 'fatal', reason: 'unknown', message };
}

function lastMatchingLine(tail: string): string {
  const lines = tail.trim().split('\n').reverse();
  return firstLine(lines.find((line) => reasonFromText(line)) ?? lines[0] ?? '');
}
