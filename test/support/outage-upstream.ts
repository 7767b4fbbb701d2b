/**
 * A front for the fake model API that fails every model request while an outage lasts (for a set
 * time, or until told otherwise) and forwards everything else untouched. The model API's own fault
 * schedule counts requests; an outage of the real API is a stretch of time.
 */
import { createServer, request as httpRequest } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HTTP_ERRORS } from './model-api/faults.js';
import type { HttpFaultKind } from './model-api/faults.js';

export interface OutageUpstream {
  /** ANTHROPIC_BASE_URL for the agent (or the proxy's upstream). */
  readonly url: string;
  /** Model requests (POST /v1/messages) that got an outage answer so far. */
  readonly failed: number;
  /** Model requests forwarded to the model API so far. */
  readonly forwarded: number;
  /** Most model requests in flight at once since the last resetConcurrency(). */
  readonly maxConcurrent: number;
  resetConcurrency(): void;
  /**
   * Fails every model request with this error from the next one on, for `forMs` (counted from that
   * request) when given; undefined ends the outage.
   */
  fail(kind: HttpFaultKind | undefined, options?: { forMs?: number; retryAfterSeconds?: number; delayMs?: number }): void;
  /** Resolves once `count` model requests have failed in the current outage. */
  failedAtLeast(count: number): Promise<void>;
  close(): Promise<void>;
}

interface Outage {
  kind: HttpFaultKind;
  forMs: number;
  /** Set by the first model request of the outage. */
  until: number | undefined;
  retryAfterSeconds: number | undefined;
  delayMs: number;
}

export async function startOutageUpstream(target: string): Promise<OutageUpstream> {
  const upstream = new URL(target);
  let outage: Outage | undefined;
  let failed = 0;
  let forwarded = 0;
  let inFlight = 0;
  let maxConcurrent = 0;
  const waiters: { count: number; resolve: () => void }[] = [];

  const isModelRequest = (req: IncomingMessage): boolean => req.method === 'POST' && new URL(req.url ?? '/', 'http://x').pathname === '/v1/messages';

  const answerFailure = async (current: Outage, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    await new Promise((resolve) => {
      req.once('end', resolve).resume();
    });
    if (current.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, current.delayMs));
    const error = HTTP_ERRORS[current.kind];
    const body = JSON.stringify({ type: 'error', error: { type: error.type, message: error.message } });
    const headers: Record<string, string> = { 'content-type': 'application/json', 'request-id': `req_outage_${failed}` };
    if (current.retryAfterSeconds !== undefined) headers['retry-after'] = String(current.retryAfterSeconds);
    failed += 1;
    for (const waiter of waiters.filter((candidate) => failed >= candidate.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    res.writeHead(error.status, headers).end(body);
  };

  const forward = (req: IncomingMessage, res: ServerResponse): Promise<void> =>
    new Promise((resolve) => {
      const outgoing = httpRequest(
        { hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.once('end', () => resolve());
          answer.once('error', () => resolve());
        },
      );
      outgoing.once('error', () => {
        res.destroy();
        resolve();
      });
      req.pipe(outgoing);
    });

  const server = createServer((req, res) => {
    const model = isModelRequest(req);
    if (model && outage !== undefined) outage.until ??= Date.now() + outage.forMs;
    const current = model && outage?.until !== undefined && Date.now() < outage.until ? outage : undefined;
    if (model) {
      inFlight += 1;
      maxConcurrent = Math.max(maxConcurrent, inFlight);
    }
    const work = current ? answerFailure(current, req, res) : forward(req, res);
    if (model && !current) forwarded += 1;
    work
      .catch(() => res.destroy())
      .finally(() => {
        if (model) inFlight -= 1;
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    get failed() {
      return failed;
    },
    get forwarded() {
      return forwarded;
    },
    get maxConcurrent() {
      return maxConcurrent;
    },
    resetConcurrency() {
      maxConcurrent = inFlight;
    },
    fail(kind, options = {}) {
      outage =
        kind === undefined
          ? undefined
          : { kind, forMs: options.forMs ?? Number.POSITIVE_INFINITY, until: undefined, retryAfterSeconds: options.retryAfterSeconds, delayMs: options.delayMs ?? 0 };
    },
    failedAtLeast(count) {
      if (failed >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
