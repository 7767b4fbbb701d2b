/**
 * The outage hold's I/O: answers the agent `200 text/event-stream` at once, keeps the stream alive
 * with `ping` events, and probes the upstream with backoff until it answers or api_retry_time runs
 * out. The decisions are in hold-policy.ts; the upstream tries themselves are the proxy's.
 */
import type { ServerResponse } from 'node:http';
import type { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { fatalAnswerEvent, gaveUpEvent, HOLD_RESPONSE_HEADERS, holdDelayMs, nextHoldStep, PING_EVENT, sseErrorEvent } from './hold-policy.js';
import type { HoldEnd, HoldPolicy } from './hold-policy.js';
import { formatDuration } from '../format.js';
import type { UpstreamAnswer } from './upstream-client.js';
import type { ProxyRetryPolicy, UpstreamFailureKind } from './retry-decision.js';

/** One upstream try as a hold sees it: an answer to pass on, or a transient failure to wait out. */
export type ProbeResult =
  | { readonly kind: 'answer'; readonly response: UpstreamAnswer }
  | { readonly kind: 'failure'; readonly failure: UpstreamFailureKind; readonly hintMs: number | undefined };

/**
 * Shared by every hold of one proxy. During an outage the held requests take turns: one upstream
 * probe at a time, so a hundred held requests cost the upstream what one does. When any request
 * gets through, the outage is over: every hold is woken to probe now instead of sleeping out its
 * backoff, and they no longer wait for each other.
 */
export class ProbeGate {
  #outage = false;
  #busy = false;
  /** Counts recoveries: a turn taken before the last one has nothing left to hand on. */
  #generation = 0;
  readonly #queue: (() => void)[] = [];
  readonly #wakers = new Set<() => void>();

  /** A hold began or a probe failed: from now on probes take turns. */
  outageBegan(): void {
    this.#outage = true;
  }

  /** Resolves with a release function once this caller may probe. */
  async acquire(signal: AbortSignal): Promise<() => void> {
    if (!this.#outage) return () => undefined;
    if (!this.#busy) {
      this.#busy = true;
      return this.#releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.#queue.indexOf(turn);
        if (index >= 0) this.#queue.splice(index, 1);
        reject(signal.reason as Error);
      };
      const turn = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      if (signal.aborted) {
        reject(signal.reason as Error);
        return;
      }
      this.#queue.push(turn);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    return this.#releaser();
  }

  #releaser(): () => void {
    let released = false;
    const generation = this.#generation;
    return () => {
      if (released || generation !== this.#generation) return;
      released = true;
      // Handed straight to the next in line: the gate stays busy in between.
      const next = this.#queue.shift();
      if (next) next();
      else this.#busy = false;
    };
  }

  /** Sleeps `ms`, or less when the upstream is seen answering again. Throws when `signal` aborts. */
  async pause(ms: number, signal: AbortSignal): Promise<void> {
    const wake = new AbortController();
    const waker = (): void => wake.abort();
    this.#wakers.add(waker);
    try {
      await delay(ms, undefined, { signal: AbortSignal.any([signal, wake.signal]) });
    } catch (error) {
      if (signal.aborted) throw error;
    } finally {
      this.#wakers.delete(waker);
    }
  }

  /** The upstream answered a request: end every hold's backoff wait and let queued probes go together. */
  recovered(): void {
    this.#outage = false;
    this.#busy = false;
    this.#generation += 1;
    for (const turn of this.#queue.splice(0)) turn();
    for (const waker of [...this.#wakers]) waker();
  }
}

export interface HoldRequest {
  readonly res: ServerResponse;
  readonly policy: ProxyRetryPolicy;
  readonly hold: HoldPolicy;
  readonly gate: ProbeGate;
  /** One upstream try; never throws for upstream failures, only when `signal` aborts. */
  readonly probe: (signal: AbortSignal) => Promise<ProbeResult>;
  /** A fatal answer's body as text (decoded), bounded in time; '' when unreadable. */
  readonly readText: (response: UpstreamAnswer, signal: AbortSignal) => Promise<string>;
  /** The failure that ended the normal retries, and its retry-after hint. */
  readonly failure: UpstreamFailureKind;
  readonly hintMs: number | undefined;
  /** performance.now() of the request's first upstream try: api_retry_time counts from there. */
  readonly firstTryAt: number;
  /** Upstream tries made before the hold. */
  readonly triesBefore: number;
  /** The proxy shutting down (cancellation): ends the hold with an error event. */
  readonly lifetime: AbortSignal;
  /** The agent closed the connection: ends the hold silently. */
  readonly clientGone: AbortSignal;
  readonly random: () => number;
}

export interface HoldResult {
  readonly end: HoldEnd;
  /** Upstream tries of the request, those before the hold included. */
  readonly tries: number;
  readonly durationMs: number;
  /** A successful answer whose body is still to be relayed (relayHeldAnswer). */
  readonly response?: UpstreamAnswer | undefined;
}

/** Holds one request until the upstream answers, the time runs out, or the proxy or agent stops. */
export async function holdRequest(request: HoldRequest): Promise<HoldResult> {
  const { res, policy, hold, gate } = request;
  const started = performance.now();
  const signal = AbortSignal.any([request.lifetime, request.clientGone]);
  let tries = request.triesBefore;
  let last = request.failure;
  let hintMs = request.hintMs;
  const finish = (end: HoldEnd, response?: UpstreamAnswer): HoldResult => ({ end, tries, durationMs: Math.round(performance.now() - started), response });
  const endWith = (event: string): void => {
    if (!res.destroyed) res.end(event);
  };

  gate.outageBegan();
  res.writeHead(200, HOLD_RESPONSE_HEADERS);
  // A first event at once: the agent's own first-byte timers see an answer that has started.
  res.write(PING_EVENT);
  const pinger = setInterval(() => {
    if (!res.destroyed) res.write(PING_EVENT);
  }, hold.pingIntervalMs);
  try {
    for (let retry = request.triesBefore; ; retry += 1) {
      const step = nextHoldStep({
        elapsedMs: performance.now() - request.firstTryAt,
        retryTimeMs: hold.retryTimeMs,
        delayMs: holdDelayMs(policy, retry, hintMs, request.random),
      });
      if (step.kind === 'give-up') {
        const result = finish({ kind: 'gave-up', failure: last });
        endWith(gaveUpEvent(last, result.durationMs, tries, formatDuration));
        return result;
      }
      await gate.pause(step.ms, signal);
      const release = await gate.acquire(signal);
      let outcome: ProbeResult;
      try {
        outcome = await request.probe(signal);
      } finally {
        release();
      }
      tries += 1;
      if (outcome.kind === 'failure') {
        gate.outageBegan();
        last = outcome.failure;
        hintMs = outcome.hintMs;
        continue;
      }
      const status = outcome.response.statusCode ?? 502;
      clearInterval(pinger);
      if (status < 400) return finish({ kind: 'answered', status }, outcome.response);
      const body = await request.readText(outcome.response, signal);
      endWith(fatalAnswerEvent(status, body));
      return finish({ kind: 'answered', status });
    }
  } catch (error) {
    if (request.clientGone.aborted) return finish({ kind: 'agent-left' });
    if (request.lifetime.aborted) {
      endWith(sseErrorEvent('api_error', 'The durable-agent API proxy is shutting down.'));
      return finish({ kind: 'cancelled' });
    }
    throw error;
  } finally {
    clearInterval(pinger);
  }
}

function decoderFor(encoding: string | undefined): Transform[] {
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return [createGunzip()];
    case 'deflate':
      return [createInflate()];
    case 'br':
      return [createBrotliDecompress()];
    default:
      return [];
  }
}

/**
 * The upstream's answer after a hold: its body only, since the agent already has the stream's
 * headers. Held probes ask for an unencoded answer; one that comes encoded anyway is decoded, as
 * the headers already sent promised plain text.
 */
export async function relayHeldAnswer(response: UpstreamAnswer, res: ServerResponse): Promise<void> {
  await pipeline([response, ...decoderFor(response.headers['content-encoding']), res]);
}
