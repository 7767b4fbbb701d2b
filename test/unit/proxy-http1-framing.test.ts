import { describe, expect, it } from 'vitest';
import { bodyFraming, ChunkedScanner, FramingError, MAX_HEAD_BYTES, parseResponseHead, requestHead } from '../../src/proxy/http1-framing.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

describe('parseResponseHead', () => {
  it('reads status, message, headers and the head length', () => {
    const data = bytes('HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nRequest-Id: req_1\r\n\r\nevent: ping');
    const head = parseResponseHead(data);
    expect(head).toEqual({
      status: 200,
      statusMessage: 'OK',
      headers: { 'content-type': 'text/event-stream', 'request-id': 'req_1' },
      keepAlive: true,
      length: data.indexOf('event:'),
    });
  });

  it('waits for the empty line, looking only at the given range', () => {
    expect(parseResponseHead(bytes('HTTP/1.1 200 OK\r\nx: 1\r\n'))).toBeUndefined();
    // A reused buffer may hold an old head past `end`.
    const reused = bytes('HTTP/1.1 200 OK\r\nx: 1\r\n\r\n');
    expect(parseResponseHead(reused, 20)).toBeUndefined();
  });

  it('merges repeated headers as Node does', () => {
    const head = parseResponseHead(bytes('HTTP/1.1 429 Too Many Requests\r\nset-cookie: a=1\r\nSet-Cookie: b=2\r\nvia: x\r\nvia: y\r\nretry-after: 3\r\nretry-after: 9\r\n\r\n'));
    expect(head?.headers).toEqual({ 'set-cookie': ['a=1', 'b=2'], via: 'x, y', 'retry-after': '3' });
    expect(head?.statusMessage).toBe('Too Many Requests');
  });

  it('knows when the connection stays open', () => {
    expect(parseResponseHead(bytes('HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n'))?.keepAlive).toBe(false);
    expect(parseResponseHead(bytes('HTTP/1.0 200 OK\r\n\r\n'))?.keepAlive).toBe(false);
    expect(parseResponseHead(bytes('HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n\r\n'))?.keepAlive).toBe(true);
    expect(parseResponseHead(bytes('HTTP/1.1 204\r\n\r\n'))?.statusMessage).toBe('');
  });

  it('refuses malformed and oversized heads', () => {
    expect(() => parseResponseHead(bytes('HTTP/2 200 OK\r\n\r\n'))).toThrow(FramingError);
    expect(() => parseResponseHead(bytes('HTTP/1.1 200 OK\r\nno colon\r\n\r\n'))).toThrow(FramingError);
    expect(() => parseResponseHead(bytes('HTTP/1.1 200 OK\r\nbad name: 1\r\n\r\n'))).toThrow(FramingError);
    expect(() => parseResponseHead(Buffer.alloc(MAX_HEAD_BYTES + 10, 'a'))).toThrow(/head over/);
  });
});

describe('bodyFraming', () => {
  const head = (status: number, headers: Record<string, string>): { status: number; headers: Record<string, string> } => ({ status, headers });

  it('follows RFC 9112 §6.3', () => {
    expect(bodyFraming('POST', head(200, { 'transfer-encoding': 'chunked', 'content-length': '5' }))).toEqual({ kind: 'chunked' });
    expect(bodyFraming('POST', head(200, { 'transfer-encoding': 'gzip, chunked' }))).toEqual({ kind: 'chunked' });
    expect(bodyFraming('POST', head(200, { 'transfer-encoding': 'gzip' }))).toEqual({ kind: 'close' });
    expect(bodyFraming('POST', head(200, { 'content-length': '42' }))).toEqual({ kind: 'length', length: 42 });
    expect(bodyFraming('POST', head(200, { 'content-length': '0' }))).toEqual({ kind: 'none' });
    expect(bodyFraming('POST', head(200, {}))).toEqual({ kind: 'close' });
    expect(bodyFraming('HEAD', head(200, { 'content-length': '42' }))).toEqual({ kind: 'none' });
    expect(bodyFraming('GET', head(204, {}))).toEqual({ kind: 'none' });
    expect(bodyFraming('GET', head(304, { 'content-length': '42' }))).toEqual({ kind: 'none' });
  });

  it('refuses a content-length that is not a number', () => {
    expect(() => bodyFraming('GET', head(200, { 'content-length': '4, 4' }))).toThrow(FramingError);
    expect(() => bodyFraming('GET', head(200, { 'content-length': '-1' }))).toThrow(FramingError);
  });
});

