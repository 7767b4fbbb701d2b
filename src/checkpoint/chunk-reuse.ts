// When a large file changed since the last save, which of its chunks may be kept without hashing
// them again. Pure: stat fields and the last save's record in, a count out.
//
// A file that grew on the same inode is usually an appended log, but may be one rewritten in place
// (a weights file saved again over itself): so stat alone never vouches for the old chunks. Each
// kept chunk is read again and its CRC-32 (zlib's, several GB/s against sha256's ~1.4) compared
// with the one recorded when it was stored; the first that differs, and everything after it, is
// stored the ordinary way. What is stored for a kept chunk is the object scanned and stored last
// time, so a secret written into it meanwhile is never stored (a missed change restores the older
// bytes there; CRC-32 misses a random change with probability 2⁻³²).
//
// The partial chunk at the end is handled the same way: its bytes are kept as the pieces stored
// before (each save's appended bytes one more piece, packed with the small files), so a log that
// grows by kilobytes between saves costs kilobytes, not a re-compressed 4 MiB chunk. The pieces
// are merged into one chunk once the chunk fills up or there are MAX_TAIL_PIECES of them.
import type { Segment } from './file-tree.js';

export interface StatFields {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly size: bigint;
  readonly mode: bigint;
}

export interface StoredLargeFile {
  readonly stat: StatFields;
  readonly segments: readonly Segment[];
  /** CRC-32 of each full chunk, in order. */
  readonly crcs: readonly number[];
  /** CRC-32 of the bytes after the last full chunk, when there are any. */
  readonly tailCrc?: number | undefined;
}

/** The pieces a file's partial last chunk is kept in, past this many they are merged. */
export const MAX_TAIL_PIECES = 16;

/** The last save's partial last chunk, to keep if its bytes are still the file's. */
export interface ReusableTail {
  /** Its chunk's index (the number of full chunks before it). */
  readonly index: number;
  readonly length: number;
  readonly crc: number;
  readonly pieces: readonly Segment[];
}

/** How many leading chunks of the last save may be kept once their CRC-32 matches (0: none). */
export function reusableChunks(previous: StoredLargeFile, now: StatFields, chunkSize: number): number {
  const { stat, segments, crcs } = previous;
  if (!sameFileNotShrunk(stat, now)) return 0;
  const full = Math.floor(Number(stat.size) / chunkSize);
  if (full === 0 || crcs.length !== full || segments.length < full) return 0;
  for (let index = 0; index < full; index++) {
    const segment = segments[index];
    if (segment === undefined || segment[1] !== 0 || segment[2] !== chunkSize) return 0;
  }
  return full;
}

/**
 * The partial last chunk of the last save, to be kept (once its CRC-32 matches) under the bytes
 * appended since: only when every full chunk before it may be kept too, there was a tail, and it
 * is in fewer than MAX_TAIL_PIECES pieces.
 */
export function reusableTail(previous: StoredLargeFile, now: StatFields, chunkSize: number): ReusableTail | undefined {
  const { stat, segments, tailCrc } = previous;
  const full = Math.floor(Number(stat.size) / chunkSize);
  const length = Number(stat.size) - full * chunkSize;
  if (tailCrc === undefined || length === 0 || !sameFileNotShrunk(stat, now)) return undefined;
  if (full > 0 && reusableChunks(previous, now, chunkSize) !== full) return undefined;
  const pieces = segments.slice(full);
  if (pieces.length === 0 || pieces.length >= MAX_TAIL_PIECES) return undefined;
  if (pieces.reduce((sum, [, , size]) => sum + size, 0) !== length) return undefined;
  return { index: full, length, crc: tailCrc, pieces };
}

function sameFileNotShrunk(stat: StatFields, now: StatFields): boolean {
  return stat.dev === now.dev && stat.ino === now.ino && stat.mode === now.mode && now.size >= stat.size;
}

/** The stat fields a stat-cache key holds (see `statKey`), or undefined for a malformed one. */
export function parseStatKey(key: string): StatFields | undefined {
  const parts = key.split(':');
  if (parts.length !== 6 || parts.some((part) => !/^\d+$/.test(part))) return undefined;
  const [dev = '', ino = '', size = '', mode = ''] = parts;
  return { dev: BigInt(dev), ino: BigInt(ino), size: BigInt(size), mode: BigInt(mode) };
}
