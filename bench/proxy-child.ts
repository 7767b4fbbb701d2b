// The proxy case's servers, each in its own process as in a run (the agent, durable-agent and the
// model API are three processes):
//   node proxy-child.mjs upstream          a model API that streams `x-bench-bytes` bytes of SSE
//   node proxy-child.mjs proxy URL         the retry proxy in front of URL
//   node proxy-child.mjs relay URL         a bare TCP relay in front of URL (no HTTP): the floor of any proxy in Node
// Prints `READY <url>` when listening; on stdin's end prints `CPU <user µs> <system µs>` and exits.
import { createServer, type ServerResponse } from 'node:http';
import { connect, createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { once } from 'node:events';
import { startApiProxy } from '../src/proxy/api-proxy.js';

/** message_start, text deltas of about 1 KB each up to `bytes`, message_stop: what a streamed answer looks like. */
function ssePayload(bytes: number): Buffer {
  const event = (name: string, data: unknown): string => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
  const parts: string[] = [
    event('message_start', { type: 'message_start', message: { id: 'msg_bench', type: 'message', role: 'assistant', model: 'claude-bench', content: [], stop_reason: null, usage: { input_tokens: 1000, output_tokens: 1 } } }),
    event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  ];
  const tail = event('content_block_stop', { type: 'content_block_stop', index: 0 }) + event('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 100 } }) + event('message_stop', { type: 'message_stop' });
  let size = parts.reduce((sum, part) => sum + part.length, 0) + tail.length;
  let n = 0;
  while (size < bytes) {
    const text = `chunk ${n} `.padEnd(Math.min(900, Math.max(1, bytes - size - 90)), 'lorem ipsum dolor sit amet ');
    const delta = event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } });
    parts.push(delta);
    size += delta.length;
    n += 1;
  }
  parts.push(tail);
  return Buffer.from(parts.join(''));
}

async function streamTo(res: ServerResponse, payload: Buffer): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': 'req_bench' });
  // 16 KiB writes: many chunks per answer, as an SSE stream arrives.
  for (let offset = 0; offset < payload.length; offset += 16 * 1024) {
    if (!res.write(payload.subarray(offset, offset + 16 * 1024))) await once(res, 'drain');
  }
  res.end();
}

async function upstream(): Promise<{ url: string; close: () => Promise<void> }> {
  const payloads = new Map<number, Buffer>();
  const server = createServer((req, res) => {
    const bytes = Number(req.headers['x-bench-bytes'] ?? '1024');
    req.resume();
    req.once('end', () => {
      let payload = payloads.get(bytes);
      if (payload === undefined) {
        payload = ssePayload(bytes);
        payloads.set(bytes, payload);
      }
      streamTo(res, payload).catch(() => res.destroy());
    });
  });
  server.keepAliveTimeout = 60_000;
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

async function proxy(target: string): Promise<{ url: string; close: () => Promise<void> }> {
  const quiet = { info: () => undefined, warning: (message: string) => process.stderr.write(`${message}\n`), debug: () => undefined };
  // The pipeline's policy with the default inputs (api_retry_attempts 5, api_max_delay 30s), and a
  // turn gate with nothing to hold, as the pipeline's is between checkpoints.
  const started = await startApiProxy({
    upstream: target,
    policy: { attempts: 5, initialDelayMs: 1000, maxDelayMs: 30_000, factor: 2 },
    log: quiet,
    beforeForward: () => Promise.resolve(),
  });
  return { url: started.url, close: () => started.close() };
}

/**
 * The least a proxy in Node can do: bytes from one socket to the other, no HTTP, the answer read
 * into reused 256 KiB buffers (as the proxy reads it) and written on at once.
 */
async function relay(target: string): Promise<{ url: string; close: () => Promise<void> }> {
  const { hostname, port } = new URL(target);
  const free: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server = createTcpServer({ noDelay: true }, (agent) => {
    const upstream: Socket = connect({
      host: hostname,
      port: Number(port),
      noDelay: true,
      onread: {
        buffer: () => free.pop() ?? Buffer.allocUnsafeSlow(256 * 1024),
        callback: (bytes, buffer) => {
          const owned = buffer as Buffer;
          if (!agent.write(owned.subarray(0, bytes), () => free.push(owned))) {
            upstream.pause();
            agent.once('drain', () => upstream.resume());
          }
          return true;
        },
      },
    });
    agent.on('data', (chunk: Buffer) => {
      if (upstream.write(chunk)) return;
      agent.pause();
      upstream.once('drain', () => agent.resume());
    });
    for (const socket of [agent, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.once('close', () => {
        sockets.delete(socket);
        agent.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const [role, target] = process.argv.slice(2);
const server = role === 'upstream' ? await upstream() : role === 'proxy' && target ? await proxy(target) : role === 'relay' && target ? await relay(target) : undefined;
if (server === undefined) throw new Error('usage: proxy-child upstream | proxy URL | relay URL');
process.stdout.write(`READY ${server.url}\n`);
process.stdin.resume();
await once(process.stdin, 'end');
await server.close();
const usage = process.resourceUsage();
process.stdout.write(`CPU ${usage.userCPUTime} ${usage.systemCPUTime}\n`);
process.exit(0);
