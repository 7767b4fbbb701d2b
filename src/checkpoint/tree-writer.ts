// Stores a folder's selected entries as objects: small files packed together, large files in
// fixed-size chunks. Each file is read once into memory; the secret scan, the hash and the
// compression all see that same buffer, so what is stored is exactly what was scanned.
import { lstatSync, type BigIntStats } from 'node:fs';
import { open, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { reusableChunks, reusableTail, type ReusableTail } from './chunk-reuse.js';
import { CHUNK_SIZE, PACK_TARGET, SMALL_FILE_LIMIT, type FileTree, type FileTreeEntry, type Segment } from './file-tree.js';
import { lstatNow, statBatchTurn, type TreeEntry } from './files.js';
import { decodeObject, encodeObject } from './object-codec.js';
import type { ObjectFolder } from './object-folder.js';
import type { Progress } from './progress.js';
import { containsSecret, SecretScanner } from './secret-scan.js';
import { chunkKey, type StatCache } from './stat-cache.js';

/** Counters of one save, over all its areas. */
export interface SaveStats {
  files: number;
  /** Bytes of files read (cache misses). */
  bytesRead: number;
  /** Stored bytes of objects this save wrote (new to the staging folder). */
  bytesNew: number;
  objectsNew: number;
}

export interface TreeWriterContext {
  readonly objects: ObjectFolder;
  readonly needles: readonly Buffer[];
  readonly cache: StatCache;
  readonly stats: SaveStats;
  readonly progress?: Progress | undefined;
  /** Which objects the staging folder holds, as far as this save looked (many files share a pack). */
  readonly present?: Map<string, boolean> | undefined;
}

export interface StoredTree {
  readonly tree: FileTree;
  /** Paths (relative to the root) left out because they or their names hold a secret. */
  readonly secretHits: string[];
  readonly warnings: string[];
}

// Compressions in flight: both cores busy, memory bounded (each holds one chunk and its output).
const IN_FLIGHT = 3;
// Files read at once; a large one holds one chunk at a time.
const READERS = 4;


type MutableFile = Extract<FileTreeEntry, { kind: 'file' }> & { segments: Segment[] };

class ObjectWriter {
  readonly #inflight = new Set<Promise<void>>();
  #packParts: Buffer[] = [];
  #packSize = 0;
  #packPending: Array<{ onPlaced: (segment: Segment) => void; offset: number; length: number }> = [];
  #after: Array<() => void> = [];
  /** Chunk buffers whose object is written, for the next chunk: 1 GB of outputs must not mean 1 GB of garbage. */
  readonly #spare: Buffer[] = [];

  constructor(private readonly context: TreeWriterContext) {}

  /** A CHUNK_SIZE buffer to read into. */
  takeBuffer(): Buffer {
    return this.#spare.pop() ?? Buffer.allocUnsafe(CHUNK_SIZE);
  }

  giveBack(buffer: Buffer): void {
    if (this.#spare.length < IN_FLIGHT + READERS) this.#spare.push(buffer);
  }

  /** Encodes and writes in the background; `onStored` gets the id; `release` is given back once written. */
  async submit(data: Buffer, onStored: (id: string) => void, release?: Buffer): Promise<void> {
    while (this.#inflight.size >= IN_FLIGHT) await Promise.race(this.#inflight);
    const job = (async () => {
      const encoded = await encodeObject(data);
      if (await this.context.objects.write(encoded.id, encoded.parts)) {
        this.context.stats.bytesNew += encoded.size;
        this.context.stats.objectsNew += 1;
      }
      onStored(encoded.id);
      this.context.progress?.advance(data.length);
      if (release !== undefined) this.giveBack(release);
    })();
    const tracked = job.finally(() => this.#inflight.delete(tracked));
    this.#inflight.add(tracked);
  }

  /** Packs `data` with other small ones; `onPlaced` gets its segment once the pack is written. */
  async addSmall(data: Buffer, onPlaced: (segment: Segment) => void): Promise<void> {
    this.#packPending.push({ onPlaced, offset: this.#packSize, length: data.length });
    this.#packParts.push(data);
    this.#packSize += data.length;
    if (this.#packSize >= PACK_TARGET) await this.flushPack();
  }

  async flushPack(): Promise<void> {
    if (this.#packParts.length === 0) return;
    const data = Buffer.concat(this.#packParts, this.#packSize);
    const pending = this.#packPending;
    this.#packParts = [];
    this.#packSize = 0;
    this.#packPending = [];
    await this.submit(data, (id) => {
      for (const { onPlaced, offset, length } of pending) onPlaced([id, offset, length]);
    });
  }

  /** Runs once every submitted object is written (segments are known then). */
  afterDrain(callback: () => void): void {
    this.#after.push(callback);
  }

  async drain(): Promise<void> {
    await this.flushPack();
    await Promise.all(this.#inflight);
    const callbacks = this.#after;
    this.#after = [];
    for (const callback of callbacks) callback();
  }
}

/** Whether a link's target, taken lexically from the link's folder, stays inside the root. */
export function linkStaysInside(rel: string, target: string): boolean {
  if (path.posix.isAbsolute(target)) return false;
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(rel), target));
  return resolved !== '..' && !resolved.startsWith('../');
}

/**
 * Stores `entries` (relative to `root`, parents before children) and returns their listing. A file
 * or link whose content or name holds a secret is left out (a folder whose name does, with its
 * subtree); set-id files and links leaving the root are left out with a warning; files that vanish
 * meanwhile are skipped.
 */
export async function storeTree(context: TreeWriterContext, root: string, entries: readonly TreeEntry[]): Promise<StoredTree> {
  const { needles, cache, stats } = context;
  const secretHits: string[] = [];
  const warnings: string[] = [];
  const out: FileTreeEntry[] = [];
  const writer = new ObjectWriter(context);
  const droppedFolders: string[] = [];

  // A stat pass first: the progress line knows the total, and unchanged files are known up front.
  const infos = new Map<string, BigIntStats>();
  let planned = 0;
  for (const [index, entry] of entries.entries()) {
    if (entry.kind !== 'file') continue;
    // Synchronous (microseconds each, against a thread-pool trip), a batch per turn of the event loop.
    await statBatchTurn(index);
    const info = entry.info ?? lstatNow(path.join(root, entry.rel));
    if (info === undefined) continue;
    infos.set(entry.rel, info);
    if (cache.lookup(path.join(root, entry.rel), info) === undefined) planned += Number(info.size);
  }
  context.progress?.plan(infos.size, planned);

  // Files are read a few at a time (their I/O overlaps); the listing keeps the entries' order.
  const slots: Array<FileTreeEntry | undefined> = new Array<FileTreeEntry | undefined>(entries.length);
  const reading = new Set<Promise<void>>();
  const tolerate = (error: unknown): void => {
    // The agent may delete or replace files while we read them: nothing to save for those.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EISDIR' && code !== 'ENOTDIR' && code !== 'EINVAL') throw error;
  };
  for (const [index, entry] of entries.entries()) {
    if (droppedFolders.some((folder) => entry.rel.startsWith(`${folder}/`))) continue;
    const absolute = path.join(root, entry.rel);
    if (containsSecret(entry.rel, needles)) {
      secretHits.push(entry.rel);
      if (entry.kind === 'directory') droppedFolders.push(entry.rel);
      continue;
    }
    try {
      if (entry.kind === 'directory') {
        const info = lstatSync(absolute, { throwIfNoEntry: false });
        if (info?.isDirectory() !== true) continue;
        slots[index] = { kind: 'directory', path: entry.rel, mode: info.mode & 0o7777 };
      } else if (entry.kind === 'symlink') {
        const target = await readlink(absolute);
        if (containsSecret(target, needles)) {
          secretHits.push(entry.rel);
        } else if (!linkStaysInside(entry.rel, target)) {
          warnings.push(`left out the link '${entry.rel}' -> '${target}': it points outside ${root}`);
        } else {
          slots[index] = { kind: 'symlink', path: entry.rel, target };
        }
      } else {
        const before = infos.get(entry.rel);
        if (before === undefined || !before.isFile()) continue;
        if ((Number(before.mode) & 0o6000) !== 0) {
          warnings.push(`left out '${entry.rel}': set-id files are not checkpointed`);
          continue;
        }
        const mode = Number(before.mode) & 0o777;
        stats.files += 1;
        const cached = cache.lookup(absolute, before);
        if (cached !== undefined && allObjectsPresent(context, cached)) {
          cache.keep(absolute, before, cached);
          slots[index] = { kind: 'file', path: entry.rel, mode, size: Number(before.size), segments: cached };
          continue;
        }
        while (reading.size >= READERS) await Promise.race(reading);
        const job = storeFile(writer, context, absolute, entry.rel, mode, before).then((stored) => {
          if (stored === 'secret') secretHits.push(entry.rel);
          else if (stored !== undefined) slots[index] = stored;
        }, tolerate);
        const tracked = job.finally(() => reading.delete(tracked));
        reading.add(tracked);
      }
    } catch (error) {
      tolerate(error);
    }
  }
  await Promise.all(reading);
  for (const slot of slots) if (slot !== undefined) out.push(slot);
  secretHits.sort();
  await writer.drain();
  // Segments of packed files arrive as their packs are written: a file left without one vanished.
  const tree: FileTree = { version: 1, entries: out.filter((entry) => entry.kind !== 'file' || entry.size === 0 || entry.segments.length > 0), deleted: [] };
  return { tree, secretHits, warnings };
}

/** Whether the staging folder holds every object the segments name. */
export function allObjectsPresent(context: TreeWriterContext, segments: readonly Segment[]): boolean {
  for (const [id] of segments) if (!isPresent(context, id)) return false;
  return true;
}

async function storeFile(
  writer: ObjectWriter,
  context: TreeWriterContext,
  absolute: string,
  rel: string,
  mode: number,
  before: BigIntStats,
): Promise<MutableFile | 'secret' | undefined> {
  const { needles, cache, stats } = context;
  // Wall-clock ns, comparable with the files' mtimes.
  const readStarted = BigInt(Date.now()) * 1_000_000n;
  const entry: MutableFile = { kind: 'file', path: rel, mode, size: 0, segments: [] };
  if (Number(before.size) <= SMALL_FILE_LIMIT) {
    const data = await readFile(absolute);
    stats.bytesRead += data.length;
    if (containsSecret(data, needles)) return 'secret';
    entry.size = data.length;
    const after = lstatNow(absolute);
    // A file that grew past the limit since the stat is chunked like a large one.
    if (data.length > SMALL_FILE_LIMIT) await chunkBuffer(writer, entry, data);
    else if (data.length > 0) await writer.addSmall(data, (segment) => entry.segments.push(segment));
    writer.afterDrain(() => {
      if (after !== undefined && Number(after.size) === data.length) cache.remember(absolute, before, after, entry.segments, readStarted);
    });
    return entry;
  }
  const handle = await open(absolute, 'r');
  try {
    const scanner = new SecretScanner(needles);
    // Each chunk's segments, in order: one object for a full chunk, the pieces of a kept tail.
    const parts: Segment[][] = [];
    const crcs: number[] = [];
    let tailCrc: number | undefined;
    // What of the last save may be kept once the CRC-32s match: an appended log's head and tail.
    const previous = cache.largeFile(absolute);
    let keepable = previous === undefined ? 0 : reusableChunks(previous, before, CHUNK_SIZE);
    const tail = previous === undefined ? undefined : reusableTail(previous, before, CHUNK_SIZE);
    let allKept = true;
    for (let index = 0; ; index++) {
      const buffer = writer.takeBuffer();
      const { bytesRead } = await handle.read(buffer, 0, CHUNK_SIZE, entry.size);
      if (bytesRead === 0) {
        writer.giveBack(buffer);
        break;
      }
      const chunk = buffer.subarray(0, bytesRead);
      const at = index;
      const crc = zlib.crc32(chunk);
      if (bytesRead === CHUNK_SIZE) crcs.push(crc);
      else tailCrc = crc;
      const kept = index < keepable && bytesRead === CHUNK_SIZE ? previous?.segments[index]?.[0] : undefined;
      if (kept !== undefined && crc === previous?.crcs[index] && isPresent(context, kept)) {
        // Unchanged since it was scanned and stored: only its end matters to the scan (a secret across the seam).
        scanner.carry(chunk);
        entry.size += bytesRead;
        parts[at] = [[kept, 0, bytesRead]];
        context.progress?.advance(bytesRead);
        writer.giveBack(buffer);
        continue;
      }
      keepable = 0;
      if (allKept && tail?.index === index && keepsTail(context, tail, chunk)) {
        // The last save's partial chunk is still the file's: only what was appended since is new.
        scanner.carry(chunk.subarray(0, tail.length));
        const appended = chunk.subarray(tail.length);
        scanner.update(appended);
        if (scanner.found) {
          writer.giveBack(buffer);
          return 'secret';
        }
        stats.bytesRead += appended.length;
        entry.size += bytesRead;
        const pieces = [...tail.pieces];
        parts[at] = pieces;
        context.progress?.advance(bytesRead);
        // Copied out: the chunk buffer goes back to the writer while the piece waits for its pack.
        const piece = Buffer.from(appended);
        writer.giveBack(buffer);
        if (piece.length > SMALL_FILE_LIMIT) await writer.submit(piece, (id) => pieces.push([id, 0, piece.length]));
        else if (piece.length > 0) await writer.addSmall(piece, (segment) => pieces.push(segment));
        break;
      }
      allKept = false;
      stats.bytesRead += bytesRead;
      scanner.update(chunk);
      // Chunks already written hold no whole secret; unreferenced, they are swept with the staging folder.
      if (scanner.found) {
        writer.giveBack(buffer);
        return 'secret';
      }
      entry.size += bytesRead;
      // A chunk stored before under another file or offset keeps its object, once its bytes compare
      // equal: not compressed again. Found by CRC, so a chunk that is new is never hashed raw for it.
      const key = chunkKey(crc, bytesRead);
      const known = cache.chunkObject(key);
      if (known !== undefined && (await holdsExactly(context, known, chunk))) {
        parts[at] = [[known, 0, bytesRead]];
        cache.rememberChunk(key, known);
        context.progress?.advance(bytesRead);
        writer.giveBack(buffer);
      } else {
        await writer.submit(
          chunk,
          (id) => {
            parts[at] = [[id, 0, bytesRead]];
            cache.rememberChunk(key, id);
          },
          buffer,
        );
      }
      if (bytesRead < CHUNK_SIZE) break;
    }
    const after = await handle.stat({ bigint: true });
    writer.afterDrain(() => {
      entry.segments.push(...parts.flat());
      if (Number(after.size) === entry.size) cache.remember(absolute, before, after, entry.segments, readStarted, { chunks: crcs, tail: tailCrc });
    });
    return entry;
  } finally {
    await handle.close();
  }
}

/** Whether `chunk` (the file's partial last chunk now) starts with the last save's tail, whose pieces are all here. */
function keepsTail(context: TreeWriterContext, tail: ReusableTail, chunk: Buffer): boolean {
  if (chunk.length >= CHUNK_SIZE || chunk.length < tail.length) return false;
  if (zlib.crc32(chunk.subarray(0, tail.length)) !== tail.crc) return false;
  return allObjectsPresent(context, tail.pieces);
}

function isPresent(context: TreeWriterContext, id: string): boolean {
  let present = context.present?.get(id);
  if (present === undefined) {
    present = context.objects.sizeNow(id) !== undefined;
    context.present?.set(id, present);
  }
  return present;
}

/** Whether the staging folder holds `id` and it decodes to exactly `chunk`. */
async function holdsExactly(context: TreeWriterContext, id: string, chunk: Buffer): Promise<boolean> {
  if (!isPresent(context, id)) return false;
  try {
    return (await decodeObject(await context.objects.read(id), chunk.length)).equals(chunk);
  } catch {
    // Unreadable or not this chunk: it is stored anew.
    return false;
  }
}

async function chunkBuffer(writer: ObjectWriter, entry: MutableFile, data: Buffer): Promise<void> {
  const parts: Segment[] = [];
  for (let offset = 0, index = 0; offset < data.length; offset += CHUNK_SIZE, index++) {
    const at = index;
    const part = data.subarray(offset, offset + CHUNK_SIZE);
    await writer.submit(part, (id) => {
      parts[at] = [id, 0, part.length];
    });
  }
  writer.afterDrain(() => entry.segments.push(...parts));
}
