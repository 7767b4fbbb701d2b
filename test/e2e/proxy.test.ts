/**
 * The API retry proxy over real HTTP: against the fake model API and small purpose-built upstreams,
 * then with the real Claude Code and OpenCode CLIs talking through it.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, request } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { IncomingMessage, OutgoingHttpHeaders, RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli as runCliProcess, type CliRun } from '../support/run-cli.js';
import { startApiProxy } from '../../src/proxy/api-proxy.js';
import type { ApiProxy, ApiProxyOptions, ProxyLog, ProxyRetryPolicy } from '../../src/proxy/api-proxy.js';
import { startModelApi } from '../support/model-api.js';
import type { Fault, ModelApi } from '../support/model-api.js';
import { openCodeEnv, writeOpenCodeConfig } from '../support/opencode-config.js';

const FAST: ProxyRetryPolicy = { attempts: 4, initialDelayMs: 10, maxDelayMs: 2000, factor: 2 };
const BASH_TOOL = { name: 'Bash', description: 'Run a command', input_schema: { type: 'object' } };
const API_KEY = 'sk-proxy-test-secret';
const PROMPT_TEXT = 'a prompt that must never show in the log';
const run = promisify(execFile);

interface RecordingLog {
  log: ProxyLog;
  lines: string[];
  /** Resolves with the first line (already logged or still to come) matching the pattern. */
  waitFor(pattern: RegExp): Promise<string>;
}

function recordingLog(): RecordingLog {
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const add =
    (level: string) =>
    (message: string): void => {
      const line = `${level}: ${message}`;
      lines.push(line);
      for (const waiter of waiters.filter((candidate) => candidate.pattern.test(line))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    };
  return {
    log: { info: add('info'), warning: add('warning'), debug: add('debug') },
    lines,
    waitFor(pattern: RegExp): Promise<string> {
      const seen = lines.find((line) => pattern.test(line));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ pattern, resolve }));
    },
  };
}

function conversation(stream: boolean): string {
  return JSON.stringify({ model: 'claude-test', max_tokens: 100, stream, tools: [BASH_TOOL], messages: [{ role: 'user', content: PROMPT_TEXT }] });
}

