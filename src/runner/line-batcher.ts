/** What one read from the agent's stdout yields: its complete lines, decoded once. */
export interface LineBatch {
  /** The complete lines, without their line ends, in order. */
  readonly lines: readonly string[];
  /** The same lines as runs of bytes, each line ended by `\n`, as they came (no copy), for the execution file. */
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

/**
 * Cuts a byte stream into lines in bounded memory. Lines are found in the bytes (a `\n` byte never
 * occurs inside a UTF-8 sequence, so no stream decoder is needed) and each is decoded once; the
 * bytes are handed on as they came, without a copy, for the execution file. Only a line that
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

  constructor(private readonly maxLineBytes = 16 * 1024 * 1024) {}

  push(chunk: Buffer): LineBatch {
    const first = chunk.indexOf(NEWLINE);
    if (first < 0) {
      const after: Buffer[] = [];
      this.hold(chunk, after);
      return { lines: [], lineBytes: NONE, overflowEnd: NONE, overflowStart: after, oversized: [] };
    }
    const runs: Buffer[] = [];
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
        runs.push(Buffer.concat([...this.pending, chunk.subarray(0, first + 1)]));
      }
      this.pending = [];
      this.pendingBytes = 0;
      start = first + 1;
    }
    const last = chunk.lastIndexOf(NEWLINE);
    if (start <= last) runs.push(chunk.subarray(start, last + 1));
    const overflowStart: Buffer[] = [];
    if (last + 1 < chunk.length) this.hold(chunk.subarray(last + 1), overflowStart);
    return linesOf(runs, overflowEnd, overflowStart, oversized);
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
    return linesOf(pending.length === 0 ? [] : [Buffer.concat([...pending, NEWLINE_BYTES])], NONE, NONE, []);
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

/** The batch for runs of complete lines (each run ends with `\n`), between overflow bytes. */
function linesOf(runs: readonly Buffer[], overflowEnd: readonly Buffer[], overflowStart: readonly Buffer[], oversized: readonly number[]): LineBatch {
  const lines: string[] = [];
  let hasCr = false;
  for (const run of runs) {
    // Decoded line by line: a line of plain ASCII then stays a one-byte string (half the memory,
    // and JSON.parse reads it faster) even when a neighbour has a non-ASCII character.
    let start = 0;
    for (let end = run.indexOf(NEWLINE); end >= 0; start = end + 1, end = run.indexOf(NEWLINE, start)) {
      const cr = end > start && run[end - 1] === CARRIAGE_RETURN;
      hasCr ||= cr;
      lines.push(run.toString('utf8', start, cr ? end - 1 : end));
    }
  }
  if (!hasCr) return { lines, lineBytes: runs, overflowEnd, overflowStart, oversized };
  // The execution file holds the lines as read: `\r\n` becomes `\n`, as it did with readline.
  return { lines, lineBytes: [Buffer.from(`${lines.join('\n')}\n`)], overflowEnd, overflowStart, oversized };
}
