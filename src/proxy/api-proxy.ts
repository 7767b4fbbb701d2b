/**
 * Layer 1 of durable-agent: a reverse proxy on 127.0.0.1 between the agent and the model API that
 * retries a failed call before the agent ever sees it, so one 500 does not cost the agent its turn.
 * It only retries while nothing of the answer has reached the agent; after that the agent's own
 * retry is the right one, because only the agent knows what it has already consumed.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import pRetry from 'p-retry';
import { formatDuration } from '../format.js';
import type { Log } from '../report/log.js';
import { agentResponseHeaders, pathForLog, upstreamPath, upstreamRequestHeaders } from './headers.js';
import { describeHoldEnd, isStreamingRequest, shouldHold } from './hold-policy.js';
import type { HoldPolicy } from './hold-policy.js';
import { holdRequest, ProbeGate, relayHeldAnswer } from './outage-hold.js';
import type { ProbeResult } from './outage-hold.js';
import {
  breakerRecord,
  CLOSED_BREAKER,
  decideRetry,
  describeFailure,
  errorTypeOf,
  failureKey,
  isLoopbackAddress,
  isRetryableStatus,
  parseRetryAfterMs,
} from './retry-decision.js';
import type { BreakerChange, BreakerState, PassOnReason, ProxyRetryPolicy, UpstreamFailureKind } from './retry-decision.js';
import { StatsRecorder } from './stats.js';
import { isMessagesPath } from './turn-gate.js';
import type { ProxyStats } from './stats.js';
import { UpstreamClient, UpstreamHeadTimeout } from './upstream-client.js';
import type { UpstreamAnswer } from './upstream-client.js';

export type { ProxyRetryPolicy } from './retry-decision.js';
export type { HoldRecord, ProxyStats } from './stats.js';
export type { HoldPolicy } from './hold-policy.js';

/** What the proxy writes to: the run's log, narrowed. */
export type ProxyLog = Pick<Log, 'info' | 'warning' | 'debug'>;

export interface ApiProxy {
  /** `http://127.0.0.1:PORT`: what ANTHROPIC_BASE_URL becomes. */
  readonly url: string;
  /** Totals since start. */
  stats(): ProxyStats;
  /** Stats since the previous call (per agent attempt); starts a new window. */
  takeAttemptStats(): ProxyStats;
  /** Prompt, even with open streams. */
  close(): Promise<void>;
}

export interface ApiProxyOptions {
  /** e.g. https://api.anthropic.com or http://127.0.0.1:1234; may have a path prefix. */
  upstream: string;
  policy: ProxyRetryPolicy;
  /** No response headers from the upstream for this long counts as a stall and is retried. Default 120000. */
  firstByteTimeoutMs?: number;
  /** Global bound on requests in backoff at once; beyond it failures go straight back. Default 8. */
  maxConcurrentRetries?: number;
  /** Consecutive requests that failed even after their retries before the breaker opens. Default 5. */
  breakerThreshold?: number;
  log: ProxyLog;
  /** Aborting ends backoff waits at once and answers pending requests with 503. */
  signal?: AbortSignal;
  /** Awaited once per agent request to /v1/messages before its first upstream send (turn-boundary checkpoints hold it here). */
  beforeForward?: (request: { body: Buffer; path: string }) => Promise<void>;
  /**
   * Outage hold: a streaming request whose tries are used up is answered 200 with SSE pings while
   * the proxy keeps probing the upstream. Absent or retryTimeMs 0: failures go back to the agent.
   */
  hold?: HoldPolicy;
}

interface Settings {
  upstream: URL;
  policy: ProxyRetryPolicy;
  firstByteTimeoutMs: number;
  maxConcurrentRetries: number;
  breakerThreshold: number;
  log: ProxyLog;
  beforeForward: ApiProxyOptions['beforeForward'];
  hold: HoldPolicy;
}

interface Upstream {
  url: URL;
  client: UpstreamClient;
}

