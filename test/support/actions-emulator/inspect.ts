/**
 * Opens what the clients upload so a test can look for a secret in the content, not only in the
 * compressed bytes: cache archives are zstd or gzip tars (tar keeps file bytes as they are), artifacts
 * are zips of deflated entries.
 */
import { gunzipSync, inflateRawSync, zstdDecompressSync } from 'node:zlib';

export interface BlobLayer {
  /** 'raw', 'zstd', 'gzip', or `zip:<entry name>`. */
  layer: string;
  bytes: Buffer;
}

const GZIP = Buffer.from([0x1f, 0x8b]);
const ZSTD = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const ZIP = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

/** The bytes as stored plus every decoded layer the emulator knows how to open. */
export function layers(data: Buffer): BlobLayer[] {
  const result: BlobLayer[] = [{ layer: 'raw', bytes: data }];
  try {
    if (data.subarray(0, 4).equals(ZSTD)) result.push({ layer: 'zstd', bytes: zstdDecompressSync(data) });
    else if (data.subarray(0, 2).equals(GZIP)) result.push({ layer: 'gzip', bytes: gunzipSync(data) });
    else if (data.subarray(0, 4).equals(ZIP)) result.push(...zipEntries(data));
  } catch {
    // A truncated or foreign archive: the raw layer is still searched.
  }
  return result;
}

/**
 * Entries of a zip, read through the central directory (the artifact client streams its zip, so the
 * local headers carry no sizes; the central directory at the end does).
 */
export function zipEntries(zip: Buffer): BlobLayer[] {
  const end = findEndOfCentralDirectory(zip);
  if (end < 0) return [];
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const entries: BlobLayer[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) break;
    const method = zip.readUInt16LE(offset + 10);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localOffset = zip.readUInt32LE(offset + 42);
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    offset += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/')) continue;
    const dataStart = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    const stored = zip.subarray(dataStart, dataStart + compressedSize);
    entries.push({ layer: `zip:${name}`, bytes: method === 8 ? inflateRawSync(stored) : stored });
  }
  return entries;
}

function findEndOfCentralDirectory(zip: Buffer): number {
  // The record is 22 bytes plus a comment of at most 65535 bytes.
  const lowest = Math.max(0, zip.length - 22 - 0xffff);
  for (let i = zip.length - 22; i >= lowest; i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) return i;
  }
  return -1;
}
