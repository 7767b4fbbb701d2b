import { describe, expect, it } from 'vitest';
import type { ResultEvent } from '../../src/agents/events.js';
import { classifyAttempt, type AttemptEvidence } from '../../src/runner/classify.js';

const evidence = (partial: Partial<AttemptEvidence>): AttemptEvidence => ({
  exitCode: 1,
  signal: null,
  stoppedBy: undefined,
  errors: [],
  finishedAfterLastError: false,
  tail: '',
  ...partial,
});
const result = (partial: Partial<ResultEvent>): ResultEvent => ({ type: 'result', isError: true, subtype: 'success', text: '', ...partial });

describe('classifyAttempt', () => {
  it('is success for a clean result and exit 0', () => {
    expect(classifyAttempt(evidence({ exitCode: 0, result: result({ isError: false, text: 'done' }) })).kind).toBe('success');
  });

  it('treats subtype success with is_error true as an error', () => {
    const verdict = classifyAttempt(
      evidence({ result: result({ apiErrorStatus: 500, apiErrorType: 'api_error', text: 'API Error: 500 Internal server error.' }) }),
    );
    expect(verdict).toMatchObject({ kind: 'transient', reason: 'server_error' });
  });

  it.each([
    [529, 'overloaded_error', 'overloaded', 'transient'],
    [429, 'rate_limit_error', 'rate_limited', 'transient'],
    [401, 'authentication_error', 'auth', 'fatal'],
    [400, 'invalid_request_error', 'bad_request', 'fatal'],
  ])('maps status %i to %s', (status, type, reason, kind) => {
    expect(classifyAttempt(evidence({ result: result({ apiErrorStatus: status, apiErrorType: type }) }))).toMatchObject({ kind, reason });
  });

  it('reads the text when the status is missing (network errors)', () => {
    const verdict = classifyAttempt(evidence({ result: result({ apiErrorStatus: null, text: 'API Error: Connection dropped (ECONNRESET). Retrying' }) }));
    expect(verdict).toMatchObject({ kind: 'transient', reason: 'network' });
  });

  it('prefers quota over bad_request for a credit balance 400', () => {
    const verdict = classifyAttempt(evidence({ result: result({ apiErrorStatus: 400, text: 'Your credit balance is too low to access the Anthropic API.' }) }));
    expect(verdict).toMatchObject({ kind: 'fatal', reason: 'quota' });
  });

  it('knows max turns and a missing session', () => {
    expect(classifyAttempt(evidence({ result: result({ subtype: 'error_max_turns', terminalReason: 'max_turns' }) })).reason).toBe('max_turns');
    expect(
      classifyAttempt(evidence({ result: result({ subtype: 'error_during_execution', text: 'No conversation found with session ID: abc' }) })),
    ).toMatchObject({ kind: 'session_lost', reason: 'session_not_found' });
  });

  it('decides OpenCode runs from the error events, not the exit code', () => {
    const error = { type: 'error' as const, message: '{"type":"api_error","message":"Internal server error"}', status: null };
    expect(classifyAttempt(evidence({ exitCode: 0, errors: [error] }))).toMatchObject({ kind: 'transient', reason: 'server_error' });
    expect(classifyAttempt(evidence({ exitCode: 0, errors: [error], finishedAfterLastError: true })).kind).toBe('success');
    expect(classifyAttempt(evidence({ exitCode: 0, errors: [{ type: 'error', message: 'Unauthorized', status: 401 }] }))).toMatchObject({
      kind: 'fatal',
      reason: 'auth',
    });
  });

  it('knows our own stops', () => {
    expect(classifyAttempt(evidence({ stoppedBy: 'idle_timeout', exitCode: null, signal: 'SIGTERM' }))).toMatchObject({ kind: 'transient', reason: 'stalled' });
    expect(classifyAttempt(evidence({ stoppedBy: 'cancelled', exitCode: null, signal: 'SIGTERM' }))).toMatchObject({ kind: 'fatal', reason: 'cancelled' });
  });

  it('falls back to the output text, then to unknown decided by retryUnknown', () => {
    expect(classifyAttempt(evidence({ tail: 'Error: socket hang up\n' }))).toMatchObject({ kind: 'transient', reason: 'network' });
    expect(classifyAttempt(evidence({ tail: 'segfault\n' }))).toMatchObject({ kind: 'transient', reason: 'unknown' });
    expect(classifyAttempt(evidence({ tail: 'segfault\n' }), { retryUnknown: false })).toMatchObject({ kind: 'fatal', reason: 'unknown' });
  });

  it('lets the user extend it with patterns', () => {
    const quota = evidence({ result: result({ apiErrorStatus: 400, text: 'API Error: 400 custom gateway hiccup' }) });
    expect(classifyAttempt(quota, { retryOn: [/gateway hiccup/] })).toMatchObject({ kind: 'transient', reason: 'matched_retry_on' });
    const server = evidence({ result: result({ apiErrorStatus: 500, text: 'API Error: 500 poisoned request' }) });
    expect(classifyAttempt(server, { neverRetryOn: [/poisoned/] })).toMatchObject({ kind: 'fatal', reason: 'matched_never_retry_on' });
  });

  it('lets never_retry_on stop the fresh session after a lost one, and retry_on leave it as it is', () => {
    const lost = evidence({ result: result({ subtype: 'error_during_execution', text: 'No conversation found with session ID: abc' }) });
    expect(classifyAttempt(lost, { neverRetryOn: [/No conversation/] })).toMatchObject({ kind: 'fatal', reason: 'session_not_found' });
    expect(classifyAttempt(lost, { retryOn: [/No conversation/] })).toMatchObject({ kind: 'session_lost', reason: 'session_not_found' });
  });
});