interface Outgoing {
  method: string;
  path: string;
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

/** The upstream's answer, kept whole so the agent can get it exactly as sent when retrying gives up. */
interface BufferedAnswer {
  status: number;
  statusMessage: string;
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

/** One failed upstream try; thrown into p-retry. */
class UpstreamFailure extends Error {
  constructor(
    readonly failure: UpstreamFailureKind,
    readonly answer?: BufferedAnswer,
    readonly hintMs?: number,
  ) {
    super(describeFailure(failure));
    this.name = 'UpstreamFailure';
  }
}

interface RequestState {
  readonly label: string;
  retries: number;
  passOn: PassOnReason | undefined;
  /** performance.now() of the first upstream try. */
  firstTryAt: number;
}

export async function startApiProxy(options: ApiProxyOptions): Promise<ApiProxy> {
  const settings = validate(options);
  const url = settings.upstream;
  // Keep-alive, like the agent's own client, so retries and the next turn skip the handshake.
  const upstream: Upstream = { url, client: new UpstreamClient(url) };
  const lifetime = new AbortController();
  const onExternalAbort = (): void => lifetime.abort(options.signal?.reason);
  if (options.signal?.aborted) onExternalAbort();
  else options.signal?.addEventListener('abort', onExternalAbort, { once: true });

  const core = new ProxyCore(settings, upstream, lifetime.signal);
  const server = createServer((req, res) => {
    core.handle(req, res).catch((error: unknown) => {
      settings.log.debug(`API proxy: ${req.method ?? 'GET'} ${pathForLog(req.url ?? '/')} ended inside the proxy (${errorCode(error)})`);
      res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  settings.log.debug(`API proxy: listening on 127.0.0.1:${port} for ${url.origin}`);

  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    stats: () => core.stats.total(),
    takeAttemptStats: () => core.stats.take(),
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        options.signal?.removeEventListener('abort', onExternalAbort);
        lifetime.abort(new Error('API proxy closed'));
        server.close(() => resolve());
        // Streams to the agent and idle keep-alive sockets would otherwise hold close() open.
        server.closeAllConnections();
        upstream.client.destroy();
      });
      return closing;
    },
  };
}

function validate(options: ApiProxyOptions): Settings {
  const { policy } = options;
  const check = (ok: boolean, what: string): void => {
    if (!ok) throw new RangeError(`API proxy: ${what}`);
  };
  check(Number.isInteger(policy.attempts) && policy.attempts >= 1, `policy.attempts must be an integer >= 1, got ${policy.attempts}`);
  check(Number.isFinite(policy.initialDelayMs) && policy.initialDelayMs >= 0, `policy.initialDelayMs must be >= 0, got ${policy.initialDelayMs}`);
  check(Number.isFinite(policy.maxDelayMs) && policy.maxDelayMs >= 0, `policy.maxDelayMs must be >= 0, got ${policy.maxDelayMs}`);
  check(Number.isFinite(policy.factor) && policy.factor > 0, `policy.factor must be > 0, got ${policy.factor}`);
  let upstream: URL;
  try {
    upstream = new URL(options.upstream);
  } catch {
    // Not echoed: a gateway URL can carry credentials.
    throw new RangeError('API proxy: upstream is not a valid URL');
  }
  check(upstream.protocol === 'http:' || upstream.protocol === 'https:', `upstream must be http or https, got ${upstream.protocol}`);
  const settings: Settings = {
    upstream,
    policy: { ...policy },
    firstByteTimeoutMs: options.firstByteTimeoutMs ?? 120_000,
    maxConcurrentRetries: options.maxConcurrentRetries ?? 8,
    breakerThreshold: options.breakerThreshold ?? 5,
    log: options.log,
    beforeForward: options.beforeForward,
    hold: { retryTimeMs: options.hold?.retryTimeMs ?? 0, pingIntervalMs: options.hold?.pingIntervalMs ?? 10_000 },
  };
  check(Number.isFinite(settings.firstByteTimeoutMs) && settings.firstByteTimeoutMs > 0, `firstByteTimeoutMs must be > 0, got ${settings.firstByteTimeoutMs}`);
  check(Number.isInteger(settings.maxConcurrentRetries) && settings.maxConcurrentRetries >= 0, `maxConcurrentRetries must be an integer >= 0`);
  check(Number.isInteger(settings.breakerThreshold) && settings.breakerThreshold >= 1, `breakerThreshold must be an integer >= 1`);
  check(Number.isFinite(settings.hold.retryTimeMs) && settings.hold.retryTimeMs >= 0, `hold.retryTimeMs must be >= 0, got ${settings.hold.retryTimeMs}`);
  check(Number.isFinite(settings.hold.pingIntervalMs) && settings.hold.pingIntervalMs > 0, `hold.pingIntervalMs must be > 0, got ${settings.hold.pingIntervalMs}`);
  return settings;
}

class ProxyCore {
  readonly stats = new StatsRecorder();
  // Shared by every request of this proxy: that is what makes them a bound and a breaker.
  #breaker: BreakerState = CLOSED_BREAKER;
  #waiting = 0;
  readonly #gate = new ProbeGate();
  /**
   * performance.now() of the first try of the first request held in the current outage, until the
   * upstream answers again. api_retry_time bounds the outage, not each request: an agent that
   * retries a request whose hold gave up must not be held for another api_retry_time.
   */
  #outageSince: number | undefined;

