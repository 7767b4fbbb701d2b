import { describe, expect, it } from 'vitest';
import {
  breakerAllowsRetry,
  breakerRecord,
  CLOSED_BREAKER,
  decideRetry,
  describeFailure,
  errorTypeOf,
  failureKey,
  isLoopbackAddress,
  isRetryableFailure,
  isRetryableStatus,
  parseRetryAfterMs,
} from '../../src/proxy/retry-decision.js';
import type { BreakerState, ProxyRetryPolicy, RetryQuestion } from '../../src/proxy/retry-decision.js';

const policy: ProxyRetryPolicy = { attempts: 6, initialDelayMs: 100, maxDelayMs: 5000, factor: 2 };

describe('isRetryableStatus', () => {
  it.each([429, 500, 502, 503, 504, 529])('retries %i', (status) => expect(isRetryableStatus(status)).toBe(true));
  it.each([200, 201, 301, 400, 401, 403, 404, 408, 413, 422, 501, 505])('passes %i through', (status) => expect(isRetryableStatus(status)).toBe(false));

  it('always retries connection failures and stalls', () => {
    expect(isRetryableFailure({ kind: 'network', code: 'ECONNRESET' })).toBe(true);
    expect(isRetryableFailure({ kind: 'timeout', afterMs: 10 })).toBe(true);
    expect(isRetryableFailure({ kind: 'status', status: 401 })).toBe(false);
  });
});