function post(proxy: ApiProxy, options: { stream?: boolean; path?: string; headers?: Record<string, string> } = {}): Promise<Response> {
  return fetch(`${proxy.url}${options.path ?? '/v1/messages?beta=true'}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': API_KEY, 'anthropic-version': '2023-06-01', ...options.headers },
    body: conversation(options.stream ?? true),
  });
}

/** node:http rather than fetch where a test needs the raw chunks or headers fetch will not send. */
function rawPost(proxy: ApiProxy, headers: OutgoingHttpHeaders, chunks: string[]): Promise<IncomingMessage> {
  return new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(`${proxy.url}/v1/messages?beta=true`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': API_KEY, ...headers } });
    req.on('response', resolve).on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

function sseEvents(text: string): string[] {
  return [...text.matchAll(/^event: (.*)$/gm)].map((match) => match[1] ?? '');
}

/** A one-off upstream for what the model API does not do (hold a stream open, record raw requests). */
async function customUpstream(handler: RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

describe('the API proxy over HTTP', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function modelApi(faults: Fault[] = []): Promise<ModelApi> {
    const api = await startModelApi({ script: { steps: 3 }, faults });
    cleanups.push(() => api.close());
    return api;
  }

  async function proxyTo(upstream: string, options: Partial<ApiProxyOptions> = {}): Promise<{ proxy: ApiProxy; log: RecordingLog }> {
    const log = recordingLog();
    const proxy = await startApiProxy({ upstream, policy: FAST, log: log.log, ...options });
    cleanups.push(() => proxy.close());
    return { proxy, log };
  }

  const conversationRequests = (api: ModelApi): number => api.requests.filter((request) => request.kind === 'conversation').length;

  it('absorbs a 500 burst shorter than its attempts: the agent sees one normal SSE stream', async () => {
    const api = await modelApi([{ kind: 'http500', at: { request: 1 }, count: 2 }]);
    const { proxy, log } = await proxyTo(api.url);
    expect(proxy.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const response = await post(proxy);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = sseEvents(await response.text());
    expect(events[0]).toBe('message_start');
    expect(events.at(-1)).toBe('message_stop');

    expect(conversationRequests(api)).toBe(3);
    // Forwarded as sent: path with its query, the key, the body.
    expect(api.requests[0]).toMatchObject({ method: 'POST', path: '/v1/messages?beta=true', headers: { 'x-api-key': API_KEY } });
    expect(api.requests.map((request) => request.status)).toEqual([500, 500, 200]);
    expect(proxy.stats()).toEqual({
      requests: 1,
      retriedRequests: 1,
      retries: 2,
      recovered: 1,
      failuresByStatus: { '500': 2 },
      passedOnFailures: 0,
      waitMs: expect.any(Number) as unknown,
      lastRetryAfterMs: undefined,
      holds: [],
    });
    expect(log.lines).toContainEqual(expect.stringMatching(/^info: API proxy: POST \/v1\/messages answered 500 \(api_error\); retry 1\/3 in \d+ms$/));
    expect(log.lines).toContainEqual(expect.stringMatching(/^info: API proxy: POST \/v1\/messages answered 500 \(api_error\); retry 2\/3 in \d+ms$/));
    expect(log.lines).toContain('info: API proxy: POST /v1/messages recovered after 2 retries (200)');
    // Nothing from the request or the key in the log: method, path, status, attempt, delay only.
    expect(log.lines.join('\n')).not.toMatch(new RegExp(`${API_KEY}|${PROMPT_TEXT}|beta=true`));
  });

  it('passes on the last 500 as it was when the burst outlasts its attempts', async () => {
    const api = await modelApi([{ kind: 'http500', at: { request: 1 }, count: 10 }]);
    const { proxy, log } = await proxyTo(api.url, { policy: { ...FAST, attempts: 3 } });

    const response = await post(proxy);
    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    expect(await response.json()).toEqual({ type: 'error', error: { type: 'api_error', message: 'Internal server error' } });
    expect(conversationRequests(api)).toBe(3);
    expect(proxy.stats()).toMatchObject({ requests: 1, retriedRequests: 1, retries: 2, recovered: 0, failuresByStatus: { '500': 3 }, passedOnFailures: 1 });
    expect(log.lines).toContain('warning: API proxy: POST /v1/messages answered 500 (api_error) on attempt 3 of 3; passing it on to the agent');
  });

  it('honours retry-after on a 529 and a 429, capped by maxDelayMs', async () => {
    const api = await modelApi([
      { kind: 'http529', at: { request: 1 }, count: 1, retryAfterSeconds: 0.2 },
      { kind: 'http429', at: { request: 3 }, count: 1, retryAfterSeconds: 0.3 },
      { kind: 'http429', at: { request: 5 }, count: 1, retryAfterSeconds: 30 },
    ]);
    const { proxy, log } = await proxyTo(api.url, { policy: { ...FAST, maxDelayMs: 250 } });

    expect((await post(proxy)).status).toBe(200);
    expect(proxy.takeAttemptStats()).toMatchObject({ retries: 1, recovered: 1, failuresByStatus: { '529': 1 }, waitMs: 200, lastRetryAfterMs: 200 });
    expect(log.lines).toContainEqual(expect.stringMatching(/answered 529 \(overloaded_error\); retry 1\/3 in 200ms \(retry-after\)$/));

    expect((await post(proxy)).status).toBe(200);
    // 0.3 s is over the 250 ms cap; the hint itself is still reported as sent.
    expect(proxy.takeAttemptStats()).toMatchObject({ retries: 1, failuresByStatus: { '429': 1 }, waitMs: 250, lastRetryAfterMs: 300 });
    expect(log.lines).toContainEqual(expect.stringMatching(/answered 429 \(rate_limit_error\); retry 1\/3 in 250ms \(retry-after\)$/));

    const response = await post(proxy, { stream: false });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ type: 'message', role: 'assistant' });
    expect(proxy.takeAttemptStats()).toMatchObject({ requests: 1, waitMs: 250, lastRetryAfterMs: 30_000 });
    expect(proxy.stats()).toMatchObject({ requests: 3, retries: 3, recovered: 3, waitMs: 700, lastRetryAfterMs: 30_000 });
  });

  it('retries a connection reset before the response', async () => {
    const api = await modelApi([{ kind: 'reset-before-response', at: { request: 1 }, count: 1 }]);
    const { proxy, log } = await proxyTo(api.url);

    const response = await post(proxy);
    expect(response.status).toBe(200);
    expect(sseEvents(await response.text()).at(-1)).toBe('message_stop');
    expect(proxy.stats()).toMatchObject({ retries: 1, recovered: 1, failuresByStatus: { network: 1 }, passedOnFailures: 0 });
    expect(log.lines).toContainEqual(expect.stringMatching(/POST \/v1\/messages failed before a response \(ECONNRESET\); retry 1\/3 in/));
  });

  it('never retries once the answer has started: a reset mid-stream reaches the agent', async () => {
    const api = await modelApi([{ kind: 'reset-mid-stream', at: { request: 1 }, count: 1 }]);
    const { proxy, log } = await proxyTo(api.url);

    const response = await post(proxy);
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
    expect(conversationRequests(api)).toBe(1);
    expect(proxy.stats()).toMatchObject({ requests: 1, retries: 0, recovered: 0, failuresByStatus: { network: 1 }, passedOnFailures: 1 });
    expect(log.lines).toContainEqual(expect.stringMatching(/^warning: API proxy: POST \/v1\/messages broke off after the answer had started \(ECONNRESET\)/));
  });

  it.each([
    ['http400', 400, 'invalid_request_error'],
    ['http401', 401, 'authentication_error'],
  ] as const)('passes a %s through at once, with no retry', async (kind, status, type) => {
    const api = await modelApi([{ kind, at: { request: 1 }, count: 5 }]);
    const { proxy } = await proxyTo(api.url);

    const response = await post(proxy);
    expect(response.status).toBe(status);
    expect(await response.json()).toMatchObject({ type: 'error', error: { type } });
    expect(conversationRequests(api)).toBe(1);
    expect(proxy.stats()).toMatchObject({ requests: 1, retries: 0, retriedRequests: 0, failuresByStatus: { [String(status)]: 1 }, passedOnFailures: 0 });
  });

  it('hands a connection failure that outlasts its attempts back as a reset', async () => {
    const gone = await customUpstream((_req, res) => res.end());
    await gone.close();
    const { proxy, log } = await proxyTo(gone.url, { policy: { ...FAST, attempts: 2 } });

    await expect(post(proxy)).rejects.toThrow();
    expect(proxy.stats()).toMatchObject({ requests: 1, retries: 1, failuresByStatus: { network: 2 }, passedOnFailures: 1 });
    expect(log.lines).toContainEqual(expect.stringMatching(/failed before a response \(ECONNREFUSED\) on attempt 2 of 2; passing it on/));
  });

  it('treats missing response headers as a stall and retries', async () => {
    let calls = 0;
    const upstream = await customUpstream((req, res) => {
      calls += 1;
      // The first request is left hanging; the proxy's first-byte timeout has to cut it.
      if (calls > 1) void readBody(req).then(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
    });
    cleanups.push(() => upstream.close());
    const { proxy, log } = await proxyTo(upstream.url, { firstByteTimeoutMs: 100 });

    const response = await post(proxy, { stream: false });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect(proxy.stats()).toMatchObject({ retries: 1, recovered: 1, failuresByStatus: { timeout: 1 } });
    expect(log.lines).toContainEqual(expect.stringMatching(/sent no response headers within 100ms \(timeout\); retry 1\/3/));
  });

  it('retries an error answer whose body stalls, and sends basic auth from the upstream URL', async () => {
    const seen: (string | undefined)[] = [];
    const upstream = await customUpstream((req, res) => {
      seen.push(req.headers.authorization);
      void readBody(req).then(() => {
        if (seen.length > 1) res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
        // Headers and half a body, then nothing: only the proxy's timer can end this.
        else res.writeHead(503, { 'content-type': 'application/json' }).write('{"type":"err');
      });
    });
    cleanups.push(() => upstream.close());
    const { proxy, log } = await proxyTo(upstream.url.replace('http://', 'http://gw-user:p%40ss@'), { firstByteTimeoutMs: 100 });

    const response = await post(proxy, { stream: false });
    expect(response.status).toBe(200);
    expect(proxy.stats()).toMatchObject({ retries: 1, recovered: 1, failuresByStatus: { timeout: 1 } });
    expect(log.lines).toContainEqual(expect.stringMatching(/answered, then sent nothing more for 100ms \(timeout\); retry 1\/3/));
    expect(seen).toEqual([`Basic ${Buffer.from('gw-user:p@ss').toString('base64')}`, `Basic ${Buffer.from('gw-user:p@ss').toString('base64')}`]);
    expect(log.lines.join('\n')).not.toContain('p%40ss');
  });

  it('streams SSE through without buffering', async () => {
    let releaseRest: () => void = () => undefined;
    const rest = new Promise<void>((resolve) => (releaseRest = resolve));
    const upstream = await customUpstream((req, res) => {
      void readBody(req).then(async () => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('event: message_start\ndata: {"type":"message_start"}\n\n');
        // The last event only goes out once the client has shown it got the first one.
        await rest;
        res.end('event: message_stop\ndata: {"type":"message_stop"}\n\n');
      });
    });
    cleanups.push(async () => {
      releaseRest();
      await upstream.close();
    });
    const { proxy } = await proxyTo(upstream.url);

    const response = await rawPost(proxy, {}, [conversation(true)]);
    response.setEncoding('utf8');
    let text = '';
    let firstSeenAlone = false;
    response.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('message_start') && !text.includes('message_stop')) {
        firstSeenAlone = true;
        releaseRest();
      }
    });
    await new Promise((resolve, reject) => response.on('end', resolve).on('error', reject));
    expect(firstSeenAlone).toBe(true);
    expect(sseEvents(text)).toEqual(['message_start', 'message_stop']);
  }, 10_000);

  it('forwards to an upstream path prefix with the host fixed and hop-by-hop headers dropped', async () => {
    const seen: { url: string | undefined; headers: IncomingMessage['headers']; body: string }[] = [];
    const upstream = await customUpstream((req, res) => {
      void readBody(req).then((body) => {
        seen.push({ url: req.url, headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'application/json', connection: 'close', 'x-upstream': 'yes' }).end('{}');
      });
    });
    cleanups.push(() => upstream.close());
    const { proxy } = await proxyTo(`${upstream.url}/gateway/anthropic/`);

    const body = conversation(true);
    // Chunked in two writes: the proxy must still send one body with a content-length.
    const response = await rawPost(
      proxy,
      { authorization: 'Bearer token', connection: 'keep-alive, x-hop', 'x-hop': 'drop me', 'transfer-encoding': 'chunked' },
      [body.slice(0, 10), body.slice(10)],
    );
    response.resume();
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-upstream']).toBe('yes');
    expect(response.headers.connection).not.toBe('close');
    expect(seen).toHaveLength(1);
    expect(seen[0]?.url).toBe('/gateway/anthropic/v1/messages?beta=true');
    expect(seen[0]?.headers).toMatchObject({ host: new URL(upstream.url).host, 'x-api-key': API_KEY, authorization: 'Bearer token', 'content-type': 'application/json' });
    expect(seen[0]?.headers['x-hop']).toBeUndefined();
    expect(seen[0]?.headers['transfer-encoding']).toBeUndefined();
    expect(seen[0]?.headers['content-length']).toBe(String(Buffer.byteLength(conversation(true))));
    expect(seen[0]?.body).toBe(conversation(true));
  });

  it('talks to an https upstream, retrying there too', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'proxy-tls-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const [keyFile, certFile] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    await run('openssl', [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile],
      ...['-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
    ]);
    const cert = await readFile(certFile, 'utf8');
    // Trusted the way a real CA is, so the proxy's certificate checks stay on.
    const defaults = getCACertificates('default');
    setDefaultCACertificates([...defaults, cert]);
    cleanups.push(() => Promise.resolve(setDefaultCACertificates(defaults)));
    let calls = 0;
    const server = createHttpsServer({ key: await readFile(keyFile), cert }, (req, res) => {
      calls += 1;
      void readBody(req).then(() => {
        if (calls === 1) res.writeHead(503, { 'content-type': 'application/json' }).end('{"type":"error","error":{"type":"api_error","message":"x"}}');
        else res.writeHead(200, { 'content-type': 'application/json' }).end(`{"host":"${req.headers.host ?? ''}"}`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    const { port } = server.address() as AddressInfo;
    const { proxy } = await proxyTo(`https://127.0.0.1:${port}`);

    const response = await post(proxy, { stream: false });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ host: `127.0.0.1:${port}` });
    expect(proxy.stats()).toMatchObject({ retries: 1, recovered: 1, failuresByStatus: { '503': 1 } });
  });

  it('bounds how many requests wait at once, and the abort signal answers the waiting one with 503', async () => {
    const api = await modelApi([{ kind: 'http500', at: { request: 1 }, count: 100, retryAfterSeconds: 60 }]);
    const controller = new AbortController();
    const { proxy, log } = await proxyTo(api.url, { maxConcurrentRetries: 1, policy: { ...FAST, maxDelayMs: 60_000 }, signal: controller.signal });

    const first = post(proxy);
    await log.waitFor(/retry 1\/3 in 1m \(retry-after\)/);
    const second = await post(proxy);
    expect(second.status).toBe(500);
    expect(log.lines).toContain('warning: API proxy: POST /v1/messages answered 500 (api_error); a request is already waiting to retry; passing it on to the agent');

    controller.abort();
    const answer = await first;
    expect(answer.status).toBe(503);
    expect(await answer.json()).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    const stats = proxy.stats();
    expect(stats).toMatchObject({ requests: 2, retries: 1, retriedRequests: 1, passedOnFailures: 2, failuresByStatus: { '500': 2 } });
    expect(stats.waitMs).toBeLessThan(60_000);
    // After the abort, nothing more goes upstream.
    expect((await post(proxy)).status).toBe(503);
    expect(conversationRequests(api)).toBe(2);
  });

  it('opens the breaker after consecutive failed requests, and closes it on the next success', async () => {
    const api = await modelApi([{ kind: 'http500', at: { request: 1 }, count: 4 }]);
    const { proxy, log } = await proxyTo(api.url, { breakerThreshold: 2, policy: { ...FAST, attempts: 2 } });

    expect((await post(proxy)).status).toBe(500);
    expect((await post(proxy)).status).toBe(500);
    expect(log.lines).toContainEqual(expect.stringMatching(/^warning: API proxy: circuit breaker open after 2 consecutive failed requests/));
    expect(proxy.takeAttemptStats()).toMatchObject({ retries: 2, passedOnFailures: 2 });

    // Open: the next failure goes straight back, no retry.
    api.setFaults([{ kind: 'http500', at: { request: 1 }, count: 1 }]);
    expect((await post(proxy)).status).toBe(500);
    expect(proxy.takeAttemptStats()).toMatchObject({ requests: 1, retries: 0, passedOnFailures: 1 });
    expect(log.lines).toContainEqual(expect.stringMatching(/answered 500 \(api_error\); the circuit breaker is open; passing it on/));

    // A success closes it, and retrying resumes.
    expect((await post(proxy)).status).toBe(200);
    expect(log.lines).toContain('info: API proxy: circuit breaker closed; the upstream answered again');
    api.setFaults([{ kind: 'http500', at: { request: 1 }, count: 1 }]);
    expect((await post(proxy)).status).toBe(200);
    expect(proxy.takeAttemptStats()).toMatchObject({ requests: 2, retries: 1, recovered: 1, passedOnFailures: 0 });
  });

  it('refuses options it cannot work with', async () => {
    const log = recordingLog().log;
    await expect(startApiProxy({ upstream: 'ftp://127.0.0.1/', policy: FAST, log })).rejects.toThrow(/http or https/);
    await expect(startApiProxy({ upstream: 'not a url', policy: FAST, log })).rejects.toThrow(RangeError);
    await expect(startApiProxy({ upstream: 'http://127.0.0.1:1', policy: { ...FAST, attempts: 0 }, log })).rejects.toThrow(/attempts/);
  });

  it('closes promptly with a stream still open', async () => {
    const api = await modelApi([{ kind: 'stall', at: { request: 1 }, count: 1 }]);
    const { proxy } = await proxyTo(api.url);
    const response = await post(proxy);
    expect(response.status).toBe(200);
    const body = response.text();
    await proxy.close();
    await expect(body).rejects.toThrow();
  }, 10_000);
});

