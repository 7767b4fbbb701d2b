/**
 * The proxy's HTTP/1.1 client for the upstream API, in place of node:http's. node:http copies
 * every body chunk into a fresh buffer after reading it into another fresh buffer, and the proxy
 * then framed each chunk again for the agent: for megabyte answers that was most of the proxy's
 * CPU (garbage collection of the buffers, one write per chunk). Here plain-TCP upstreams are read
 * into pooled buffers, and an answer's body goes to the agent as the bytes that arrived, chunk
 * framing included, one write per read; only the framing's size lines are looked at.
 *
 * Connections are kept alive and reused one request at a time. Answers that the proxy reads
 * itself (error bodies, held answers) are readable streams of the decoded body.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { connect as netConnect, isIP } from 'node:net';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { BufferPool } from './buffer-pool.js';
import { bodyFraming, ChunkedScanner, FramingError, parseResponseHead, requestHead } from './http1-framing.js';
import type { BodyFraming, ResponseHead } from './http1-framing.js';

/**
 * What one socket read may take: four times Node's own 64 KiB. A large answer arrives faster than
 * it is relayed, so a read usually finds much more than 64 KiB waiting; taking it in one read and
 * one write instead of several cut the proxy's CPU per 1 MB answer by 12-15%.
 */
const READ_BYTES = 256 * 1024;
/** Free read buffers kept for later reads, shared by all connections (2 MiB). */
const POOL_KEEP = 8;

export interface UpstreamRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: OutgoingHttpHeaders;
  readonly body: Buffer;
}

/** No response head within the time allowed. */
export class UpstreamHeadTimeout extends Error {
  constructor() {
    super('no response head from the upstream in time');
    this.name = 'UpstreamHeadTimeout';
  }
}

/** Takes the bytes data[start..end); `owned` is a pool buffer to hand back once they are written. */
type Sink = (data: Buffer, start: number, end: number, owned: Buffer | undefined) => void;

function connectionError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

class Connection {
  readonly socket: Socket;
  idleSince = 0;
  /** From the upstream's `keep-alive: timeout=N`: how long it may stay idle and still be used. */
  idleLimitMs = Number.POSITIVE_INFINITY;
  closed = false;
  #sink: Sink | undefined;
  #onClose: ((error: Error | undefined) => void) | undefined;
  #error: Error | undefined;

  constructor(
    url: URL,
    private readonly pool: BufferPool,
    onGone: (connection: Connection) => void,
  ) {
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (url.protocol === 'https:') {
      const port = Number(url.port || 443);
      // `onread` is not among tls.connect's documented options (Node 24 passes it on, but the relay
      // then broke off in a trial): TLS reads are fresh buffers, never reused.
      this.socket = tlsConnect({ host, port, servername: isIP(host) === 0 ? host : undefined, ALPNProtocols: ['http/1.1'] });
      this.socket.on('data', (chunk: Buffer) => this.#deliver(chunk, chunk.length, undefined));
    } else {
      const port = Number(url.port || 80);
      this.socket = netConnect({
        host,
        port,
        onread: {
          buffer: () => pool.take(),
          callback: (bytes, buffer) => {
            this.#deliver(buffer as Buffer, bytes, buffer as Buffer);
            // Pausing, when wanted, is done in #deliver with socket.pause().
            return true;
          },
        },
      });
    }
    this.socket.setNoDelay(true);
    this.socket.on('error', (error) => {
      this.#error ??= error;
    });
    this.socket.once('close', () => {
      this.closed = true;
      onGone(this);
      const onClose = this.#onClose;
      this.#sink = undefined;
      this.#onClose = undefined;
      onClose?.(this.#error);
    });
  }

  /** Who gets the bytes read and the close, for the exchange under way. */
  bind(sink: Sink, onClose: (error: Error | undefined) => void): void {
    this.#sink = sink;
    this.#onClose = onClose;
  }

  unbind(): void {
    this.#sink = undefined;
    this.#onClose = undefined;
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    if (!this.closed) this.socket.resume();
  }

  destroy(): void {
    this.unbind();
    this.socket.destroy();
  }

  #deliver(data: Buffer, bytes: number, owned: Buffer | undefined): void {
    const sink = this.#sink;
    if (sink === undefined) {
      // Bytes nobody asked for (on an idle connection): the connection is out of step.
      if (owned) this.pool.give(owned);
      this.socket.destroy();
      return;
    }
    try {
      sink(data, 0, bytes, owned);
    } catch (error) {
      this.#error ??= error instanceof Error ? error : new Error(String(error));
      this.socket.destroy();
    }
  }
}

export class UpstreamClient {
  readonly #pool = new BufferPool(READ_BYTES, POOL_KEEP);
  readonly #idle: Connection[] = [];
  readonly #all = new Set<Connection>();
  readonly #auth: string | undefined;
  #destroyed = false;

