/**
 * A model API written at the byte level, for the proxy's wire tests: it reads each request up to
 * its body's end and leaves the answer to the test, which writes whatever bytes it wants.
 */
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterEach } from 'vitest';
import { startApiProxy } from '../../src/proxy/api-proxy.js';
import type { ApiProxy } from '../../src/proxy/api-proxy.js';

export interface WireUpstream {
  readonly url: string;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/** Answers every request (read up to its body's end) with `answer(socket, requestHead)`. */
export async function wireUpstream(answer: (socket: Socket, head: string) => void): Promise<WireUpstream> {
  let accepted = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = pending.toString('latin1', 0, end);
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? '0');
        if (pending.length < end + 4 + length) return;
        pending = pending.subarray(end + 4 + length);
        answer(socket, head);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Writes `parts` one after another, each in its own TCP write, with a pause between. */
export function dribble(socket: Socket, parts: readonly (string | Buffer)[], pauseMs = 2): void {
  let index = 0;
  const next = (): void => {
    const part = parts[index++];
    if (part === undefined || socket.destroyed) return;
    socket.write(part);
    setTimeout(next, pauseMs);
  };
  next();
}

/** `body` as a chunked HTTP/1.1 body cut into chunks of `size` bytes, with its last-chunk line. */
export function chunked(body: Buffer, size: number): Buffer {
  const parts: Buffer[] = [];
  for (let offset = 0; offset < body.length; offset += size) {
    const piece = body.subarray(offset, offset + size);
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

export interface ProxiedWireUpstreams {
  /** A wire upstream answering with `answer`, behind a proxy with quick retries and a quiet log. */
  readonly setUp: (answer: (socket: Socket, head: string) => void) => Promise<{ upstream: WireUpstream; proxy: ApiProxy }>;
  /** A step to run after the test, before what was set up earlier closes. */
  readonly onCleanup: (step: () => Promise<void> | void) => void;
}

/** For a wire test file: what `setUp` starts is closed after each test, the latest first. */
export function proxiedWireUpstreams(): ProxiedWireUpstreams {
  const quiet = { info: (): void => undefined, warning: (): void => undefined, debug: (): void => undefined };
  const policy = { attempts: 2, initialDelayMs: 1, maxDelayMs: 10, factor: 2 };
  let cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.reverse()) await step();
    cleanup = [];
  });
  return {
    setUp: async (answer) => {
      const upstream = await wireUpstream(answer);
      const proxy = await startApiProxy({ upstream: upstream.url, policy, log: quiet });
      cleanup.push(() => upstream.close(), () => proxy.close());
      return { upstream, proxy };
    },
    onCleanup: (step) => {
      cleanup.push(step);
    },
  };
}
