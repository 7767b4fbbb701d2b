import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_TAIL_PIECES, parseStatKey, reusableChunks, reusableTail, type StatFields, type StoredLargeFile } from '../../src/checkpoint/chunk-reuse.js';
import { encodeObject, looksIncompressible, rawObjectId } from '../../src/checkpoint/object-codec.js';

const CHUNK = 4;
const ID = (n: number): string => n.toString(16).padStart(64, '0');
const stat = (size: number, overrides: Partial<StatFields> = {}): StatFields => ({ dev: 1n, ino: 7n, size: BigInt(size), mode: 0o100644n, ...overrides });

/** A file of `size` bytes stored in chunks of CHUNK, with a CRC for each full one. */
function stored(size: number): StoredLargeFile {
  const full = Math.floor(size / CHUNK);
  const segments: Array<[string, number, number]> = [];
  for (let index = 0; index * CHUNK < size; index++) segments.push([ID(index), 0, Math.min(CHUNK, size - index * CHUNK)]);
  return { stat: stat(size), segments, crcs: Array.from({ length: full }, (_, index) => index + 100) };
}

describe('reusableChunks', () => {
  it('offers every full chunk of a file that grew on the same inode (its partial tail is read again)', () => {
    expect(reusableChunks(stored(10), stat(14), CHUNK)).toBe(2);
    expect(reusableChunks(stored(12), stat(13), CHUNK)).toBe(3);
  });

  it('offers them for a file of the same size too (touched, or rewritten in place: the CRCs decide)', () => {
    expect(reusableChunks(stored(12), stat(12), CHUNK)).toBe(3);
  });

  it('offers nothing when the file shrank, moved to another inode or device, or changed mode', () => {
    expect(reusableChunks(stored(12), stat(11), CHUNK)).toBe(0);
    expect(reusableChunks(stored(12), stat(20, { ino: 8n }), CHUNK)).toBe(0);
    expect(reusableChunks(stored(12), stat(20, { dev: 2n }), CHUNK)).toBe(0);
    expect(reusableChunks(stored(12), stat(20, { mode: 0o100755n }), CHUNK)).toBe(0);
  });

  it('offers nothing for a record that is not a chunked file, or whose CRCs do not cover its full chunks', () => {
    expect(reusableChunks(stored(3), stat(9), CHUNK)).toBe(0);
    expect(reusableChunks({ ...stored(10), crcs: [1] }, stat(14), CHUNK)).toBe(0);
    // A packed small file: one segment at an offset of a pack.
    expect(reusableChunks({ stat: stat(8), segments: [[ID(1), 40, 8]], crcs: [1, 2] }, stat(9), CHUNK)).toBe(0);
    expect(reusableChunks({ ...stored(10), segments: [[ID(0), 0, 2], [ID(1), 0, 4], [ID(2), 0, 4]] }, stat(14), CHUNK)).toBe(0);
  });
});

describe('reusableTail', () => {
  const withTail = (size: number): StoredLargeFile => ({ ...stored(size), tailCrc: 42 });

  it('offers the partial last chunk of a file that grew, or kept its size, on the same inode', () => {
    expect(reusableTail(withTail(10), stat(11), CHUNK)).toEqual({ index: 2, length: 2, crc: 42, pieces: [[ID(2), 0, 2]] });
    expect(reusableTail(withTail(10), stat(10), CHUNK)?.index).toBe(2);
    // A file smaller than one chunk (but too large to pack) is all tail.
    expect(reusableTail(withTail(3), stat(5), CHUNK)).toEqual({ index: 0, length: 3, crc: 42, pieces: [[ID(0), 0, 3]] });
  });

  it('offers the pieces earlier saves kept the tail in, until there are MAX_TAIL_PIECES', () => {
    // Chunks of 64 bytes: one full, then `count` pieces of one byte.
    const pieces = (count: number): StoredLargeFile => ({
      stat: stat(64 + count),
      segments: [[ID(0), 0, 64], ...Array.from({ length: count }, (_, index): [string, number, number] => [ID(10 + index), index * 7, 1])],
      crcs: [1],
      tailCrc: 42,
    });
    expect(reusableTail(pieces(3), stat(70), 64)?.pieces).toHaveLength(3);
    expect(reusableTail(pieces(MAX_TAIL_PIECES - 1), stat(100), 64)?.pieces).toHaveLength(MAX_TAIL_PIECES - 1);
    expect(reusableTail(pieces(MAX_TAIL_PIECES), stat(100), 64)).toBeUndefined();
  });

  it('offers nothing without a tail CRC or a tail, or when the file shrank, moved or its full chunks cannot be kept', () => {
    expect(reusableTail(stored(10), stat(11), CHUNK)).toBeUndefined();
    expect(reusableTail({ ...stored(8), tailCrc: 42 }, stat(9), CHUNK)).toBeUndefined();
    expect(reusableTail(withTail(10), stat(9), CHUNK)).toBeUndefined();
    expect(reusableTail(withTail(10), stat(11, { ino: 8n }), CHUNK)).toBeUndefined();
    expect(reusableTail(withTail(3), stat(5, { mode: 0o100600n }), CHUNK)).toBeUndefined();
    expect(reusableTail({ ...withTail(10), crcs: [1] }, stat(11), CHUNK)).toBeUndefined();
    // Pieces that do not add up to the tail.
    expect(reusableTail({ ...withTail(10), segments: [[ID(0), 0, 4], [ID(1), 0, 4], [ID(2), 0, 1]] }, stat(11), CHUNK)).toBeUndefined();
  });
});

describe('parseStatKey', () => {
  it('reads the fields of a stat-cache key and refuses malformed ones', () => {
    expect(parseStatKey('66306:1234:4194304:33188:1700000000000000000:1700000000000000001')).toEqual({ dev: 66306n, ino: 1234n, size: 4194304n, mode: 33188n });
    expect(parseStatKey('1:2:3')).toBeUndefined();
    expect(parseStatKey('1:2:x:4:5:6')).toBeUndefined();
  });
});

describe('incompressible data', () => {
  it('is recognised by its probes and stored raw under its raw id, without a second hash', async () => {
    const noise = randomBytes(2 * 1024 * 1024);
    expect(await looksIncompressible(noise)).toBe(true);
    const encoded = await encodeObject(noise, { rawId: rawObjectId(noise) });
    expect(encoded.size).toBe(noise.length + 1);
    expect(encoded.id).toBe(rawObjectId(noise));
    expect((await encodeObject(noise)).id).toBe(encoded.id);
  });

  it('text and half-noise chunks are compressed', async () => {
    const text = Buffer.from('epoch 3 step 1200 loss 0.2519 lr 3e-4\n'.repeat(60_000));
    expect(await looksIncompressible(text)).toBe(false);
    expect((await encodeObject(text)).size).toBeLessThan(text.length / 10);
    // Noise in the middle only: the probes at both ends still see text.
    const mixed = Buffer.concat([text.subarray(0, 1024 * 1024), randomBytes(512 * 1024), text.subarray(0, 1024 * 1024)]);
    expect(await looksIncompressible(mixed)).toBe(false);
  });
});