  constructor(private readonly url: URL) {
    // As node:http's `auth` option: basic credentials from the URL, unless the request has its own.
    this.#auth = url.username === '' ? undefined : `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
  }

  /** Open connections (busy and idle). */
  get connections(): number {
    return this.#all.size;
  }

  /**
   * Sends the request and resolves with the answer once its head is in. Rejects with
   * UpstreamHeadTimeout, with `signal.reason`, or with the connection's error (a reused
   * connection the upstream closed is such an error, as with node:http: the proxy's retry and
   * its statistics see every reset).
   */
  request(request: UpstreamRequest, options: { headTimeoutMs: number; signal: AbortSignal }): Promise<UpstreamAnswer> {
    const headers: OutgoingHttpHeaders = { ...request.headers, connection: 'keep-alive' };
    if (this.#auth !== undefined && headers.authorization === undefined) headers.authorization = this.#auth;
    // Throws synchronously for a head node:http would refuse to send.
    const head = Buffer.from(requestHead(request.method, request.path, headers), 'latin1');
    const { signal, headTimeoutMs } = options;
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason as Error);
        return;
      }
      let connection: Connection | undefined;
      let settled = false;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        return true;
      };
      const fail = (error: Error): void => {
        if (!settle()) return;
        connection?.destroy();
        reject(error);
      };
      const onAbort = (): void => fail(signal.reason as Error);
      const timer = setTimeout(() => fail(new UpstreamHeadTimeout()), headTimeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });

      const send = (): void => {
        if (this.#destroyed) {
          fail(connectionError('the upstream client is closed', 'ERR_SOCKET_CLOSED'));
          return;
        }
        const current = this.#acquire();
        connection = current;
        let partial: Buffer | undefined;
        current.bind(
          (data, start, end, owned) => {
            let view = data;
            let from = start;
            let to = end;
            if (partial !== undefined) {
              // A head split over reads (rare): gathered in a copy.
              partial = Buffer.concat([partial, data.subarray(start, end)]);
              if (owned) this.#pool.give(owned);
              owned = undefined;
              view = partial;
              from = 0;
              to = partial.length;
            }
            for (;;) {
              const parsed = parseResponseHead(view.subarray(from, to));
              if (parsed === undefined) {
                if (partial === undefined) {
                  partial = Buffer.from(view.subarray(from, to));
                  if (owned) this.#pool.give(owned);
                }
                return;
              }
              from += parsed.length;
              // Interim answers (100 Continue, 103 Early Hints) precede the real one.
              if (parsed.status >= 100 && parsed.status < 200 && parsed.status !== 101) continue;
              if (parsed.status === 101) throw new FramingError('the upstream switched protocols');
              if (!settle()) return;
              const answer = new UpstreamAnswer(parsed, bodyFraming(request.method, parsed), current, this);
              resolve(answer);
              answer.receive(view, from, to, owned);
              return;
            }
          },
          (error) => fail(error ?? connectionError('socket hang up', 'ECONNRESET')),
        );
        current.socket.ref();
        current.socket.cork();
        current.socket.write(head);
        if (request.body.length > 0) current.socket.write(request.body);
        current.socket.uncork();
      };
      send();
    });
  }

  /** An answer read to its end on a connection that stays open: the next request may use it. */
  release(connection: Connection, head: ResponseHead): void {
    connection.unbind();
    if (this.#destroyed || connection.closed) {
      connection.destroy();
      return;
    }
    const hint = /(?:^|[\s,])timeout=(\d+)/i.exec(String(head.headers['keep-alive'] ?? ''));
    // A second early, as node:http's agent does, so the upstream is not closing it as it is reused.
    if (hint?.[1] !== undefined) connection.idleLimitMs = Math.max(0, Number(hint[1]) * 1000 - 1000);
    connection.idleSince = performance.now();
    // Reading while idle, so an upstream closing it is noticed; it may have been paused mid-answer.
    connection.resume();
    connection.socket.unref();
    this.#idle.push(connection);
  }

  /** Pool buffer back after its bytes were written. */
  give(buffer: Buffer): void {
    this.#pool.give(buffer);
  }

  destroy(): void {
    this.#destroyed = true;
    for (const connection of this.#all) connection.destroy();
    this.#idle.length = 0;
  }

  #acquire(): Connection {
    const now = performance.now();
    for (let connection = this.#idle.pop(); connection !== undefined; connection = this.#idle.pop()) {
      if (!connection.closed && now - connection.idleSince < connection.idleLimitMs) return connection;
      connection.destroy();
    }
    const connection = new Connection(this.url, this.#pool, (gone) => {
      this.#all.delete(gone);
      const index = this.#idle.indexOf(gone);
      if (index >= 0) this.#idle.splice(index, 1);
    });
    this.#all.add(connection);
    return connection;
  }
}

