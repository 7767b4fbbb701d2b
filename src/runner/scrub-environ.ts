// Blanks secrets in this process's own initial environment block, the one /proc/<pid>/environ
// shows. The agent runs as the same user and may read its ancestors' /proc/<pid>/environ: deleting
// a variable from process.env does not change that block, so the action's inputs (the API key
// among them) and the runner's token would stay readable there for the whole run.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';

export interface ValueRange {
  readonly name: string;
  /** Offset of the value in the environment block. */
  readonly offset: number;
  readonly length: number;
}

/** Where the values of the variables `scrub` picks lie in an environment block (NUL-separated NAME=value). */
export function environValueRanges(block: Buffer, scrub: (name: string) => boolean): ValueRange[] {
  const ranges: ValueRange[] = [];
  let start = 0;
  while (start < block.length) {
    let end = block.indexOf(0, start);
    if (end < 0) end = block.length;
    const equals = block.indexOf(0x3d, start);
    if (equals > start && equals < end) {
      const name = block.toString('utf8', start, equals);
      if (scrub(name) && end > equals + 1) ranges.push({ name, offset: equals + 1, length: end - equals - 1 });
    }
    start = end + 1;
  }
  return ranges;
}

/** env_start and env_end from /proc/self/stat (fields 50 and 51; field 2 may hold spaces, so count after its ')'). */
export function environBounds(stat: string): { start: number; end: number } | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = Number(fields[50 - 3]);
  const end = Number(fields[51 - 3]);
  return Number.isSafeInteger(start) && Number.isSafeInteger(end) && end > start ? { start, end } : undefined;
}

/**
 * Overwrites the values of the chosen variables in this process's initial environment block with
 * `*`, after moving them into process.env's own copies (setenv allocates), so this process still
 * reads them and /proc/<pid>/environ no longer shows them. Linux only; returns the names blanked,
 * or the reason nothing could be (never throws). It does not help against a reader that may trace
 * this process (/proc/<pid>/mem) or root (sudo): see SECURITY.md.
 */
export function scrubOwnEnviron(scrub: (name: string) => boolean): { scrubbed: string[] } | { problem: string } {
  if (process.platform !== 'linux') return { problem: `not on Linux (${process.platform})` };
  try {
    const bounds = environBounds(readFileSync('/proc/self/stat', 'utf8'));
    if (!bounds) return { problem: 'the environment block could not be located' };
    const block = readFileSync('/proc/self/environ');
    if (block.length !== bounds.end - bounds.start) return { problem: 'the environment block changed size' };
    const ranges = environValueRanges(block, scrub);
    for (const { name } of ranges) {
      const value = process.env[name];
      if (value !== undefined) process.env[name] = value;
    }
    const memory = openSync('/proc/self/mem', 'r+');
    try {
      for (const range of ranges) writeSync(memory, Buffer.alloc(range.length, '*'), 0, range.length, bounds.start + range.offset);
    } finally {
      closeSync(memory);
    }
    return { scrubbed: ranges.map((range) => range.name) };
  } catch (error) {
    // Not errorMessage(): this module imports nothing of ours, so a bare node process can load it (its test does).
    return { problem: error instanceof Error ? error.message : String(error) };
  }
}
