// Progress lines for long saves and restores: nothing for a quick one; past a few seconds a start
// line, then a line about every 10 s, and an end line.
import { formatBytes, formatDuration } from '../format.js';

export type ProgressLog = (line: string) => void;

export interface ProgressOptions {
  /** Lines appear only once the operation has run this long. */
  readonly quietMs?: number;
  readonly everyMs?: number;
  readonly now?: () => number;
}

/** One line of progress (pure, for tests and for the timer). */
export function progressLine(what: string, done: number, total: number, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? (done / elapsedMs) * 1000 : 0;
  const share = total > 0 ? ` (${Math.min(100, Math.floor((done / total) * 100))}%)` : '';
  return `${what}: ${formatBytes(done)} of ${formatBytes(total)}${share} in ${formatDuration(elapsedMs)}, ${formatBytes(Math.round(rate))}/s`;
}

export class Progress {
  readonly #what: string;
  readonly #log: ProgressLog | undefined;
  readonly #quietMs: number;
  readonly #everyMs: number;
  readonly #now: () => number;
  readonly #started: number;
  #timer: NodeJS.Timeout | undefined;
  #announced = false;
  #lastLine = 0;
  #files = 0;
  #total = 0;
  #done = 0;

  constructor(what: string, log: ProgressLog | undefined, options: ProgressOptions = {}) {
    this.#what = what;
    this.#log = log;
    this.#quietMs = options.quietMs ?? 3000;
    this.#everyMs = options.everyMs ?? 10_000;
    this.#now = options.now ?? Date.now;
    this.#started = this.#now();
    if (log !== undefined) {
      this.#timer = setInterval(() => this.tick(), 1000);
      this.#timer.unref();
    }
  }

  /** What the operation covers, as far as it is known so far. */
  plan(files: number, bytes: number): void {
    this.#files += files;
    this.#total += bytes;
  }

  advance(bytes: number): void {
    this.#done += bytes;
  }

  tick(): void {
    if (this.#log === undefined) return;
    const now = this.#now();
    const elapsed = now - this.#started;
    if (elapsed < this.#quietMs) return;
    if (!this.#announced) {
      this.#announced = true;
      this.#lastLine = now;
      this.#log(`${this.#what}: ${this.#files} files, ${formatBytes(this.#total)}…`);
      return;
    }
    if (now - this.#lastLine >= this.#everyMs) {
      this.#lastLine = now;
      this.#log(progressLine(this.#what, this.#done, this.#total, elapsed));
    }
  }

  /** Stops the timer; the end line is logged when any line was. */
  finish(summary: string): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#announced) this.#log?.(`${this.#what} done in ${formatDuration(this.#now() - this.#started)}: ${summary}`);
  }

  get elapsedMs(): number {
    return this.#now() - this.#started;
  }
}