/** Scans `wire` cut into pieces at `cuts`; returns the decoded data and where the message ended. */
function scanInPieces(wire: Buffer, cuts: number[]): { data: string; end: number } {
  const scanner = new ChunkedScanner();
  let data = '';
  let end = -1;
  let from = 0;
  for (const to of [...cuts, wire.length]) {
    const at = scanner.scan(wire, from, to, (start, stop) => (data += wire.toString('latin1', start, stop)));
    if (at >= 0) {
      end = at;
      break;
    }
    from = to;
  }
  return { data, end };
}

describe('ChunkedScanner', () => {
  const wire = bytes('5\r\nhello\r\n1a;name=value\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nx-trailer: 1\r\n\r\nNEXT');

  it('finds the end of the message and the data between the size lines', () => {
    expect(scanInPieces(wire, [])).toEqual({ data: 'helloabcdefghijklmnopqrstuvwxyz', end: wire.indexOf('NEXT') });
  });

  it('gives the same answer however the bytes are cut', () => {
    for (let cut = 1; cut < wire.length - 4; cut += 1) {
      expect(scanInPieces(wire, [cut])).toEqual({ data: 'helloabcdefghijklmnopqrstuvwxyz', end: wire.indexOf('NEXT') });
    }
    const everyByte = Array.from({ length: wire.length - 1 }, (_, index) => index + 1);
    expect(scanInPieces(wire, everyByte).end).toBe(wire.indexOf('NEXT'));
  });

  it('ends an empty body without trailers', () => {
    const scanner = new ChunkedScanner();
    expect(scanner.scan(bytes('0\r\n\r\n'), 0, 5)).toBe(5);
    expect(scanner.done).toBe(true);
  });

  it('needs no callback to skip data', () => {
    const scanner = new ChunkedScanner();
    expect(scanner.scan(wire, 0, 10)).toBe(-1);
    expect(scanner.done).toBe(false);
    expect(scanner.scan(wire, 10, wire.length)).toBe(wire.indexOf('NEXT'));
  });

  it('refuses malformed framing', () => {
    for (const bad of ['x\r\n', '5\r\nhelloXX', '5\nhello\r\n', '\r\n', '12345678901234\r\n', '5;ext\n']) {
      expect(() => new ChunkedScanner().scan(bytes(bad), 0, bad.length), bad).toThrow(FramingError);
    }
  });
});

describe('requestHead', () => {
  it('writes the request line and headers', () => {
    expect(requestHead('POST', '/v1/messages?beta=true', { host: 'api', 'content-length': 12, 'x-multi': ['a', 'b'], skipped: undefined })).toBe(
      'POST /v1/messages?beta=true HTTP/1.1\r\nhost: api\r\ncontent-length: 12\r\nx-multi: a\r\nx-multi: b\r\n\r\n',
    );
  });

  it('refuses what could split the request', () => {
    expect(() => requestHead('POST', '/a b', {})).toThrow(/unescaped/);
    expect(() => requestHead('PO ST', '/', {})).toThrow(/token/);
    expect(() => requestHead('POST', '/', { 'x-evil': 'a\r\nx-injected: 1' })).toThrow();
    expect(() => requestHead('POST', '/', { 'bad name': '1' })).toThrow();
  });
});
