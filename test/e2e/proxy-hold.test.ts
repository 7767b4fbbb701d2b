/**
 * The outage hold over real HTTP: the proxy against the fake model API behind an outage front,
 * read by a plain client the way the agents read a stream.
 */
import { request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startApiProxy } from '../../src/proxy/api-proxy.js';
import type { ApiProxy, ApiProxyOptions, ProxyLog, ProxyRetryPolicy } from '../../src/proxy/api-proxy.js';
import { startModelApi } from '../support/model-api.js';
import type { ModelApi } from '../support/model-api.js';
import { startOutageUpstream } from '../support/outage-upstream.js';
import type { OutageUpstream } from '../support/outage-upstream.js';

const POLICY: ProxyRetryPolicy = { attempts: 2, initialDelayMs: 20, maxDelayMs: 100, factor: 2 };
const HOLD = { retryTimeMs: 60_000, pingIntervalMs: 40 };
const BASH_TOOL = { name: 'Bash', description: 'Run a command', input_schema: { type: 'object' } };

interface RecordingLog {
  log: ProxyLog;
  lines: string[];
  waitFor(pattern: RegExp, count?: number): Promise<void>;
}

function recordingLog(): RecordingLog {
  const lines: string[] = [];
  const waiters: { pattern: RegExp; count: number; resolve: () => void }[] = [];
  const matches = (pattern: RegExp): number => lines.filter((line) => pattern.test(line)).length;
  const add =
    (level: string) =>
    (message: string): void => {
      lines.push(`${level}: ${message}`);
      for (const waiter of waiters.filter((candidate) => matches(candidate.pattern) >= candidate.count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    };
  return {
    log: { info: add('info'), warning: add('warning'), debug: add('debug') },
    lines,
    waitFor(pattern, count = 1) {
      if (matches(pattern) >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ pattern, count, resolve }));
    },
  };
}

interface StreamRead {
  status: number;
  headers: IncomingMessage['headers'];
  events: { event: string; data: unknown }[];
  /** Milliseconds from the request to the end of its answer. */
  tookMs: number;
}

