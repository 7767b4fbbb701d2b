// Which stored segments hold an unchanged file, so a save reads only what changed since the last
// one. Kept as a file beside the staging objects; an entry is trusted only when every stat field
// (device, inode, size, mode, mtime and ctime in ns) is equal, it was not written too close to its
// read, and it was scanned for the same secrets. A large file that changed keeps a record of its
// chunks' CRC-32, so an appended log re-hashes only its new tail (see chunk-reuse.ts).
import type { BigIntStats } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { parseStatKey, type StoredLargeFile } from './chunk-reuse.js';
import { segmentSchema, type Segment } from './file-tree.js';

const entrySchema = z.object({
  stat: z.string(),
  segments: z.array(segmentSchema),
  /** Written within the racy window: the stat does not vouch for the content (the CRCs still may). */
  racy: z.boolean().optional(),
  /** CRC-32 of each full chunk of a large file. */
  crcs: z.array(z.number().int().nonnegative()).optional(),
});
type Entry = z.infer<typeof entrySchema>;
const fileSchema = z.object({
  version: z.literal(2),
  scanKey: z.string(),
  entries: z.record(z.string(), entrySchema),
  /** A chunk's raw object id (`rawObjectId`) -> the object that stores it: an unchanged chunk of a changed file is not compressed again. */
  chunks: z.record(z.string(), z.string()).default({}),
});

// A file written within this window of its read may change again within the same timestamp tick
// without its stat changing: such a file is read again next time (git's "racy clean" problem).
const RACY_NS = 1_000_000_000n;

export function statKey(info: BigIntStats): string {
  return [info.dev, info.ino, info.size, info.mode, info.mtimeNs, info.ctimeNs].join(':');
}

export class StatCache {
  #entries = new Map<string, Entry>();
  readonly #next = new Map<string, Entry>();
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
    return entry !== undefined && entry.racy !== true && entry.stat === statKey(info) ? entry.segments : undefined;
  }

  /** What the last save stored for a large file, for the append check; undefined without CRCs. */
  largeFile(absolute: string): StoredLargeFile | undefined {
    const entry = this.#entries.get(absolute);
    const stat = entry === undefined ? undefined : parseStatKey(entry.stat);
    if (entry?.crcs === undefined || stat === undefined) return undefined;
    return { stat, segments: entry.segments, crcs: entry.crcs };
  }

  /** Remembers what this save stored for a file; `before`/`after` are its stat around the read. */
  remember(absolute: string, before: BigIntStats, after: BigIntStats, segments: Segment[], readStartedNs: bigint, crcs?: number[]): void {
    if (statKey(before) !== statKey(after)) return;
    const racy = after.mtimeNs + RACY_NS > readStartedNs || after.ctimeNs + RACY_NS > readStartedNs;
    // A racy small file is simply read again; a racy large one keeps its CRCs for the append check.
    if (racy && crcs === undefined) return;
    this.#next.set(absolute, { stat: statKey(after), segments, ...(racy ? { racy } : {}), ...(crcs === undefined ? {} : { crcs }) });
  }

  /** The object that stored a chunk with these raw bytes (by their raw object id) in the last save. */
  chunkObject(rawId: string): string | undefined {
    return this.#chunks.get(rawId);
  }

  rememberChunk(rawId: string, id: string): void {
    this.#nextChunks.set(rawId, id);
  }

  /** Carries a cache hit over to the next save. */
  keep(absolute: string, info: BigIntStats, segments: Segment[]): void {
    const crcs = this.#entries.get(absolute)?.crcs;
    this.#next.set(absolute, { stat: statKey(info), segments, ...(crcs === undefined ? {} : { crcs }) });
  }

  /** Only this save's entries are kept: they reference objects the staging folder still has. */
  async save(file: string): Promise<void> {
    const data = { version: 2 as const, scanKey: this.scanKey, entries: Object.fromEntries(this.#next), chunks: Object.fromEntries(this.#nextChunks) };
    const temp = `${file}.tmp`;
    await writeFile(temp, JSON.stringify(data), { mode: 0o600 });
    await rename(temp, file);
  }
}
