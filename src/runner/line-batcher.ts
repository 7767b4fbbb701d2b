/** What one read from the agent's stdout yields: its complete lines, as views of the bytes read. */
export interface LineBatch {
  /**
   * The complete lines, without their line ends, in order, not decoded (a reader decodes what it
   * needs): views of the read chunks, except a line that crossed chunks, which is a view of a
   * buffer the batcher reuses and holds its bytes only until the next `push` or `end`.
   */
  readonly lines: readonly Buffer[];
  /** The same lines as runs of bytes, ended by `\n`, as they came (views of the chunks, no copy), for the execution file. */
  readonly lineBytes: readonly Buffer[];
  /** Bytes before the lines: the end of a line too long to read, `\n` included. */
  readonly overflowEnd: readonly Buffer[];
  /** Bytes after the lines: what arrived so far of a line too long to read. */
  readonly overflowStart: readonly Buffer[];
  /** Byte lengths of the lines that ended here but were too long to read. */
  readonly oversized: readonly number[];
}

/** Every byte of a batch in order: what the execution file appends. */
export function batchBytes(batch: Pick<LineBatch, 'overflowEnd' | 'lineBytes' | 'overflowStart'>): Buffer[] {
  return [...batch.overflowEnd, ...batch.lineBytes, ...batch.overflowStart];
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const NEWLINE_BYTES = Buffer.from('\n');
const NONE: readonly Buffer[] = Object.freeze([]);
/** The largest buffer kept for joining lines; a longer line (rare) is joined in one of its own. */
const JOIN_BUFFER_BYTES = 1024 * 1024;

/**
 * Cuts a byte stream into lines in bounded memory. Lines are found in the bytes (a `\n` byte never
 * occurs inside a UTF-8 sequence, so no stream decoder is needed) and handed on undecoded, as views
 * of the chunks; the bytes go on as they came, without a copy, for the execution file. Only a line that
 * crosses a chunk boundary is held; once it is longer than `maxLineBytes` its bytes are passed on
 * as they arrive and the line is not read, so memory stays bounded whatever the agent prints.
 * `\r\n` ends a line like `\n`.
 */
export class LineBatcher {
  /** The start of a line whose end has not arrived yet. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Passing through a line that is too long: how many of its bytes went out already. */
  private overflowBytes: number | undefined;
  /**
   * Where a line that crossed chunks is joined to be read. Reused: a fresh buffer per joined line
   * (each long line crosses chunks) was a copy of most of the stream into new external memory,
   * which also made V8 collect more often.
   */
  private joinBuffer = Buffer.alloc(0);

  constructor(private readonly maxLineBytes = 16 * 1024 * 1024) {}

  push(chunk: Buffer): LineBatch {
    const first = chunk.indexOf(NEWLINE);
    if (first < 0) {
      const after: Buffer[] = [];
      this.hold(chunk, after);
      return { lines: [], lineBytes: NONE, overflowEnd: NONE, overflowStart: after, oversized: [] };
    }
    const runs: Buffer[] = [];
    let joined: Buffer | undefined;
    let overflowEnd: readonly Buffer[] = NONE;
    const oversized: number[] = [];
    let start = 0;
    if (this.overflowBytes !== undefined) {
      overflowEnd = [chunk.subarray(0, first + 1)];
      oversized.push(this.overflowBytes + first);
      this.overflowBytes = undefined;
      start = first + 1;
    } else if (this.pendingBytes > 0) {
      if (this.pendingBytes + first > this.maxLineBytes) {
        overflowEnd = [...this.pending, chunk.subarray(0, first + 1)];
        oversized.push(this.pendingBytes + first);
      } else {
        const end = chunk.subarray(0, first + 1);
        joined = this.join(end);
        runs.push(...this.pending, end);
      }
      this.pending = [];
      this.pendingBytes = 0;
      start = first + 1;
    }
    const last = chunk.lastIndexOf(NEWLINE);
    const rest = start <= last ? chunk.subarray(start, last + 1) : undefined;
    if (rest !== undefined) runs.push(rest);
    const overflowStart: Buffer[] = [];
    if (last + 1 < chunk.length) this.hold(chunk.subarray(last + 1), overflowStart);
    return linesOf(joined, rest, runs, overflowEnd, overflowStart, oversized);
  }

  /** The last line, when the stream ended without a newline; it gets one in the bytes. */
  end(): LineBatch {
    const pending = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    if (this.overflowBytes !== undefined) {
      const total = this.overflowBytes + pending.reduce((sum, part) => sum + part.length, 0);
      this.overflowBytes = undefined;
      return { lines: [], lineBytes: NONE, overflowEnd: [...pending, NEWLINE_BYTES], overflowStart: NONE, oversized: [total] };
    }
    if (pending.length === 0) return linesOf(undefined, undefined, [], NONE, NONE, []);
    const last = Buffer.concat([...pending, NEWLINE_BYTES]);
    return linesOf(undefined, last, [last], NONE, NONE, []);
  }

  /** The held start of a line and its `end` (`\n` included) in one piece, in the reused buffer. */
  private join(end: Buffer): Buffer {
    const length = this.pendingBytes + end.length;
    if (this.joinBuffer.length < length && length <= JOIN_BUFFER_BYTES) {
      this.joinBuffer = Buffer.allocUnsafe(Math.min(JOIN_BUFFER_BYTES, Math.max(length, 2 * this.joinBuffer.length)));
    }
    const target = length <= this.joinBuffer.length ? this.joinBuffer : Buffer.allocUnsafe(length);
    let at = 0;
    for (const part of this.pending) at += part.copy(target, at);
    end.copy(target, at);
    return target.subarray(0, length);
  }

  /** Keeps the start of an unfinished line, or passes it through once it is too long. */
  private hold(part: Buffer, out: Buffer[]): void {
    if (this.overflowBytes !== undefined) {
      out.push(part);
      this.overflowBytes += part.length;
      return;
    }
    // A chunk from a stream is never reused by Node, so holding a view of it is safe.
    this.pending.push(part);
    this.pendingBytes += part.length;
    if (this.pendingBytes > this.maxLineBytes) {
      out.push(...this.pending);
      this.overflowBytes = this.pendingBytes;
      this.pending = [];
      this.pendingBytes = 0;
    }
  }
}

/**
 * The batch: the lines of `joined` (one line that crossed chunks) and of `rest` (whole lines of the
 * chunk), each ended by `\n`; `runs` are their bytes as read.
 */
function linesOf(
  joined: Buffer | undefined,
  rest: Buffer | undefined,
  runs: readonly Buffer[],
  overflowEnd: readonly Buffer[],
  overflowStart: readonly Buffer[],
  oversized: readonly number[],
): LineBatch {
  const lines: Buffer[] = [];
  let hasCr = false;
  for (const run of [joined, rest]) {
    if (run === undefined) continue;
    let start = 0;
    for (let end = run.indexOf(NEWLINE); end >= 0; start = end + 1, end = run.indexOf(NEWLINE, start)) {
      const cr = end > start && run[end - 1] === CARRIAGE_RETURN;
      hasCr ||= cr;
      lines.push(run.subarray(start, cr ? end - 1 : end));
    }
  }
  if (!hasCr) return { lines, lineBytes: runs, overflowEnd, overflowStart, oversized };
  // The execution file holds the lines as read: `\r\n` becomes `\n`, as it did with readline.
  return { lines, lineBytes: [Buffer.concat(lines.flatMap((line) => [line, NEWLINE_BYTES]))], overflowEnd, overflowStart, oversized };
}
