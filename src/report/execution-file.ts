import { createWriteStream, type WriteStream } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { batchBytes, type LineBatch } from '../runner/line-batcher.js';

export interface ExecutionFileOptions {
  /**
   * Replaces known secrets (see settings/known-secrets) in what is written, one whole line at a
   * time: a value is never split between two calls unless a single line is longer than the line
   * limit.
   */
  readonly redact?: Redact | undefined;
}

/**
 * A redactor; with its `needles` (settings/known-secrets), a line whose bytes hold none of them is
 * written without being decoded. A text holds a needle exactly when its UTF-8 bytes hold the
 * needle's.
 */
export type Redact = ((text: string) => string) & { readonly needles?: readonly string[] | undefined };

/** Whole lines (decoded, and as the bytes read), between the bytes of lines too long to read. */
export type ExecutionBatch = Pick<LineBatch, 'lines' | 'lineBytes' | 'overflowEnd' | 'overflowStart'>;

// Enough to keep the disk busy while the next batch is parsed, small enough not to matter.
const HIGH_WATER_MARK = 1024 * 1024;

/**
 * The agent's raw event lines, whole and in order, across attempts (NDJSON). One write per batch
 * of lines; a write waits for the disk only when a megabyte is queued, so a fast agent never makes
 * us buffer its output in memory.
 */
export class ExecutionFile {
  /** The redactor's needles as bytes; undefined when every line must go through the redactor. */
  private readonly needleBytes: readonly Buffer[] | undefined;

  private constructor(
    readonly path: string,
    private readonly stream: WriteStream,
    private readonly redact: Redact | undefined,
  ) {
    this.needleBytes = redact?.needles?.map((needle) => Buffer.from(needle));
  }

  static async open(file: string, options: ExecutionFileOptions = {}): Promise<ExecutionFile> {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    // The transcript of the run: readable by its owner only, like the agent's own session files.
    const stream = createWriteStream(file, { flags: 'a', mode: 0o600, highWaterMark: HIGH_WATER_MARK });
    await once(stream, 'open');
    await chmod(file, 0o600);
    return new ExecutionFile(file, stream, options.redact);
  }

  /** Appends a batch: the lines (each already ended by `\n`), and the parts of too-long lines around them. */
  async writeBatch(batch: ExecutionBatch): Promise<void> {
    const redact = this.redact;
    if (redact === undefined) {
      for (const bytes of batchBytes(batch)) await this.put(bytes);
      return;
    }
    const needles = this.needleBytes;
    if (needles !== undefined && batch.overflowEnd.length === 0 && batch.overflowStart.length === 0) {
      // The usual case: no secret in the bytes, which are written as read, without being decoded.
      if (!needles.some((needle) => holdsAcross(batch.lineBytes, needle))) {
        for (const run of batch.lineBytes) await this.put(run);
        return;
      }
    }
    // Each line is decoded and redacted whole; only a line too long to read is redacted piece by
    // piece. Where nothing changed the bytes are written as read.
    if (batch.overflowEnd.length > 0) await this.put(redact(Buffer.concat(batch.overflowEnd).toString('utf8')));
    const lines = batch.lines.map((line) => line.toString('utf8'));
    let redacted: string[] | undefined;
    for (let index = 0; index < lines.length; index++) {
      const line = lines[index] ?? '';
      const clean = redact(line);
      if (clean === line) continue;
      redacted ??= [...lines];
      redacted[index] = clean;
    }
    if (redacted === undefined) for (const run of batch.lineBytes) await this.put(run);
    else if (redacted.length > 0) await this.put(`${redacted.join('\n')}\n`);
    if (batch.overflowStart.length > 0) await this.put(redact(Buffer.concat(batch.overflowStart).toString('utf8')));
  }

  /** Appends one line. */
  async write(line: string): Promise<void> {
    await this.put(`${this.redact ? this.redact(line) : line}\n`);
  }

  private async put(data: string | Buffer): Promise<void> {
    if (data.length === 0) return;
    if (!this.stream.write(data)) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
}

/** Whether the runs, read one after the other, hold `needle`: also where it spans two or more of them (a line that crossed reads). */
export function holdsAcross(runs: readonly Buffer[], needle: Buffer): boolean {
  const overlap = needle.length - 1;
  let carry: Buffer | undefined;
  for (const run of runs) {
    if (run.includes(needle)) return true;
    if (overlap <= 0) continue;
    if (carry !== undefined && Buffer.concat([carry, run.subarray(0, overlap)]).includes(needle)) return true;
    // The last bytes seen, which a needle could start in.
    carry = run.length >= overlap || carry === undefined ? run.subarray(Math.max(0, run.length - overlap)) : Buffer.concat([carry, run]).subarray(-overlap);
  }
  return false;
}
