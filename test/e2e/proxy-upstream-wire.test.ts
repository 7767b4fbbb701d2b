/**
 * The proxy's own upstream client on the wire: a raw TCP upstream writes answers byte by byte as
 * a server might (heads split over writes, chunk extensions and trailers, interim answers,
 * close-delimited bodies, breaks), and the agent, a plain node:http client, must get what a
 * direct request would have given it.
 */
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { ApiProxy } from '../../src/proxy/api-proxy.js';
import { dribble, proxiedWireUpstreams } from '../support/wire-upstream.js';

interface AgentResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function send(proxy: ApiProxy, options: { method?: string; slow?: boolean } = {}): Promise<AgentResult> {
  return new Promise((resolve, reject) => {
    const body = Buffer.from('{"stream":true}');
    const req = request(
      new URL('/v1/messages', proxy.url),
      { method: options.method ?? 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          if (options.slow) {
            // A reader slower than the upstream: the proxy must hold back, not drop or reorder.
            res.pause();
            setTimeout(() => res.resume(), 1);
          }
        });
        res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.once('error', reject);
        res.once('aborted', () => reject(new Error('aborted')));
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

const { setUp } = proxiedWireUpstreams();

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('the upstream client on the wire', () => {
  it('relays a chunked answer cut anywhere, with extensions and trailers, and reuses the connection', async () => {
    const { upstream, proxy } = await setUp((socket) =>
      dribble(socket, ['HTTP/1.1 200 OK\r\ncontent-type: text/event-st', 'ream\r\nrequest-id: req_1\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhel', 'lo\r\n7;ext=1\r\n, world\r\n0\r\nx-trailer: 1\r\n', '\r\n']),
    );
    for (let round = 0; round < 3; round += 1) {
      const result = await send(proxy);
      expect(result.status).toBe(200);
      expect(result.headers['content-type']).toBe('text/event-stream');
      expect(result.headers['request-id']).toBe('req_1');
      expect(result.body.toString()).toBe('hello, world');
    }
    expect(upstream.connections()).toBe(1);
  });

  it('relays content-length, close-delimited, interim and body-less answers', async () => {
    const answers: Record<string, (socket: Socket) => void> = {
      length: (socket) => dribble(socket, ['HTTP/1.1 200 OK\r\ncontent-length: 11\r\n\r\nhello', ' world']),
      close: (socket) => dribble(socket, ['HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nuntil ', 'the end']) ,
      interim: (socket) => dribble(socket, ['HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok']),
      head: (socket) => dribble(socket, ['HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n']),
    };
    let current = 'length';
    const { proxy } = await setUp((socket) => {
      answers[current]?.(socket);
      if (current === 'close') setTimeout(() => socket.end(), 20);
    });
    expect((await send(proxy)).body.toString()).toBe('hello world');
    current = 'close';
    expect((await send(proxy)).body.toString()).toBe('until the end');
    current = 'interim';
    expect((await send(proxy)).body.toString()).toBe('ok');
    current = 'head';
    const head = await send(proxy, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  it('holds back for a slow agent without losing, reordering or corrupting a byte', async () => {
    // 4 MB in uneven chunks: more than the pooled read buffers cover while the agent lags.
    const parts: Buffer[] = [];
    for (let index = 0; parts.reduce((sum, part) => sum + part.length, 0) < 4 * 1024 * 1024; index += 1) {
      parts.push(Buffer.alloc(1000 + ((index * 7919) % 30_000), index % 251));
    }
    const body = Buffer.concat(parts);
    const wire = Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n'), ...parts.flatMap((part) => [Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')]), Buffer.from('0\r\n\r\n')]);
    const { proxy } = await setUp((socket) => socket.write(wire));
    const [slow, fast] = await Promise.all([send(proxy, { slow: true }), send(proxy)]);
    expect(sha(slow.body)).toBe(sha(body));
    expect(sha(fast.body)).toBe(sha(body));
  });

  it('never reuses a read buffer whose bytes still wait to reach an agent that stopped reading', async () => {
    // Small upstream writes make small reads, whose relay writes node:http reports as done (under its
    // high-water mark) while they still wait for the agent: the buffer must not be read into again.
    const parts: Buffer[] = [];
    for (let index = 0; index < 6000; index += 1) parts.push(Buffer.alloc(2000 + ((index * 131) % 3000), index % 251));
    const body = Buffer.concat(parts);
    const { proxy } = await setUp((socket) => {
      socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n');
      let index = 0;
      const next = (): void => {
        const part = parts[index++];
        if (socket.destroyed) return;
        if (part === undefined) {
          socket.write('0\r\n\r\n');
          return;
        }
        socket.write(`${part.length.toString(16)}\r\n`);
        socket.write(part);
        socket.write('\r\n');
        setImmediate(next);
      };
      next();
    });
    const result = await new Promise<Buffer>((resolve, reject) => {
      const req = request(new URL('/v1/messages', proxy.url), { method: 'POST', headers: { 'content-length': 2 } }, (res) => {
        const chunks: Buffer[] = [];
        // Not a byte read for a while: the kernel's buffers towards the agent fill up.
        res.pause();
        setTimeout(() => res.resume(), 1500);
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('end', () => resolve(Buffer.concat(chunks)));
        res.once('error', reject);
      });
      req.once('error', reject);
      req.end('{}');
    });
    expect(result.length).toBe(body.length);
    expect(sha(result)).toBe(sha(body));
  }, 30_000);

  it('passes a break mid-answer on to the agent and opens a new connection for the next request', async () => {
    let count = 0;
    const { upstream, proxy } = await setUp((socket) => {
      count += 1;
      if (count === 1) {
        socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n');
        setTimeout(() => socket.destroy(), 20);
      } else {
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      }
    });
    await expect(send(proxy)).rejects.toThrow();
    expect((await send(proxy)).body.toString()).toBe('ok');
    expect(upstream.connections()).toBe(2);
    expect(proxy.stats().failuresByStatus).toMatchObject({ network: 1 });
  });

  it('retries a malformed answer like a dropped connection', async () => {
    let count = 0;
    const { proxy } = await setUp((socket) => {
      count += 1;
      socket.write(count === 1 ? 'HTTP/1.1 200 OK\r\nbroken header line\r\n\r\n' : 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    });
    expect((await send(proxy)).body.toString()).toBe('ok');
    expect(proxy.stats().retries).toBe(1);
  });
});