/** One Messages API call as an agent makes it, read to the end. */
function call(proxy: ApiProxy, options: { stream?: boolean; signal?: AbortSignal } = {}): Promise<StreamRead> {
  const started = Date.now();
  const body = JSON.stringify({ model: 'claude-test', max_tokens: 100, stream: options.stream ?? true, tools: [BASH_TOOL], messages: [{ role: 'user', content: 'go' }] });
  return new Promise((resolve, reject) => {
    const req = request(`${proxy.url}/v1/messages?beta=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-test', 'anthropic-version': '2023-06-01' },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('error', reject);
      res.on('end', () => {
        const events = text.includes('event:')
          ? text
              .split('\n\n')
              .filter((block) => block.trim() !== '')
              .map((block) => {
                const event = /^event: (.*)$/m.exec(block)?.[1] ?? '';
                const data = /^data: (.*)$/m.exec(block)?.[1] ?? 'null';
                return { event, data: JSON.parse(data) as unknown };
              })
          : [{ event: 'body', data: JSON.parse(text) as unknown }];
        resolve({ status: res.statusCode ?? 0, headers: res.headers, events, tookMs: Date.now() - started });
      });
    });
    req.end(body);
  });
}

describe('the outage hold', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setUp(options: Partial<ApiProxyOptions> = {}): Promise<{ api: ModelApi; front: OutageUpstream; proxy: ApiProxy; log: RecordingLog }> {
    const api = await startModelApi({ script: { steps: 3 } });
    cleanups.push(() => api.close());
    const front = await startOutageUpstream(api.url);
    cleanups.push(() => front.close());
    const log = recordingLog();
    const proxy = await startApiProxy({ upstream: front.url, policy: POLICY, hold: HOLD, log: log.log, ...options });
    cleanups.push(() => proxy.close());
    return { api, front, proxy, log };
  }

  it('answers a failing stream 200 with pings, then relays the upstream answer once it is back', async () => {
    const { front, proxy, log } = await setUp();
    front.fail('http500');
    const answer = call(proxy);
    await front.failedAtLeast(6);
    // Pings keep coming while the upstream is down.
    await log.waitFor(/holding it/);
    front.fail(undefined);
    const read = await answer;

    expect(read.status).toBe(200);
    expect(read.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(read.headers['x-durable-agent-hold']).toBe('1');
    const names = read.events.map((event) => event.event);
    expect(names[0]).toBe('ping');
    const start = names.indexOf('message_start');
    expect(start).toBeGreaterThan(0);
    expect(names.slice(0, start).every((name) => name === 'ping')).toBe(true);
    expect(read.events[0]?.data).toEqual({ type: 'ping' });
    expect(names.at(-1)).toBe('message_stop');

    const [hold] = proxy.stats().holds;
    expect(hold).toMatchObject({ finalStatus: '200' });
    expect(hold?.tries).toBe(front.failed + 1);
    expect(proxy.stats()).toMatchObject({ requests: 1, recovered: 1, passedOnFailures: 0, retriedRequests: 1, retries: front.failed });
    expect(log.lines).toContainEqual(expect.stringMatching(/^warning: API proxy: POST \/v1\/messages answered 500 \(api_error\) after 2 tries; holding it .* for up to 1m in all$/));
    expect(log.lines).toContainEqual(expect.stringMatching(/^info: API proxy: POST \/v1\/messages hold ended: the upstream answered 200 \(held \S+, \d+ upstream tries\); relaying its answer$/));
  });

  it('keeps today\'s behaviour for a request that is not streamed: the failure goes back as it was', async () => {
    const { front, proxy, log } = await setUp();
    front.fail('http500');
    const read = await call(proxy, { stream: false });
    expect(read.status).toBe(500);
    expect(read.events[0]?.data).toEqual({ type: 'error', error: { type: 'api_error', message: 'Internal server error' } });
    expect(front.failed).toBe(POLICY.attempts);
    expect(proxy.stats().holds).toEqual([]);
    expect(log.lines.join('\n')).not.toMatch(/holding/);
  });

  it('relays a fatal answer during a hold as an SSE error event with the API\'s error', async () => {
    const { front, proxy, log } = await setUp();
    front.fail('http500');
    const answer = call(proxy);
    await log.waitFor(/holding it/);
    front.fail('http401');
    const read = await answer;
    expect(read.status).toBe(200);
    expect(read.events.at(-1)).toEqual({ event: 'error', data: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } } });
    expect(read.events.slice(0, -1).every((event) => event.event === 'ping')).toBe(true);
    expect(proxy.stats().holds[0]).toMatchObject({ finalStatus: '401' });
    expect(log.lines).toContainEqual(expect.stringMatching(/hold ended: the upstream answered 401 .*passed on to the agent as an error event$/));
  });

  it.each([
    ['http500', 'api_error', 'gave up (500)'],
    ['http529', 'overloaded_error', 'gave up (529)'],
  ] as const)('ends a hold whose api_retry_time ran out with an error event (%s)', async (kind, type, finalStatus) => {
    const { front, proxy, log } = await setUp({ hold: { ...HOLD, retryTimeMs: 600 } });
    front.fail(kind);
    const read = await call(proxy);
    expect(read.status).toBe(200);
    const last = read.events.at(-1);
    expect(last?.event).toBe('error');
    expect(last?.data).toMatchObject({ type: 'error', error: { type } });
    expect(JSON.stringify(last?.data)).toMatch(/api_retry_time/);
    // It gave up on time: api_retry_time counts from the first try, and one try is short.
    expect(read.tookMs).toBeLessThan(5_000);
    expect(proxy.stats()).toMatchObject({ passedOnFailures: 1 });
    expect(proxy.stats().holds[0]).toMatchObject({ finalStatus });
    expect(log.lines).toContainEqual(expect.stringMatching(/hold ended: api_retry_time is used up/));
  });

  it('bounds the whole outage by api_retry_time: a request retried after a hold gave up is not held again', async () => {
    const { front, proxy, log } = await setUp({ hold: { ...HOLD, retryTimeMs: 600 } });
    front.fail('http500');
    expect((await call(proxy)).events.at(-1)?.event).toBe('error');
    // The agent's own retry of the same request, in the same outage: today's behaviour.
    const retried = await call(proxy);
    expect(retried.status).toBe(500);
    expect(proxy.stats().holds).toHaveLength(1);
    // Once the upstream has answered, the next outage is held again.
    front.fail(undefined);
    expect((await call(proxy)).status).toBe(200);
    front.fail('http500');
    expect((await call(proxy)).events.at(-1)).toMatchObject({ event: 'error', data: { error: { type: 'api_error' } } });
    expect(proxy.stats().holds.map((hold) => hold.finalStatus)).toEqual(['gave up (500)', 'gave up (500)']);
    expect(log.lines.filter((line) => /holding it/.test(line))).toHaveLength(2);
  });

  it('probes the upstream one request at a time across every hold, and wakes them all on recovery', async () => {
    const { front, proxy, log } = await setUp({ policy: { ...POLICY, attempts: 1 } });
    // Slow failures, so that probes would overlap if they were not taking turns.
    front.fail('http500', { delayMs: 60 });
    const answers = [call(proxy), call(proxy), call(proxy)];
    await log.waitFor(/holding it/, 3);
    front.resetConcurrency();
    const before = front.failed;
    await front.failedAtLeast(before + 9);
    expect(front.maxConcurrent).toBe(1);
    front.fail(undefined);
    const reads = await Promise.all(answers);
    for (const read of reads) expect(read.events.at(-1)?.event).toBe('message_stop');
    expect(proxy.stats().holds.map((hold) => hold.finalStatus)).toEqual(['200', '200', '200']);
  });

  it('holds streaming requests while the breaker is open instead of failing them through', async () => {
    const { front, proxy, log } = await setUp({ breakerThreshold: 1 });
    front.fail('http500');
    // A request that is not streamed fails as before and opens the breaker.
    expect((await call(proxy, { stream: false })).status).toBe(500);
    await log.waitFor(/circuit breaker open .*of streaming requests are held/);
    const answer = call(proxy);
    await log.waitFor(/the circuit breaker is open|holding it/);
    expect(log.lines).toContainEqual(expect.stringMatching(/answered 500 \(api_error\) after 1 try; holding it/));
    front.fail(undefined);
    const read = await answer;
    expect(read.events.at(-1)?.event).toBe('message_stop');
    expect(log.lines).toContain('info: API proxy: circuit breaker closed; the upstream answered again');
  });

  it('ends every hold at once when the proxy is cancelled', async () => {
    const controller = new AbortController();
    const { front, proxy, log } = await setUp({ signal: controller.signal, policy: { ...POLICY, attempts: 1, maxDelayMs: 60_000, initialDelayMs: 30_000 } });
    front.fail('http500');
    const answers = [call(proxy), call(proxy)];
    await log.waitFor(/holding it/, 2);
    const cancelled = Date.now();
    controller.abort();
    const reads = await Promise.all(answers);
    expect(Date.now() - cancelled).toBeLessThan(2_000);
    for (const read of reads) expect(read.events.at(-1)).toMatchObject({ event: 'error', data: { error: { type: 'api_error' } } });
    expect(proxy.stats().holds.map((hold) => hold.finalStatus)).toEqual(['cancelled', 'cancelled']);
  });

  it('stops probing when the agent closes a held stream', async () => {
    const { front, proxy, log } = await setUp();
    front.fail('http500');
    const controller = new AbortController();
    const answer = call(proxy, { signal: controller.signal });
    await log.waitFor(/holding it/);
    controller.abort();
    await expect(answer).rejects.toThrow();
    await log.waitFor(/hold ended: the agent closed the connection/);
    const failed = front.failed;
    // The backoff is at most 100 ms: several probes would have gone out by now.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(front.failed).toBe(failed);
    expect(proxy.stats().holds[0]).toMatchObject({ finalStatus: 'agent left' });
  });
});
