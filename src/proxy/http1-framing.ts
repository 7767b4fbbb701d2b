/**
 * HTTP/1.1 response framing for the proxy's upstream client; pure. The proxy relays an answer's
 * body bytes exactly as they arrive (chunk framing included), so all it has to know is where the
 * head ends, how the body is framed and where the message ends.
 */
import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** Larger heads are refused, as Node's own client refuses them (its default max header size). */
export const MAX_HEAD_BYTES = 16 * 1024;

export interface ResponseHead {
  readonly status: number;
  readonly statusMessage: string;
  /** Lower-case names; duplicates merged the way Node's IncomingMessage merges them. */
  readonly headers: IncomingHttpHeaders;
  /** Whether the connection stays open after this message (HTTP version and `connection`). */
  readonly keepAlive: boolean;
  /** Bytes of the head, up to and including the empty line. */
  readonly length: number;
}

export class FramingError extends Error {
  readonly code = 'HPE_INVALID_RESPONSE';
  constructor(message: string) {
    super(message);
    this.name = 'FramingError';
  }
}

// Node keeps the first of these when a response repeats them (IncomingMessage#_addHeaderLine).
const FIRST_WINS: ReadonlySet<string> = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The response head at the start of `data[0..end)`, or undefined while its empty line has not
 * arrived. Throws FramingError for anything Node's strict parser would refuse.
 */
export function parseResponseHead(data: Buffer, end = data.length): ResponseHead | undefined {
  const stop = data.subarray(0, Math.min(end, MAX_HEAD_BYTES)).indexOf('\r\n\r\n', 0, 'latin1');
  if (stop < 0) {
    if (end >= MAX_HEAD_BYTES) throw new FramingError(`response head over ${MAX_HEAD_BYTES} bytes`);
    return undefined;
  }
  const lines = data.toString('latin1', 0, stop).split('\r\n');
  const status = STATUS_LINE.exec(lines[0] ?? '');
  if (!status) throw new FramingError('malformed status line');
  const headers: IncomingHttpHeaders = {};
  for (let index = 1; index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    if (colon <= 0 || !TOKEN.test(name)) throw new FramingError('malformed header line');
    addHeader(headers, name, line.slice(colon + 1).trim());
  }
  const http11 = status[1] === '1';
  const connection = tokens(headers.connection);
  return {
    status: Number(status[2]),
    statusMessage: status[3] ?? '',
    headers,
    keepAlive: http11 ? !connection.includes('close') : connection.includes('keep-alive'),
    length: stop + 4,
  };
}

function addHeader(headers: IncomingHttpHeaders, name: string, value: string): void {
  const had = headers[name];
  if (had === undefined) {
    headers[name] = name === 'set-cookie' ? [value] : value;
    return;
  }
  if (Array.isArray(had)) had.push(value);
  else if (FIRST_WINS.has(name)) return;
  else headers[name] = `${had}${name === 'cookie' ? '; ' : ', '}${value}`;
}

function tokens(value: string | string[] | undefined): string[] {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
  return joined
    .split(',')
    .map((token) => token.trim().toLowerCase())
    .filter((token) => token !== '');
}

export type BodyFraming =
  | { readonly kind: 'none' }
  | { readonly kind: 'length'; readonly length: number }
  | { readonly kind: 'chunked' }
  /** Until the upstream closes the connection. */
  | { readonly kind: 'close' };

/** How the body of a response to `method` is delimited (RFC 9112 §6.3). */
export function bodyFraming(method: string, head: Pick<ResponseHead, 'status' | 'headers'>): BodyFraming {
  const { status, headers } = head;
  if (method === 'HEAD' || status < 200 || status === 204 || status === 304) return { kind: 'none' };
  const codings = tokens(headers['transfer-encoding']);
  if (codings.length > 0) return codings.at(-1) === 'chunked' ? { kind: 'chunked' } : { kind: 'close' };
  const length = headers['content-length'];
  if (length !== undefined) {
    if (!/^\d{1,15}$/.test(length)) throw new FramingError('malformed content-length');
    const bytes = Number(length);
    return bytes === 0 ? { kind: 'none' } : { kind: 'length', length: bytes };
  }
  return { kind: 'close' };
}

