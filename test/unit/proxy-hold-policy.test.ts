import { describe, expect, it } from 'vitest';
import {
  agentRequestTimeoutMs,
  DEFAULT_PING_INTERVAL_MS,
  describeHoldEnd,
  errorTypeForStatus,
  fatalAnswerEvent,
  gaveUpEvent,
  holdDelayMs,
  isStreamingRequest,
  nextHoldStep,
  PING_EVENT,
  pingIntervalFrom,
  shouldHold,
} from '../../src/proxy/hold-policy.js';
import type { HoldQuestion } from '../../src/proxy/hold-policy.js';
import type { ProxyRetryPolicy } from '../../src/proxy/retry-decision.js';

const policy: ProxyRetryPolicy = { attempts: 5, initialDelayMs: 1000, maxDelayMs: 30_000, factor: 2 };
const hold = { retryTimeMs: 1_800_000, pingIntervalMs: 10_000 };
const body = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

/** The data line of an SSE event, parsed. */
function data(event: string): unknown {
  const line = event.split('\n').find((candidate) => candidate.startsWith('data: '));
  return JSON.parse(line?.slice('data: '.length) ?? 'null');
}

describe('isStreamingRequest', () => {
  it('is true only for a JSON object with stream: true', () => {
    expect(isStreamingRequest(body({ model: 'm', stream: true, messages: [] }))).toBe(true);
    expect(isStreamingRequest(body({ model: 'm', stream: false }))).toBe(false);
    expect(isStreamingRequest(body({ model: 'm' }))).toBe(false);
    expect(isStreamingRequest(body({ stream: 'true' }))).toBe(false);
    expect(isStreamingRequest(body([{ stream: true }]))).toBe(false);
    // A message that merely talks about streams is not a streaming request.
    expect(isStreamingRequest(body({ messages: [{ role: 'user', content: '"stream": true' }] }))).toBe(false);
    expect(isStreamingRequest(Buffer.from('{"stream": true'))).toBe(false);
    expect(isStreamingRequest(Buffer.alloc(0))).toBe(false);
  });
});

describe('shouldHold', () => {
  const question: HoldQuestion = {
    failure: { kind: 'status', status: 500, errorType: 'api_error' },
    reason: 'exhausted',
    streaming: true,
    policy: hold,
    elapsedMs: 60_000,
  };

  it('holds a streaming request whose transient failure outlasted its tries', () => {
    expect(shouldHold(question)).toBe(true);
    for (const status of [429, 500, 502, 503, 504, 529]) expect(shouldHold({ ...question, failure: { kind: 'status', status } })).toBe(true);
    expect(shouldHold({ ...question, failure: { kind: 'network', code: 'ECONNREFUSED' } })).toBe(true);
    expect(shouldHold({ ...question, failure: { kind: 'timeout', afterMs: 120_000 } })).toBe(true);
  });

  it('holds requests the breaker or the concurrency bound turned away', () => {
    expect(shouldHold({ ...question, reason: 'breaker-open' })).toBe(true);
    expect(shouldHold({ ...question, reason: 'busy' })).toBe(true);
  });

  it('never holds a fatal answer, a request that is not streamed, or past api_retry_time', () => {
    for (const status of [400, 401, 403, 404, 413]) expect(shouldHold({ ...question, failure: { kind: 'status', status }, reason: 'not-retryable' })).toBe(false);
    expect(shouldHold({ ...question, reason: 'not-retryable' })).toBe(false);
    expect(shouldHold({ ...question, streaming: false })).toBe(false);
    expect(shouldHold({ ...question, elapsedMs: hold.retryTimeMs })).toBe(false);
    expect(shouldHold({ ...question, policy: { ...hold, retryTimeMs: 0 }, elapsedMs: 0 })).toBe(false);
  });
});

describe('holdDelayMs', () => {
  it('grows with the retry number up to api_max_delay, jittered over the upper half', () => {
    expect(holdDelayMs(policy, 1, undefined, () => 0)).toBe(500);
    expect(holdDelayMs(policy, 1, undefined, () => 1)).toBe(1000);
    expect(holdDelayMs(policy, 4, undefined, () => 0)).toBe(4000);
    expect(holdDelayMs(policy, 30, undefined, () => 0)).toBe(15_000);
    expect(holdDelayMs(policy, 30, undefined, () => 1)).toBe(30_000);
  });

  it('never spins: a retry-after of 0 still waits the backoff floor', () => {
    expect(holdDelayMs(policy, 3, 0, () => 0)).toBe(2000);
    expect(holdDelayMs({ ...policy, initialDelayMs: 0 }, 3, 0, () => 0)).toBe(0);
  });

  it('waits at least what retry-after asks, within api_max_delay', () => {
    expect(holdDelayMs(policy, 1, 20_000, () => 0)).toBe(20_000);
    expect(holdDelayMs(policy, 1, 3_600_000, () => 0)).toBe(30_000);
  });
});

