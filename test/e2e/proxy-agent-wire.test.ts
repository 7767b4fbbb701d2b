/**
 * The agent's side of the proxy on the wire: the relayed answer is written to the agent's socket
 * directly (its head in the same write as the body bytes that came with it), so the bytes an agent
 * reads must be a well-formed HTTP/1.1 answer, one after another on a kept-alive connection, in
 * request order when requests are pipelined, and the head must not wait for the body.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { chunked, dribble, proxiedWireUpstreams } from '../support/wire-upstream.js';

const { setUp, onCleanup } = proxiedWireUpstreams();

interface RawAnswer {
  readonly head: string;
  /** The body's bytes as they came over the wire, framing included. */
  readonly wire: Buffer;
}

/**
 * An agent that speaks HTTP/1.1 by hand on one connection: what it writes is sent as it is, and
 * the answers are cut out of the byte stream by their own framing.
 */
async function rawAgent(url: string): Promise<{ write(data: string): void; answers(count: number): Promise<RawAnswer[]>; readonly socket: Socket }> {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port) });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  onCleanup(() => void socket.destroy());
  let pending = Buffer.alloc(0);
  const parsed: RawAnswer[] = [];
  let wake: (() => void) | undefined;
  let closed = false;
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    for (let answer = cut(pending); answer !== undefined; answer = cut(pending)) {
      parsed.push(answer.answer);
      pending = pending.subarray(answer.length);
    }
    wake?.();
  });
  socket.once('close', () => {
    closed = true;
    wake?.();
  });
  return {
    socket,
    write: (data) => void socket.write(data),
    answers: async (count) => {
      while (parsed.length < count && !closed) await new Promise<void>((resolve) => (wake = resolve));
      return parsed.splice(0, count);
    },
  };
}

/** The first whole answer in `data`, or undefined while it is still arriving. */
function cut(data: Buffer): { answer: RawAnswer; length: number } | undefined {
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const head = data.toString('latin1', 0, headEnd);
  const start = headEnd + 4;
  const length = /\r\ncontent-length: *(\d+)/i.exec(head);
  if (length?.[1] !== undefined) {
    const end = start + Number(length[1]);
    return data.length < end ? undefined : { answer: { head, wire: data.subarray(start, end) }, length: end };
  }
  expect(head).toMatch(/\r\ntransfer-encoding: *chunked/i);
  let at = start;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(data.toString('latin1', at, lineEnd).split(';')[0] ?? '', 16);
    expect(Number.isNaN(size)).toBe(false);
    if (size === 0) {
      // Trailer lines, then the empty line.
      let line = lineEnd + 2;
      for (;;) {
        const next = data.indexOf('\r\n', line);
        if (next < 0) return undefined;
        if (next === line) return { answer: { head, wire: data.subarray(start, next + 2) }, length: next + 2 };
        line = next + 2;
      }
    }
    at = lineEnd + 2 + size + 2;
    if (data.length < at) return undefined;
    expect(data.toString('latin1', at - 2, at)).toBe('\r\n');
  }
}

const post = (id: string): string => `POST /v1/messages HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\nx-id: ${id}\r\ncontent-length: 2\r\n\r\n{}`;

/** Bytes 0..250 over and over, `length` of them, offset by `seed`: every answer's body differs. */
function pattern(length: number, seed: number): Buffer {
  const data = Buffer.alloc(length);
  for (let index = 0; index < length; index += 1) data[index] = (index + seed) % 251;
  return data;
}