  constructor(
    private readonly settings: Settings,
    private readonly upstream: Upstream,
    private readonly lifetime: AbortSignal,
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { log } = this.settings;
    if (!isLoopbackAddress(req.socket.remoteAddress)) {
      log.warning(`API proxy: refused a request from ${req.socket.remoteAddress ?? 'an unknown address'} (loopback only)`);
      req.resume();
      sendError(res, 403, 'permission_error', 'The durable-agent API proxy serves loopback clients only.');
      return;
    }
    this.stats.request();
    const method = req.method ?? 'GET';
    const request: RequestState = { label: `${method} ${pathForLog(req.url ?? '/')}`, retries: 0, passOn: undefined, firstTryAt: performance.now() };
    // Buffered once: every retry has to send the same bytes again.
    const body = await readAll(req);
    const { beforeForward } = this.settings;
    if (beforeForward && method === 'POST' && isMessagesPath(req.url ?? '/')) await beforeForward({ body, path: req.url ?? '/' });
    if (this.lifetime.aborted) {
      this.#shutdownAnswer(res, request);
      return;
    }
    const clientGone = new AbortController();
    // The proxy closing or the agent leaving, as a plain signal: a listener on one from
    // AbortSignal.any cost about 15 µs per request, on the path every answer waits for.
    const stop = new AbortController();
    const onClosing = (): void => stop.abort(this.lifetime.reason);
    this.lifetime.addEventListener('abort', onClosing, { once: true });
    res.once('close', () => {
      if (res.writableFinished) return;
      const reason = new Error('the agent closed the connection');
      clientGone.abort(reason);
      stop.abort(reason);
    });
    try {
      await this.#answer(req, res, request, body, clientGone.signal, stop.signal);
    } finally {
      this.lifetime.removeEventListener('abort', onClosing);
    }
  }

  /** The request from its first upstream try to the end of its answer. */
  async #answer(req: IncomingMessage, res: ServerResponse, request: RequestState, body: Buffer, clientGone: AbortSignal, signal: AbortSignal): Promise<void> {
    const { policy } = this.settings;
    const method = req.method ?? 'GET';
    const outgoing: Outgoing = {
      method,
      path: upstreamPath(this.upstream.url.pathname, req.url ?? '/'),
      headers: upstreamRequestHeaders(req.headers, this.upstream.url.host, body.length),
      body,
    };

    let response: UpstreamAnswer;
    // From here, not from the request's arrival: whatever ran before the first send is not the outage's time.
    request.firstTryAt = performance.now();
    try {
      response = await pRetry(() => this.#tryOnce(outgoing, signal), {
        retries: policy.attempts - 1,
        // The waits are ours (full jitter, retry-after, the concurrency bound), taken in shouldRetry.
        minTimeout: 0,
        factor: 1,
        signal,
        shouldRetry: ({ error, attemptNumber }) => this.#retryAfterWait(error, attemptNumber, request, signal),
      });
    } catch (error) {
      if (clientGone.aborted) return;
      if (this.lifetime.aborted) {
        this.#shutdownAnswer(res, request);
        return;
      }
      if (error instanceof UpstreamFailure) {
        if (this.#mayHold(error, request, body)) {
          await this.#hold(error, request, outgoing, res, clientGone);
          return;
        }
        this.#passOn(error, request, res);
        return;
      }
      throw error;
    }
    await this.#forward(response, res, request, clientGone);
  }