// --- The real CLIs through the proxy ---------------------------------------------------------

const CLAUDE = fileURLToPath(new URL('../../node_modules/.bin/claude', import.meta.url));
const OPENCODE = fileURLToPath(new URL('../../node_modules/.bin/opencode', import.meta.url));
const RUN_TIMEOUT_MS = 90_000;

type RunResult = CliRun;

const runCli = (command: string, args: string[], options: { cwd: string; env: Record<string, string> }): Promise<RunResult> =>
  runCliProcess(command, args, { ...options, timeoutMs: RUN_TIMEOUT_MS });

function describeRun(run: RunResult, log: RecordingLog): string {
  return `exit ${run.code} timedOut ${run.timedOut}\nproxy log:\n${log.lines.join('\n')}\nstderr: ${run.stderr.slice(-2000)}\nstdout: ${run.stdout.slice(-4000)}`;
}

describe('the real CLIs through the API proxy', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setUp(faults: Fault[]): Promise<{ root: string; repo: string; home: string; api: ModelApi; proxy: ApiProxy; log: RecordingLog }> {
    const root = await mkdtemp(join(tmpdir(), 'proxy-e2e-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const repo = join(root, 'repo');
    const home = join(root, 'home');
    await mkdir(repo);
    await mkdir(home);
    const env = { PATH: process.env.PATH ?? '', HOME: home, GIT_CONFIG_NOSYSTEM: '1' };
    await run('git', ['init', '-q'], { cwd: repo, env });
    await run('git', ['-c', 'user.name=Proxy', '-c', 'user.email=proxy@example.com', 'commit', '-q', '--allow-empty', '-m', 'init'], { cwd: repo, env });
    const api = await startModelApi({ script: { steps: 3 }, faults });
    cleanups.push(() => api.close());
    const log = recordingLog();
    const proxy = await startApiProxy({ upstream: api.url, policy: { attempts: 5, initialDelayMs: 20, maxDelayMs: 500, factor: 2 }, log: log.log });
    cleanups.push(() => proxy.close());
    return { root, repo, home, api, proxy, log };
  }

  async function marks(repo: string): Promise<string[]> {
    const text = await readFile(join(repo, 'progress.txt'), 'utf8').catch(() => '');
    return text.split('\n').filter((line) => line !== '');
  }

  it('claude finishes a 3-step task through a 500 burst at step 2 without retrying itself', async () => {
    const { root, repo, home, api, proxy, log } = await setUp([{ kind: 'http500', at: { step: 2 }, count: 3 }]);
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: home,
      ANTHROPIC_BASE_URL: proxy.url,
      ANTHROPIC_API_KEY: 'test-key',
      CLAUDE_CONFIG_DIR: join(root, 'claude-config'),
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      CLAUDE_CODE_MAX_RETRIES: '0',
      DISABLE_AUTOUPDATER: '1',
    };
    const args = ['-p', 'do the task', '--session-id', randomUUID(), '--output-format', 'stream-json', '--verbose', '--allowedTools', 'Bash'];
    const run = await runCli(CLAUDE, args, { cwd: repo, env });

    expect(run.code, describeRun(run, log)).toBe(0);
    expect(run.events.filter((event) => event.subtype === 'api_retry')).toEqual([]);
    expect(run.events.findLast((event) => event.type === 'result')).toMatchObject({ subtype: 'success', is_error: false, result: 'All 3 steps done.' });
    expect(await marks(repo)).toEqual(['step-1', 'step-2', 'step-3']);
    const steps = api.requests.filter((request) => request.kind === 'conversation').map((request) => request.step);
    expect(steps).toEqual([1, 2, 2, 2, 2, 3, 4]);
    expect(proxy.stats()).toMatchObject({ retriedRequests: 1, retries: 3, recovered: 1, failuresByStatus: { '500': 3 }, passedOnFailures: 0 });
  });

  it('opencode finishes a 3-step task through a 500 burst at step 2 without retrying itself', async () => {
    const { root, repo, home, api, proxy, log } = await setUp([{ kind: 'http500', at: { step: 2 }, count: 3 }]);
    const config = await writeOpenCodeConfig(join(root, 'opencode-config'), proxy.url, 'test-key');
    const env = { PATH: process.env.PATH ?? '', HOME: home, PWD: repo, ...openCodeEnv(join(root, 'opencode-state'), config) };
    const run = await runCli(OPENCODE, ['run', '--format', 'json', '--title', 't', 'do the task'], { cwd: repo, env });

    expect(run.timedOut, describeRun(run, log)).toBe(false);
    expect(run.code, describeRun(run, log)).toBe(0);
    expect(run.events.filter((event) => event.type === 'error')).toEqual([]);
    expect(run.events.findLast((event) => event.type === 'step_finish')).toMatchObject({ part: { reason: 'stop' } });
    expect(await marks(repo)).toEqual(['step-1', 'step-2', 'step-3']);
    const steps = api.requests.filter((request) => request.kind === 'conversation').map((request) => request.step);
    expect(steps).toEqual([1, 2, 2, 2, 2, 3, 4]);
    expect(proxy.stats()).toMatchObject({ retriedRequests: 1, retries: 3, recovered: 1, failuresByStatus: { '500': 3 }, passedOnFailures: 0 });
  });
});