describe('failure descriptions', () => {
  it('keys failures by status or by kind', () => {
    expect(failureKey({ kind: 'status', status: 529 })).toBe('529');
    expect(failureKey({ kind: 'network', code: 'ECONNREFUSED' })).toBe('network');
    expect(failureKey({ kind: 'timeout', afterMs: 1 })).toBe('timeout');
  });

  it('says what happened without anything from the body but the error type', () => {
    expect(describeFailure({ kind: 'status', status: 500, errorType: 'api_error' })).toBe('answered 500 (api_error)');
    expect(describeFailure({ kind: 'status', status: 502 })).toBe('answered 502');
    expect(describeFailure({ kind: 'network', code: 'ECONNRESET' })).toBe('failed before a response (ECONNRESET)');
    expect(describeFailure({ kind: 'timeout', afterMs: 120_000 })).toBe('sent no response headers within 2m (timeout)');
    expect(describeFailure({ kind: 'timeout', afterMs: 500, phase: 'body' })).toBe('answered, then sent nothing more for 500ms (timeout)');
  });

  it('reads the error type from an Anthropic error body, and nothing else', () => {
    expect(errorTypeOf('{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}')).toBe('overloaded_error');
    expect(errorTypeOf('{"type":"error","error":{"type":"sk-ant-secret with spaces"}}')).toBeUndefined();
    expect(errorTypeOf('<html>502 Bad Gateway</html>')).toBeUndefined();
    expect(errorTypeOf('null')).toBeUndefined();
    expect(errorTypeOf('{"error":"text"}')).toBeUndefined();
  });
});

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');

  it('reads seconds, fractions included', () => {
    expect(parseRetryAfterMs({ 'retry-after': '7' }, now)).toBe(7000);
    expect(parseRetryAfterMs({ 'retry-after': '0.2' }, now)).toBe(200);
    expect(parseRetryAfterMs({ 'retry-after': ' 0 ' }, now)).toBe(0);
  });

  it('reads an HTTP date relative to now, never negative', () => {
    expect(parseRetryAfterMs({ 'retry-after': 'Sun, 01 Jun 2025 12:00:30 GMT' }, now)).toBe(30_000);
    expect(parseRetryAfterMs({ 'retry-after': 'Sun, 01 Jun 2025 11:00:00 GMT' }, now)).toBe(0);
  });

  it('prefers retry-after-ms', () => {
    expect(parseRetryAfterMs({ 'retry-after-ms': '250', 'retry-after': '9' }, now)).toBe(250);
    expect(parseRetryAfterMs({ 'retry-after-ms': '12.5' }, now)).toBe(12.5);
  });

  it('ignores what it cannot read', () => {
    expect(parseRetryAfterMs({}, now)).toBeUndefined();
    expect(parseRetryAfterMs({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(parseRetryAfterMs({ 'retry-after': '-3' }, now)).toBeUndefined();
    expect(parseRetryAfterMs({ 'retry-after-ms': 'x', 'retry-after': '2' }, now)).toBe(2000);
    expect(parseRetryAfterMs({ 'retry-after': ['3', '4'] }, now)).toBe(3000);
  });
});

describe('circuit breaker', () => {
  const threshold = 3;
  function fail(state: BreakerState, times: number, now = 0): BreakerState {
    let current = state;
    for (let i = 0; i < times; i++) current = breakerRecord(current, 'failure', now, threshold).state;
    return current;
  }

  it('opens after the threshold of consecutive failed requests', () => {
    const twice = fail(CLOSED_BREAKER, 2);
    expect(twice).toEqual({ mode: 'closed', failures: 2 });
    expect(breakerRecord(twice, 'failure', 1000, threshold)).toEqual({ state: { mode: 'open', failures: 3, since: 1000 }, change: 'opened' });
  });

  it('counts consecutive failures only: a success in between starts over, silently', () => {
    const reset = breakerRecord(fail(CLOSED_BREAKER, 2), 'success', 0, threshold);
    expect(reset).toEqual({ state: CLOSED_BREAKER });
    expect(fail(reset.state, 2).mode).toBe('closed');
  });

  it('refuses retries while open, and keeps the opening time while failures keep coming', () => {
    const open = breakerRecord(fail(CLOSED_BREAKER, 2), 'failure', 1000, threshold).state;
    expect(breakerAllowsRetry(open, 1000 + 4999, 5000)).toEqual({ allowed: false, state: open });
    const still = breakerRecord(open, 'failure', 4000, threshold);
    expect(still).toEqual({ state: { mode: 'open', failures: 4, since: 1000 } });
  });

  it('lets one request probe after the cool-down (half-open), and closes on a success', () => {
    const open: BreakerState = { mode: 'open', failures: 5, since: 1000 };
    const probe = breakerAllowsRetry(open, 6000, 5000);
    expect(probe).toEqual({ allowed: true, state: { mode: 'half-open', failures: 5, since: 6000 }, change: 'half-open' });
    // Only the probe retries: other failures meanwhile go straight back.
    expect(breakerAllowsRetry(probe.state, 6001, 5000).allowed).toBe(false);
    expect(breakerRecord(probe.state, 'success', 6100, threshold)).toEqual({ state: CLOSED_BREAKER, change: 'closed' });
  });

  it('reopens when the probe fails, and lets another probe through if one never reports back', () => {
    const halfOpen: BreakerState = { mode: 'half-open', failures: 5, since: 6000 };
    expect(breakerRecord(halfOpen, 'failure', 7000, threshold)).toEqual({ state: { mode: 'open', failures: 6, since: 7000 }, change: 'opened' });
    expect(breakerAllowsRetry(halfOpen, 11_000, 5000)).toMatchObject({ allowed: true, change: 'half-open' });
  });

  it('closes on any success while open', () => {
    expect(breakerRecord({ mode: 'open', failures: 9, since: 0 }, 'success', 1, threshold)).toEqual({ state: CLOSED_BREAKER, change: 'closed' });
  });
});

describe('decideRetry', () => {
  const base: RetryQuestion = {
    failure: { kind: 'status', status: 500 },
    retry: 1,
    hintMs: undefined,
    policy,
    breaker: CLOSED_BREAKER,
    now: 0,
    waiting: 0,
    maxConcurrentRetries: 2,
    random: () => 0.5,
  };

  it('retries a retryable failure after a jittered delay', () => {
    expect(decideRetry(base)).toEqual({ decision: { retry: true, delayMs: 50, fromHint: false }, breaker: CLOSED_BREAKER });
    expect(decideRetry({ ...base, retry: 2, failure: { kind: 'network', code: 'ECONNRESET' } }).decision).toEqual({ retry: true, delayMs: 100, fromHint: false });
  });

  it('honours the hint', () => {
    expect(decideRetry({ ...base, failure: { kind: 'status', status: 429 }, hintMs: 200 }).decision).toEqual({ retry: true, delayMs: 200, fromHint: true });
  });

  it('never retries what cannot succeed on a repeat', () => {
    expect(decideRetry({ ...base, failure: { kind: 'status', status: 400 } }).decision).toEqual({ retry: false, reason: 'not-retryable' });
  });

  it('stops when the attempts are used up', () => {
    expect(decideRetry({ ...base, retry: 5 }).decision.retry).toBe(true);
    expect(decideRetry({ ...base, retry: 6 }).decision).toEqual({ retry: false, reason: 'exhausted' });
    expect(decideRetry({ ...base, policy: { ...policy, attempts: 1 } }).decision).toEqual({ retry: false, reason: 'exhausted' });
  });

  it('passes failures on while too many requests already wait', () => {
    expect(decideRetry({ ...base, waiting: 1 }).decision.retry).toBe(true);
    expect(decideRetry({ ...base, waiting: 2 }).decision).toEqual({ retry: false, reason: 'busy' });
    expect(decideRetry({ ...base, maxConcurrentRetries: 0 }).decision).toEqual({ retry: false, reason: 'busy' });
  });

  it('passes failures on while the breaker is open, and probes after maxDelayMs', () => {
    const open: BreakerState = { mode: 'open', failures: 5, since: 0 };
    expect(decideRetry({ ...base, breaker: open, now: 4999 })).toEqual({ decision: { retry: false, reason: 'breaker-open' }, breaker: open });
    const probe = decideRetry({ ...base, breaker: open, now: 5000 });
    expect(probe).toMatchObject({ decision: { retry: true }, breaker: { mode: 'half-open', since: 5000 }, change: 'half-open' });
  });

  it('does not spend the half-open probe on a request that could not retry anyway', () => {
    const open: BreakerState = { mode: 'open', failures: 5, since: 0 };
    expect(decideRetry({ ...base, breaker: open, now: 9000, waiting: 2 })).toEqual({ decision: { retry: false, reason: 'busy' }, breaker: open });
  });
});

describe('isLoopbackAddress', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'])('accepts %s', (address) => expect(isLoopbackAddress(address)).toBe(true));
  it.each(['10.0.0.5', '192.168.1.1', '::ffff:10.0.0.1', 'fe80::1', '0.0.0.0', '', undefined])('refuses %s', (address) =>
    expect(isLoopbackAddress(address)).toBe(false),
  );
});
