import { createWriteStream, type WriteStream } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';

/**
 * The agent's raw event lines, whole and in order, across attempts (NDJSON). Writes wait for the
 * disk, so a fast agent never makes us buffer its output in memory.
 */
export class ExecutionFile {
  private constructor(
    readonly path: string,
    private readonly stream: WriteStream,
    private readonly redact: (line: string) => string,
  ) {}

  /** `redact` replaces known secrets in each line before it is written (see settings/known-secrets). */
  static async open(file: string, options: { redact?: (line: string) => string } = {}): Promise<ExecutionFile> {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    // The transcript of the run: readable by its owner only, like the agent's own session files.
    const stream = createWriteStream(file, { flags: 'a', mode: 0o600 });
    await once(stream, 'open');
    await chmod(file, 0o600);
    return new ExecutionFile(file, stream, options.redact ?? ((line) => line));
  }

  async write(line: string): Promise<void> {
    if (!this.stream.write(`${this.redact(line)}\n`)) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
}
