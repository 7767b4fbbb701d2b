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
}

/** How many leading chunks of the last save may be kept once their CRC-32 matches (0: none). */
export function reusableChunks(previous: StoredLargeFile, now: StatFields, chunkSize: number): number {
  const { stat, segments, crcs } = previous;
  if (stat.dev !== now.dev || stat.ino !== now.ino || stat.mode !== now.mode || now.size < stat.size) return 0;
  const full = Math.floor(Number(stat.size) / chunkSize);
  if (full === 0 || crcs.length !== full || segments.length < full) return 0;
  for (let index = 0; index < full; index++) {
    const segment = segments[index];
    if (segment === undefined || segment[1] !== 0 || segment[2] !== chunkSize) return 0;
  }
  return full;
}

/** The stat fields a stat-cache key holds (see `statKey`), or undefined for a malformed one. */
export function parseStatKey(key: string): StatFields | undefined {
  const parts = key.split(':');
  if (parts.length !== 6 || parts.some((part) => !/^\d+$/.test(part))) return undefined;
  const [dev = '', ino = '', size = '', mode = ''] = parts;
  return { dev: BigInt(dev), ino: BigInt(ino), size: BigInt(size), mode: BigInt(mode) };
}