  #mayHold(error: UpstreamFailure, request: RequestState, body: Buffer): boolean {
    return shouldHold({
      failure: error.failure,
      reason: request.passOn ?? 'exhausted',
      // Parsed only now that the request has failed: the common path never reads the body.
      streaming: isStreamingRequest(body),
      policy: this.settings.hold,
      elapsedMs: performance.now() - this.#holdClock(request),
    });
  }

  /** Where api_retry_time counts from for this request. */
  #holdClock(request: RequestState): number {
    return Math.min(request.firstTryAt, this.#outageSince ?? Number.POSITIVE_INFINITY);
  }

  /** The outage hold: the agent reads pings on a 200 stream while the upstream is probed. */
  async #hold(error: UpstreamFailure, request: RequestState, outgoing: Outgoing, res: ServerResponse, clientGone: AbortSignal): Promise<void> {
    const { log, hold, firstByteTimeoutMs } = this.settings;
    const startedAt = Date.now();
    const clock = this.#holdClock(request);
    this.#outageSince = clock;
    log.warning(
      `API proxy: ${request.label} ${describeFailure(error.failure)} after ${request.retries + 1} ${request.retries === 0 ? 'try' : 'tries'}; holding it (the agent reads a stream of pings) and retrying for up to ${formatDuration(hold.retryTimeMs)} in all${clock < request.firstTryAt ? ' (the outage started earlier)' : ''}`,
    );
    // The held stream's headers promise plain text: ask the upstream for an unencoded answer.
    const probeRequest: Outgoing = { ...outgoing, headers: { ...outgoing.headers, 'accept-encoding': 'identity' } };
    const probe = async (signal: AbortSignal): Promise<ProbeResult> => {
      try {
        return { kind: 'answer', response: await this.#tryOnce(probeRequest, signal) };
      } catch (failure) {
        if (failure instanceof UpstreamFailure) return { kind: 'failure', failure: failure.failure, hintMs: failure.hintMs };
        throw failure;
      }
    };
    const result = await holdRequest({
      res,
      policy: this.settings.policy,
      hold,
      gate: this.#gate,
      probe,
      readText: async (response, signal) => {
        try {
          return decodeForLog(await readAnswer(response, firstByteTimeoutMs, signal), response.headers['content-encoding']);
        } catch {
          return '';
        }
      },
      failure: error.failure,
      hintMs: error.hintMs,
      firstTryAt: clock,
      triesBefore: request.retries + 1,
      lifetime: this.lifetime,
      clientGone,
      random: Math.random,
    });
    const { end } = result;
    // Each probe is one more upstream try of the request: the totals count them as retries.
    const probes = result.tries - (request.retries + 1);
    for (let probe = 0; probe < probes; probe += 1) this.stats.retry(request.retries === 0 && probe === 0);
    const finalStatus = describeHoldEnd(end);
    this.stats.hold({ startedAt, durationMs: result.durationMs, tries: result.tries, finalStatus });
    const summary = `held ${formatDuration(result.durationMs)}, ${result.tries} upstream tries`;
    switch (end.kind) {
      case 'answered':
        this.#record('success');
        if (end.status < 400) {
          this.stats.recovered();
          log.info(`API proxy: ${request.label} hold ended: the upstream answered ${end.status} (${summary}); relaying its answer`);
        } else {
          log.warning(`API proxy: ${request.label} hold ended: the upstream answered ${end.status} (${summary}); passed on to the agent as an error event`);
        }
        break;
      case 'gave-up':
        this.stats.passedOn();
        this.#record('failure');
        log.warning(`API proxy: ${request.label} hold ended: api_retry_time is used up (${summary}, last ${describeFailure(end.failure)}); the agent gets an error event`);
        break;
      case 'cancelled':
        this.stats.passedOn();
        log.info(`API proxy: ${request.label} hold ended: the proxy is shutting down (${summary})`);
        break;
      case 'agent-left':
        log.info(`API proxy: ${request.label} hold ended: the agent closed the connection (${summary})`);
        break;
    }
    const { response } = result;
    if (response) await this.#relay(response, res, request, clientGone, () => relayHeldAnswer(response, res));
  }

  async #tryOnce(outgoing: Outgoing, signal: AbortSignal): Promise<UpstreamAnswer> {
    try {
      const response = await sendUpstream(this.upstream, outgoing, this.settings.firstByteTimeoutMs, signal);
      const status = response.statusCode ?? 0;
      if (!isRetryableStatus(status)) {
        if (status >= 400) this.stats.failure(String(status));
        return response;
      }
      const body = await readAnswer(response, this.settings.firstByteTimeoutMs, signal);
      const hintMs = parseRetryAfterMs(response.headers, Date.now());
      const errorType = errorTypeOf(decodeForLog(body, response.headers['content-encoding']));
      const answer: BufferedAnswer = { status, statusMessage: response.statusMessage ?? '', headers: agentResponseHeaders(response.headers), body };
      throw new UpstreamFailure({ kind: 'status', status, errorType }, answer, hintMs);
    } catch (error) {
      if (error instanceof UpstreamFailure) {
        this.stats.failure(failureKey(error.failure));
        if (error.hintMs !== undefined) this.stats.retryAfterHint(error.hintMs);
      }
      throw error;
    }
  }

  /** p-retry's shouldRetry: decides, logs, and waits out the backoff before saying yes. */
  async #retryAfterWait(error: Error, attemptNumber: number, request: RequestState, signal: AbortSignal): Promise<boolean> {
    if (!(error instanceof UpstreamFailure) || signal.aborted) return false;
    const { policy, log, maxConcurrentRetries } = this.settings;
    const { decision, breaker, change } = decideRetry({
      failure: error.failure,
      retry: attemptNumber,
      hintMs: error.hintMs,
      policy,
      breaker: this.#breaker,
      now: Date.now(),
      waiting: this.#waiting,
      maxConcurrentRetries,
      random: Math.random,
    });
    this.#setBreaker(breaker, change);
    if (!decision.retry) {
      request.passOn = decision.reason;
      return false;
    }
    this.stats.retry(request.retries === 0);
    request.retries += 1;
    const hinted = decision.fromHint ? ' (retry-after)' : '';
    log.info(`API proxy: ${request.label} ${describeFailure(error.failure)}; retry ${attemptNumber}/${policy.attempts - 1} in ${formatDuration(decision.delayMs)}${hinted}`);
    this.#waiting += 1;
    const started = performance.now();
    try {
      await delay(decision.delayMs, undefined, { signal });
      this.stats.waited(decision.delayMs);
    } catch (abort) {
      this.stats.waited(Math.round(performance.now() - started));
      throw abort;
    } finally {
      this.#waiting -= 1;
    }
    return true;
  }

  #passOn(error: UpstreamFailure, request: RequestState, res: ServerResponse): void {
    const { log, policy, maxConcurrentRetries } = this.settings;
    const why: Record<PassOnReason, string> = {
      'not-retryable': '',
      exhausted: policy.attempts > 1 ? ` on attempt ${request.retries + 1} of ${policy.attempts}` : '',
      busy: `; ${maxConcurrentRetries === 1 ? 'a request is' : `${maxConcurrentRetries} requests are`} already waiting to retry`,
      'breaker-open': '; the circuit breaker is open',
    };
    this.stats.passedOn();
    this.#record('failure');
    log.warning(`API proxy: ${request.label} ${describeFailure(error.failure)}${why[request.passOn ?? 'exhausted']}; passing it on to the agent`);
    const { answer } = error;
    if (answer === undefined) {
      // What the agent would have seen talking to the upstream itself.
      resetAgentConnection(res);
      return;
    }
    if (answer.statusMessage === '') res.writeHead(answer.status, answer.headers);
    else res.writeHead(answer.status, answer.statusMessage, answer.headers);
    res.end(answer.body);
  }

  async #forward(response: UpstreamAnswer, res: ServerResponse, request: RequestState, clientGone: AbortSignal): Promise<void> {
    const { log } = this.settings;
    const status = response.statusCode ?? 502;
    this.#record('success');
    if (request.retries > 0 && status < 400) {
      this.stats.recovered();
      log.info(`API proxy: ${request.label} recovered after ${request.retries} ${request.retries === 1 ? 'retry' : 'retries'} (${status})`);
    } else {
      log.debug(`API proxy: ${request.label} answered ${status}`);
    }
    await this.#relay(response, res, request, clientGone, () => response.relayTo(res, agentResponseHeaders(response.headers)));
  }

  /** Streams an answer that has started; a break from here on goes to the agent, whose own retry takes over. */
  async #relay(response: UpstreamAnswer, res: ServerResponse, request: RequestState, clientGone: AbortSignal, pipe: () => Promise<void>): Promise<void> {
    const { log } = this.settings;
    response.once('error', (error) => {
      // When the agent left first, the relay tears the upstream down: no upstream failure.
      if (clientGone.aborted) return;
      this.stats.failure('network');
      this.stats.passedOn();
      this.#record('failure');
      log.warning(`API proxy: ${request.label} broke off after the answer had started (${errorCode(error)}); passing the break on to the agent, which retries itself`);
      resetAgentConnection(res);
    });
    try {
      await pipe();
    } catch {
      // Both sides are torn down by now; the listeners above already said which one broke.
    }
  }

  #shutdownAnswer(res: ServerResponse, request: RequestState): void {
    this.stats.passedOn();
    this.settings.log.debug(`API proxy: ${request.label} answered 503: the proxy is shutting down`);
    sendError(res, 503, 'api_error', 'The durable-agent API proxy is shutting down.');
  }

  #record(outcome: 'success' | 'failure'): void {
    const { state, change } = breakerRecord(this.#breaker, outcome, Date.now(), this.settings.breakerThreshold);
    this.#setBreaker(state, change);
    // The upstream answers again: held requests stop sleeping out their backoff.
    if (outcome === 'success') {
      this.#outageSince = undefined;
      this.#gate.recovered();
    }
  }

  #setBreaker(state: BreakerState, change: BreakerChange | undefined): void {
    this.#breaker = state;
    const { log, policy } = this.settings;
    switch (change) {
      case 'opened':
        log.warning(
          `API proxy: circuit breaker open after ${state.failures} consecutive failed requests; for ${formatDuration(policy.maxDelayMs)} failures ${this.settings.hold.retryTimeMs > 0 ? 'of streaming requests are held, others go' : 'go'} straight to the agent`,
        );
        break;
      case 'half-open':
        log.info('API proxy: circuit breaker half-open; letting one request retry');
        break;
      case 'closed':
        log.info('API proxy: circuit breaker closed; the upstream answered again');
        break;
      case undefined:
        break;
    }
  }
}

