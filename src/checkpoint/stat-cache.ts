// Which stored segments hold an unchanged file, so a save reads only what changed since the last
// one. Kept as a file beside the staging objects; an entry is trusted only when every stat field
// (device, inode, size, mode, mtime and ctime in ns) is equal and it was scanned for the same secrets.
import type { BigIntStats } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { segmentSchema, type Segment } from './file-tree.js';

const entrySchema = z.object({ stat: z.string(), segments: z.array(segmentSchema) });
const fileSchema = z.object({
  version: z.literal(1),
  scanKey: z.string(),
  entries: z.record(z.string(), entrySchema),
  /** sha256 of a chunk's raw bytes -> the object that stores it: an unchanged chunk of a changed file is not compressed again. */
  chunks: z.record(z.string(), z.string()).default({}),
});

// A file written within this window of its read may change again within the same timestamp tick
// without its stat changing: such a file is read again next time (git's "racy clean" problem).
const RACY_NS = 1_000_000_000n;

export function statKey(info: BigIntStats): string {
  return [info.dev, info.ino, info.size, info.mode, info.mtimeNs, info.ctimeNs].join(':');
}

export class StatCache {
  #entries = new Map<string, { stat: string; segments: Segment[] }>();
  readonly #next = new Map<string, { stat: string; segments: Segment[] }>();
  #chunks = new Map<string, string>();
  readonly #nextChunks = new Map<string, string>();

  constructor(readonly scanKey: string) {}

  static async load(file: string, scanKey: string): Promise<StatCache> {
    const cache = new StatCache(scanKey);
    try {
      const parsed = fileSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
      if (parsed.success && parsed.data.scanKey === scanKey) {
        cache.#entries = new Map(Object.entries(parsed.data.entries));
        cache.#chunks = new Map(Object.entries(parsed.data.chunks));
      }
    } catch {
      // No cache yet (or a broken one): every file is read.
    }
    return cache;
  }

  lookup(absolute: string, info: BigIntStats): Segment[] | undefined {
    const entry = this.#entries.get(absolute);
    return entry !== undefined && entry.stat === statKey(info) ? entry.segments : undefined;
  }

  /** Remembers what this save stored for a file; `before`/`after` are its stat around the read. */
  remember(absolute: string, before: BigIntStats, after: BigIntStats, segments: Segment[], readStartedNs: bigint): void {
    if (statKey(before) !== statKey(after)) return;
    if (after.mtimeNs + RACY_NS > readStartedNs || after.ctimeNs + RACY_NS > readStartedNs) return;
    this.#next.set(absolute, { stat: statKey(after), segments });
  }

  /** The object that stored a chunk with these raw bytes (by their sha256) in the last save. */
  chunkObject(rawHash: string): string | undefined {
    return this.#chunks.get(rawHash);
  }

  rememberChunk(rawHash: string, id: string): void {
    this.#nextChunks.set(rawHash, id);
  }

  /** Carries a cache hit over to the next save. */
  keep(absolute: string, info: BigIntStats, segments: Segment[]): void {
    this.#next.set(absolute, { stat: statKey(info), segments });
  }

  /** Only this save's entries are kept: they reference objects the staging folder still has. */
  async save(file: string): Promise<void> {
    const data = { version: 1 as const, scanKey: this.scanKey, entries: Object.fromEntries(this.#next), chunks: Object.fromEntries(this.#nextChunks) };
    const temp = `${file}.tmp`;
    await writeFile(temp, JSON.stringify(data), { mode: 0o600 });
    await rename(temp, file);
  }
}