// The scanner's states; numbers, so the switch below stays a jump table.
const Chunk = {
  Size: 0,
  Extension: 1,
  SizeLf: 2,
  Data: 3,
  DataCr: 4,
  DataLf: 5,
  TrailerLineStart: 6,
  TrailerLine: 7,
  TrailerLf: 8,
  EndLf: 9,
  Done: 10,
} as const;
type ChunkState = (typeof Chunk)[keyof typeof Chunk];

const CR = 0x0d;
const LF = 0x0a;

/**
 * Follows a chunked body across reads to find where the message ends, touching only the few
 * bytes of each chunk's size line: the data between them is skipped, or handed to `onData` when
 * the body is wanted decoded.
 */
export class ChunkedScanner {
  #state: ChunkState = Chunk.Size;
  #remaining = 0;
  #digits = 0;

  get done(): boolean {
    return this.#state === Chunk.Done;
  }

  /**
   * Scans `data[start..end)`. Returns the offset just past the message's last byte when it ends
   * inside this range, else -1. Throws FramingError on malformed framing.
   */
  scan(data: Uint8Array, start: number, end: number, onData?: (from: number, to: number) => void): number {
    let at = start;
    while (at < end) {
      switch (this.#state) {
        case Chunk.Data: {
          const to = Math.min(end, at + this.#remaining);
          onData?.(at, to);
          this.#remaining -= to - at;
          at = to;
          if (this.#remaining === 0) this.#state = Chunk.DataCr;
          continue;
        }
        case Chunk.Size: {
          const byte = data[at] ?? 0;
          const digit = hexValue(byte);
          if (digit >= 0) {
            // 13 hex digits stay below 2^53.
            if (++this.#digits > 13) throw new FramingError('chunk size too large');
            this.#remaining = this.#remaining * 16 + digit;
          } else if (this.#digits === 0) {
            throw new FramingError('malformed chunk size');
          } else if (byte === CR) {
            this.#state = Chunk.SizeLf;
          } else if (byte === 0x3b || byte === 0x20 || byte === 0x09) {
            this.#state = Chunk.Extension;
          } else {
            throw new FramingError('malformed chunk size');
          }
          break;
        }
        case Chunk.Extension:
          if (data[at] === CR) this.#state = Chunk.SizeLf;
          else if (data[at] === LF) throw new FramingError('bare LF in chunk extension');
          break;
        case Chunk.SizeLf:
          expect(data[at], LF);
          this.#digits = 0;
          this.#state = this.#remaining === 0 ? Chunk.TrailerLineStart : Chunk.Data;
          break;
        case Chunk.DataCr:
          expect(data[at], CR);
          this.#state = Chunk.DataLf;
          break;
        case Chunk.DataLf:
          expect(data[at], LF);
          this.#state = Chunk.Size;
          break;
        case Chunk.TrailerLineStart:
          this.#state = data[at] === CR ? Chunk.EndLf : Chunk.TrailerLine;
          break;
        case Chunk.TrailerLine:
          if (data[at] === CR) this.#state = Chunk.TrailerLf;
          break;
        case Chunk.TrailerLf:
          expect(data[at], LF);
          this.#state = Chunk.TrailerLineStart;
          break;
        case Chunk.EndLf:
          expect(data[at], LF);
          this.#state = Chunk.Done;
          return at + 1;
        case Chunk.Done:
          return at;
      }
      at += 1;
    }
    return this.#state === Chunk.Done ? at : -1;
  }
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

function expect(byte: number | undefined, wanted: number): void {
  if (byte !== wanted) throw new FramingError('malformed chunk framing');
}

/**
 * The request line and headers, validated as node:http validates them (no CR/LF can be smuggled
 * into a header). `host` and `content-length` are the caller's.
 */
export function requestHead(method: string, path: string, headers: OutgoingHttpHeaders): string {
  if (!TOKEN.test(method)) throw Object.assign(new TypeError('API proxy: the request method is not a valid token'), { code: 'ERR_INVALID_HTTP_TOKEN' });
  // node:http's own rule for a request path.
  if (!/^[\x21-\xff]+$/.test(path)) throw Object.assign(new TypeError('API proxy: the request path contains unescaped characters'), { code: 'ERR_UNESCAPED_CHARACTERS' });
  let head = `${method} ${path} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    validateHeaderName(name);
    for (const one of Array.isArray(value) ? value : [value]) {
      const text = String(one);
      validateHeaderValue(name, text);
      head += `${name}: ${text}\r\n`;
    }
  }
  return `${head}\r\n`;
}