async function sendUpstream(upstream: Upstream, outgoing: Outgoing, timeoutMs: number, signal: AbortSignal): Promise<UpstreamAnswer> {
  // Throws at once (not an upstream failure, never retried) for a head node:http would refuse to send.
  // The timeout and the abort apply until the head arrives: they must not cut a stream the agent is already reading.
  const answer = upstream.client.request(outgoing, { headTimeoutMs: timeoutMs, signal });
  try {
    return await answer;
  } catch (error) {
    if (signal.aborted) throw error;
    if (error instanceof UpstreamHeadTimeout) throw new UpstreamFailure({ kind: 'timeout', afterMs: timeoutMs });
    throw new UpstreamFailure({ kind: 'network', code: errorCode(error) });
  }
}

/** The body of a retryable answer (small error JSON), bounded in time like the headers were. */
function readAnswer(response: UpstreamAnswer, timeoutMs: number, signal: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const settle = (action: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      action();
    };
    const onAbort = (): void =>
      settle(() => {
        response.destroy();
        reject(signal.reason as Error);
      });
    const timer = setTimeout(
      () =>
        settle(() => {
          response.destroy();
          reject(new UpstreamFailure({ kind: 'timeout', afterMs: timeoutMs, phase: 'body' }));
        }),
      timeoutMs,
    );
    signal.addEventListener('abort', onAbort, { once: true });
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.once('end', () => settle(() => resolve(Buffer.concat(chunks))));
    response.on('error', (error) => settle(() => reject(new UpstreamFailure({ kind: 'network', code: errorCode(error) }))));
  });
}

