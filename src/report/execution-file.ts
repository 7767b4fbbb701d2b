import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';

/**
 * The agent's raw event lines, whole and in order, across attempts (NDJSON). Writes wait for the
 * disk, so a fast agent never makes us buffer its output in memory.
 */
export class ExecutionFile {
  private constructor(readonly path: string, private readonly stream: WriteStream) {}

  static async open(file: string): Promise<ExecutionFile> {
    await mkdir(path.dirname(file), { recursive: true });
    const stream = createWriteStream(file, { flags: 'a' });
    await once(stream, 'open');
    return new ExecutionFile(file, stream);
  }

  async write(line: string): Promise<void> {
    if (!this.stream.write(`${line}\n`)) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
}