describe('nextHoldStep', () => {
  it('waits the delay while time is left, the rest of it near the end, then gives up', () => {
    expect(nextHoldStep({ elapsedMs: 0, retryTimeMs: 60_000, delayMs: 5000 })).toEqual({ kind: 'wait', ms: 5000 });
    expect(nextHoldStep({ elapsedMs: 58_000, retryTimeMs: 60_000, delayMs: 5000 })).toEqual({ kind: 'wait', ms: 2000 });
    expect(nextHoldStep({ elapsedMs: 60_000, retryTimeMs: 60_000, delayMs: 5000 })).toEqual({ kind: 'give-up' });
    expect(nextHoldStep({ elapsedMs: 70_000, retryTimeMs: 60_000, delayMs: 0 })).toEqual({ kind: 'give-up' });
  });
});

describe('the events of a held stream', () => {
  it('pings as the Messages API does', () => {
    expect(PING_EVENT).toBe('event: ping\ndata: {"type": "ping"}\n\n');
  });

  it('relays a fatal answer as an error event with the API\'s own error object', () => {
    const event = fatalAnswerEvent(401, '{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}');
    expect(event.startsWith('event: error\ndata: ')).toBe(true);
    expect(event.endsWith('\n\n')).toBe(true);
    expect(data(event)).toEqual({ type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } });
  });

  it('keeps a pretty-printed body on one data line', () => {
    const event = fatalAnswerEvent(400, JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: 'bad' } }, null, 2));
    expect(event.split('\n')).toHaveLength(4);
    expect(data(event)).toMatchObject({ error: { type: 'invalid_request_error' } });
  });

  it('makes up the standard error for a body that is not the API\'s', () => {
    expect(data(fatalAnswerEvent(403, '<html>Forbidden</html>'))).toEqual({ type: 'error', error: { type: 'permission_error', message: 'The model API answered 403.' } });
    expect(data(fatalAnswerEvent(401, '{"message":"no"}'))).toMatchObject({ error: { type: 'authentication_error' } });
  });

  it('maps statuses to the API\'s error types', () => {
    expect([400, 401, 402, 403, 404, 413, 429, 500, 503, 529, 418].map(errorTypeForStatus)).toEqual([
      'invalid_request_error',
      'authentication_error',
      'billing_error',
      'permission_error',
      'not_found_error',
      'request_too_large',
      'rate_limit_error',
      'api_error',
      'api_error',
      'overloaded_error',
      'invalid_request_error',
    ]);
  });

  it('ends a hold that ran out with the last failure\'s type, so the agent fails transiently', () => {
    const seconds = (ms: number): string => `${ms / 1000}s`;
    expect(data(gaveUpEvent({ kind: 'status', status: 529 }, 60_000, 12, seconds))).toEqual({
      type: 'error',
      error: { type: 'overloaded_error', message: 'The model API answered 529 on each of 12 tries over 60s (durable-agent held the request up to api_retry_time).' },
    });
    expect(data(gaveUpEvent({ kind: 'network', code: 'ECONNREFUSED' }, 1000, 2, seconds))).toMatchObject({ error: { type: 'api_error', message: expect.stringMatching(/could not be reached \(ECONNREFUSED\)/) as unknown } });
    expect(data(gaveUpEvent({ kind: 'timeout', afterMs: 5 }, 1000, 2, seconds))).toMatchObject({ error: { type: 'api_error' } });
  });

  it('names how a hold ended', () => {
    expect(describeHoldEnd({ kind: 'answered', status: 200 })).toBe('200');
    expect(describeHoldEnd({ kind: 'answered', status: 401 })).toBe('401');
    expect(describeHoldEnd({ kind: 'gave-up', failure: { kind: 'status', status: 500 } })).toBe('gave up (500)');
    expect(describeHoldEnd({ kind: 'gave-up', failure: { kind: 'network', code: 'ECONNRESET' } })).toBe('gave up (network)');
    expect(describeHoldEnd({ kind: 'cancelled' })).toBe('cancelled');
    expect(describeHoldEnd({ kind: 'agent-left' })).toBe('agent left');
  });
});

describe('settings of the hold', () => {
  it('reads the ping interval from the environment, within bounds', () => {
    expect(pingIntervalFrom(undefined)).toBe(DEFAULT_PING_INTERVAL_MS);
    expect(pingIntervalFrom('250')).toBe(250);
    expect(pingIntervalFrom(' 1000 ')).toBe(1000);
    expect(pingIntervalFrom('0')).toBe(DEFAULT_PING_INTERVAL_MS);
    expect(pingIntervalFrom('600000')).toBe(DEFAULT_PING_INTERVAL_MS);
    expect(pingIntervalFrom('10s')).toBe(DEFAULT_PING_INTERVAL_MS);
  });

  it('gives the agent a request bound beyond the hold', () => {
    expect(agentRequestTimeoutMs(1_800_000)).toBe(2_400_000);
    expect(agentRequestTimeoutMs(0)).toBe(600_000);
  });
});