/**
 * The agent's request body, whole. With events rather than `for await`: the async iterator added
 * about 0.04 ms before the upstream send, on the path every answer waits for.
 */
function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let ended = false;
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => {
      ended = true;
      // node:http hands each body chunk over in a buffer of its own: one chunk is the body as it is.
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    });
    stream.once('error', reject);
    stream.once('close', () => {
      if (!ended) reject(Object.assign(new Error('the agent closed the connection before its request ended'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    });
  });
}

/** The error body as text for the log's error type; the agent always gets the bytes untouched. */
function decodeForLog(body: Buffer, encoding: string | undefined): string {
  try {
    switch (encoding?.trim().toLowerCase()) {
      case undefined:
      case '':
      case 'identity':
        return body.toString('utf8');
      case 'gzip':
      case 'x-gzip':
        return gunzipSync(body).toString('utf8');
      case 'deflate':
        return inflateSync(body).toString('utf8');
      case 'br':
        return brotliDecompressSync(body).toString('utf8');
      default:
        return '';
    }
  } catch {
    return '';
  }
}

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  if (res.headersSent || res.destroyed) return;
  const body = JSON.stringify({ type: 'error', error: { type, message } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function resetAgentConnection(res: ServerResponse): void {
  const { socket } = res;
  if (socket && !socket.destroyed) socket.resetAndDestroy();
  else res.destroy();
}

function errorCode(error: unknown): string {
  if (error instanceof Error) {
    const { code } = error as NodeJS.ErrnoException;
    return typeof code === 'string' ? code : error.name;
  }
  return 'unknown error';
}
