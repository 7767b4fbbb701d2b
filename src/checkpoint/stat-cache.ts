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
import { parseJsonAs } from '../parse-json.js';

const entrySchema = z.object({
  stat: z.string(),
  segments: z.array(segmentSchema),
  /** Written within the racy window: the stat does not vouch for the content (the CRCs still may). */
  racy: z.boolean().optional(),
  /** CRC-32 of each full chunk of a large file. */
  crcs: z.array(z.number().int().nonnegative()).optional(),
  /** CRC-32 of a large file's bytes after its last full chunk. */
  tailCrc: z.number().int().nonnegative().optional(),
});
type Entry = z.infer<typeof entrySchema>;
const fileSchema = z.object({
  // Version 2 keyed chunks by their raw object id: its entries still hold, its chunk index is dropped.
  version: z.union([z.literal(2), z.literal(3)]),
  scanKey: z.string(),
  entries: z.record(z.string(), entrySchema),
  /**
   * A chunk's `chunkKey` (CRC-32 and length) -> the object that stored it: an unchanged chunk of a
   * changed file is not compressed again. The key only proposes; the bytes are compared before reuse.
   */
  chunks: z.record(z.string(), z.string()).default({}),
});

// A file written within this window of its read may change again within the same timestamp tick
// without its stat changing: such a file is read again next time (git's "racy clean" problem).
const RACY_NS = 1_000_000_000n;

/**
 * Where a chunk is looked up in the chunk index: its CRC-32 (computed anyway for the append check,
 * ~10× cheaper than sha256) and length. Not collision-proof, so a hit is only used after its
 * object's bytes compare equal.
 */
export function chunkKey(crc: number, length: number): string {
  return `${crc.toString(16)}:${length}`;
}

/** The CRC-32s of a large file as it was read: each full chunk's, and the partial last chunk's. */
export interface LargeFileCrcs {
  readonly chunks: number[];
  readonly tail?: number | undefined;
}

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
    // No cache yet (or a broken one): every file is read.
    const parsed = parseJsonAs(fileSchema, await readFile(file, 'utf8').catch(() => ''));
    if (parsed?.scanKey === scanKey) {
      cache.#entries = new Map(Object.entries(parsed.entries));
      if (parsed.version === 3) cache.#chunks = new Map(Object.entries(parsed.chunks));
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
    return { stat, segments: entry.segments, crcs: entry.crcs, tailCrc: entry.tailCrc };
  }

  /** Remembers what this save stored for a file; `before`/`after` are its stat around the read. */
  remember(absolute: string, before: BigIntStats, after: BigIntStats, segments: Segment[], readStartedNs: bigint, crcs?: LargeFileCrcs): void {
    if (statKey(before) !== statKey(after)) return;
    const racy = after.mtimeNs + RACY_NS > readStartedNs || after.ctimeNs + RACY_NS > readStartedNs;
    // A racy small file is simply read again; a racy large one keeps its CRCs for the append check.
    if (racy && crcs === undefined) return;
    this.#next.set(absolute, {
      stat: statKey(after),
      segments,
      ...(racy ? { racy } : {}),
      ...(crcs === undefined ? {} : { crcs: crcs.chunks, ...(crcs.tail === undefined ? {} : { tailCrc: crcs.tail }) }),
    });
  }

  /** The object that stored a chunk with this `chunkKey` in the last save: a candidate, compare before use. */
  chunkObject(key: string): string | undefined {
    return this.#chunks.get(key);
  }

  rememberChunk(key: string, id: string): void {
    this.#nextChunks.set(key, id);
  }

  /** Carries a cache hit over to the next save. */
  keep(absolute: string, info: BigIntStats, segments: Segment[]): void {
    const previous = this.#entries.get(absolute);
    this.#next.set(absolute, {
      stat: statKey(info),
      segments,
      ...(previous?.crcs === undefined ? {} : { crcs: previous.crcs }),
      ...(previous?.tailCrc === undefined ? {} : { tailCrc: previous.tailCrc }),
    });
  }

  /** Only this save's entries are kept: they reference objects the staging folder still has. */
  async save(file: string): Promise<void> {
    const data = { version: 3 as const, scanKey: this.scanKey, entries: Object.fromEntries(this.#next), chunks: Object.fromEntries(this.#nextChunks) };
    const temp = `${file}.tmp`;
    await writeFile(temp, JSON.stringify(data), { mode: 0o600 });
    await rename(temp, file);
  }
}