/** The agent's side of a relay: its socket, or the ServerResponse. */
interface AgentOut {
  write(chunk: Uint8Array, callback?: (error?: Error | null) => void): boolean;
  once(event: 'drain', listener: () => void): unknown;
  off(event: 'drain', listener: () => void): unknown;
}

/** What arrived before anyone read the answer, in order: bytes, then perhaps the connection's close. */
type Held = { readonly data: Buffer; readonly start: number; readonly end: number; readonly owned: Buffer | undefined } | { readonly closed: Error | undefined };

/**
 * An upstream answer whose head is in. Either relayed to the agent as it arrives (`relayTo`), or
 * read as a stream of its decoded body. Until one of them starts, what arrives is held and the
 * connection paused.
 */
export class UpstreamAnswer extends Readable {
  readonly statusCode: number;
  readonly statusMessage: string;
  readonly headers: IncomingHttpHeaders;
  readonly #head: ResponseHead;
  readonly #framing: BodyFraming;
  readonly #scanner: ChunkedScanner | undefined;
  #left: number;
  #mode: 'waiting' | 'relay' | 'stream' = 'waiting';
  readonly #held: Held[] = [];
  #complete = false;
  #connection: Connection | undefined;
  #agent: ServerResponse | undefined;
  /**
   * Where the relayed bytes are written: the agent's socket itself while the response owns it, so
   * each read becomes one write system call at once (ServerResponse would cork the socket and
   * write on the next tick), else the ServerResponse.
   */
  #out: AgentOut | undefined;
  #onAgentDrain: (() => void) | undefined;

  constructor(
    head: ResponseHead,
    framing: BodyFraming,
    connection: Connection,
    private readonly client: UpstreamClient,
  ) {
    super();
    this.statusCode = head.status;
    this.statusMessage = head.statusMessage;
    this.headers = head.headers;
    this.#head = head;
    this.#framing = framing;
    this.#scanner = framing.kind === 'chunked' ? new ChunkedScanner() : undefined;
    this.#left = framing.kind === 'length' ? framing.length : 0;
    this.#connection = connection;
    connection.bind(
      (data, start, end, owned) => this.receive(data, start, end, owned),
      (error) => this.#connectionClosed(error),
    );
  }

  /**
   * Sends the answer to the agent: `headers` (the upstream's, minus hop-by-hop fields) and the
   * body's bytes as they arrive. Resolves when the agent has it all; rejects when either side
   * breaks off (an upstream break is also this stream's 'error').
   */
  relayTo(res: ServerResponse, headers: OutgoingHttpHeaders): Promise<void> {
    const framing = this.#framing;
    const req = res.req as { httpVersionMajor?: number; httpVersionMinor?: number } | undefined;
    const http11 = (req?.httpVersionMajor ?? 1) > 1 || ((req?.httpVersionMajor ?? 1) === 1 && (req?.httpVersionMinor ?? 1) >= 1);
    const passChunks = framing.kind === 'chunked' && http11;
    const out: OutgoingHttpHeaders = { ...headers };
    if (framing.kind === 'chunked') delete out['content-length'];
    if (passChunks) out['transfer-encoding'] = 'chunked';
    if (this.statusMessage === '') res.writeHead(this.statusCode, out);
    else res.writeHead(this.statusCode, this.statusMessage, out);
    if (framing.kind === 'close' || (framing.kind === 'chunked' && !passChunks)) {
      // Headers now, so the agent's own first-byte timer is satisfied even before the first event.
      res.flushHeaders();
      return pipeTo(this, res);
    }
    // The chunk framing is the upstream's, passed on as it came: Node must not frame it again.
    if (passChunks) res.chunkedEncoding = false;
    // A response owns the socket only while it is the connection's current one (a pipelined
    // request's response gets it when the one before it has finished).
    const socket = res.socket;
    this.#out = socket === null ? res : socket;
    return new Promise<void>((resolve, reject) => {
      let done = false;
      const onClose = (): void => {
        if (done) return;
        done = true;
        if (res.writableFinished) {
          resolve();
          return;
        }
        // The agent left (or the upstream broke and the agent's connection was reset).
        this.destroy();
        reject(connectionError('the agent closed the connection', 'ERR_STREAM_PREMATURE_CLOSE'));
      };
      res.once('close', onClose);
      this.once('error', (error) => {
        if (done) return;
        done = true;
        reject(error);
      });
      this.#agent = res;
      this.#mode = 'relay';
      // The head goes out at once, as the upstream's did, and in the same write as the body bytes
      // that came with it: one system call (and one wake-up of the agent) fewer per answer.
      socket?.cork();
      res.flushHeaders();
      this.#drainHeld();
      socket?.uncork();
    });
  }