describe('the answer on the agent connection', () => {
  it('gives the agent the upstream chunk framing byte for byte, answer after answer on one kept-alive connection', async () => {
    // Over 256 KiB (one upstream read) in uneven chunks, with an extension and a trailer.
    const body = pattern(700_000, 7);
    const framing = Buffer.concat([Buffer.from('3;note=x\r\nabc\r\n'), chunked(body, 90_001).subarray(0, -5), Buffer.from('0\r\nx-trailer: 1\r\n\r\n')]);
    const { upstream, proxy } = await setUp((socket) =>
      dribble(socket, [Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nrequest-id: req_1\r\ntransfer-encoding: chunked\r\n\r\n'), framing.subarray(0, 1000)]), framing.subarray(1000, 300_000), framing.subarray(300_000)]),
    );
    const agent = await rawAgent(proxy.url);
    for (let round = 0; round < 3; round += 1) {
      agent.write(post(String(round)));
      const [answer] = await agent.answers(1);
      expect(answer?.head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(answer?.head).toMatch(/\r\nrequest-id: req_1(\r\n|$)/);
      expect(answer?.head.match(/transfer-encoding/gi)).toHaveLength(1);
      expect(answer?.wire.equals(framing)).toBe(true);
    }
    expect(agent.socket.destroyed).toBe(false);
    expect(upstream.connections()).toBe(1);
  }, 20_000);

  it('answers pipelined requests in their order, each whole, while the second is answered upstream first', async () => {
    const bodies = { first: pattern(600_000, 1), second: pattern(50_000, 2) };
    let secondAnswered = false;
    let firstDone = false;
    let secondBeforeFirstDone = false;
    const { proxy } = await setUp((socket, head) => {
      if (head.includes('x-id: second')) {
        socket.write(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 50000\r\n\r\n'), bodies.second]));
        secondAnswered = true;
        return;
      }
      // The first answer comes slowly, so the second one is ready long before it ends.
      const wire = chunked(bodies.first, 20_000);
      const parts: Buffer[] = [Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n')];
      for (let offset = 0; offset < wire.length; offset += 50_000) parts.push(wire.subarray(offset, offset + 50_000));
      const last = parts.length;
      let written = 0;
      const next = (): void => {
        const part = parts[written++];
        if (part === undefined || socket.destroyed) return;
        socket.write(part, () => {
          if (written === last) {
            secondBeforeFirstDone = secondAnswered;
            firstDone = true;
          }
        });
        setTimeout(next, 10);
      };
      next();
    });
    const agent = await rawAgent(proxy.url);
    agent.write(post('first') + post('second'));
    const [first, second] = await agent.answers(2);
    expect(firstDone).toBe(true);
    expect(secondBeforeFirstDone).toBe(true);
    expect(first?.wire.equals(chunked(bodies.first, 20_000))).toBe(true);
    expect(second?.head).toMatch(/\r\ncontent-length: 50000(\r\n|$)/);
    expect(second?.wire.equals(bodies.second)).toBe(true);
  }, 20_000);

  it('drops the upstream connection when the agent leaves mid-answer, counts no failure, and serves the next request', async () => {
    let upstreamClosed: (() => void) | undefined;
    const closed = new Promise<void>((resolve) => (upstreamClosed = resolve));
    let count = 0;
    const { upstream, proxy } = await setUp((socket) => {
      count += 1;
      if (count > 1) {
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
        return;
      }
      socket.once('close', () => upstreamClosed?.());
      // Half of a long answer, then nothing: only the agent's leaving can end this exchange.
      socket.write(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n'), chunked(pattern(400_000, 3), 40_000).subarray(0, 300_000)]));
    });
    const agent = await rawAgent(proxy.url);
    agent.write(post('leaving'));
    await new Promise<void>((resolve) => agent.socket.once('data', () => resolve()));
    agent.socket.destroy();
    await closed;
    const next = await rawAgent(proxy.url);
    next.write(post('next'));
    const [answer] = await next.answers(1);
    expect(answer?.wire.toString()).toBe('ok');
    expect(upstream.connections()).toBe(2);
    expect(proxy.stats().failuresByStatus).toEqual({});
    expect(proxy.stats().passedOnFailures).toBe(0);
  }, 20_000);

  it('sends the head at once when the upstream sends it before any of the body', async () => {
    let release: (() => void) | undefined;
    const headSeen = new Promise<void>((resolve) => (release = resolve));
    const { proxy } = await setUp((socket) => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n');
      // The body only once the agent has the head: a proxy that held the head for it would hang here.
      void headSeen.then(() => socket.write('5\r\nhello\r\n0\r\n\r\n'));
    });
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(new URL('/v1/messages', proxy.url), { method: 'POST', headers: { 'content-length': 2 } }, (res) => {
        release?.();
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.once('end', () => resolve(text));
        res.once('error', reject);
      });
      req.once('error', reject);
      req.end('{}');
    });
    expect(body).toBe('hello');
  }, 20_000);
});