  /** Bytes of the body from the connection (or from the read that brought the head). */
  receive(data: Buffer, start: number, end: number, owned: Buffer | undefined): void {
    if (this.#complete || this.destroyed) {
      if (owned) this.client.give(owned);
      return;
    }
    if (this.#mode === 'waiting') {
      this.#held.push({ data, start, end, owned });
      this.#connection?.pause();
      return;
    }
    let stop = end;
    let ended = false;
    const streamed = this.#mode === 'stream';
    switch (this.#framing.kind) {
      case 'none':
        stop = start;
        ended = true;
        break;
      case 'length': {
        stop = Math.min(end, start + this.#left);
        this.#left -= stop - start;
        ended = this.#left === 0;
        if (streamed && stop > start) this.push(Buffer.from(data.subarray(start, stop)));
        break;
      }
      case 'chunked': {
        const at = (this.#scanner as ChunkedScanner).scan(data, start, end, streamed ? (from, to) => this.push(Buffer.from(data.subarray(from, to))) : undefined);
        if (at >= 0) {
          stop = at;
          ended = true;
        }
        break;
      }
      case 'close':
        if (streamed && end > start) this.push(Buffer.from(data.subarray(start, end)));
        break;
    }
    if (this.#mode === 'relay' && stop > start) {
      const out = this.#out as AgentOut;
      const more = out.write(data.subarray(start, stop), owned ? () => this.client.give(owned) : undefined);
      if (!more && !ended) this.#waitForAgent(out);
    } else if (owned) {
      this.client.give(owned);
    }
    if (ended) this.#finish(stop < end);
    else if (streamed && this.readableLength >= this.readableHighWaterMark) this.#connection?.pause();
  }

  override _read(): void {
    if (this.#mode === 'waiting') {
      this.#mode = 'stream';
      this.#drainHeld();
      return;
    }
    if (this.#mode === 'stream') this.#connection?.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Not read to its end: the connection is mid-message and cannot carry another request.
    if (!this.#complete) this.#connection?.destroy();
    this.#connection = undefined;
    for (const held of this.#held.splice(0)) if ('owned' in held && held.owned) this.client.give(held.owned);
    if (this.#out && this.#onAgentDrain) this.#out.off('drain', this.#onAgentDrain);
    callback(error);
  }

  #drainHeld(): void {
    for (const held of this.#held.splice(0)) {
      if ('closed' in held) this.#connectionClosed(held.closed);
      else this.receive(held.data, held.start, held.end, held.owned);
    }
    // A body-less answer (or one that came whole with its head) ends here.
    if (this.#framing.kind === 'none' && !this.#complete && !this.destroyed) this.#finish(false);
    if (!this.#complete && this.#onAgentDrain === undefined) this.#connection?.resume();
  }

  #waitForAgent(agent: AgentOut): void {
    if (this.#onAgentDrain !== undefined) return;
    this.#connection?.pause();
    this.#onAgentDrain = () => {
      this.#onAgentDrain = undefined;
      this.#connection?.resume();
    };
    agent.once('drain', this.#onAgentDrain);
  }

  #finish(trailingBytes: boolean): void {
    this.#complete = true;
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection) {
      // Bytes past the answer's end mean the connection is out of step: it is not used again.
      if (this.#head.keepAlive && !trailingBytes && this.#framing.kind !== 'close') this.client.release(connection, this.#head);
      else connection.destroy();
    }
    if (this.#mode === 'relay') (this.#agent as ServerResponse).end();
    else this.push(null);
  }

  #connectionClosed(error: Error | undefined): void {
    this.#connection = undefined;
    if (this.#complete || this.destroyed) return;
    if (this.#mode === 'waiting') {
      // Told once the answer is read, after the bytes that came before it.
      this.#held.push({ closed: error });
      return;
    }
    if (this.#framing.kind === 'close' && error === undefined) {
      this.#finish(false);
      return;
    }
    this.destroy(error ?? connectionError('the upstream closed the connection before the answer ended', 'ECONNRESET'));
  }
}

/** pipe() with pipeline's teardown: either side failing or closing early destroys both. */
function pipeTo(from: Readable, to: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (error: Error): void => {
      from.destroy();
      to.destroy();
      reject(error);
    };
    from.once('error', fail);
    to.once('error', fail);
    to.once('close', () => {
      if (to.writableFinished) resolve();
      else fail(connectionError('the agent closed the connection', 'ERR_STREAM_PREMATURE_CLOSE'));
    });
    from.pipe(to);
  });
}
