// How one content-addressed object is stored: a one-byte tag (raw or zstd) and the payload. The id
// is the sha256 of exactly those stored bytes, so checking an object costs a hash, not a decode.
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { errorMessage } from '../error-message.js';

const zstdCompress = promisify(zlib.zstdCompress);
const zstdDecompress = promisify(zlib.zstdDecompress);

export const OBJECT_ID = /^[0-9a-f]{64}$/;
const TAG_RAW = 0;
const TAG_ZSTD = 1;
const RAW_HEADER = Buffer.from([TAG_RAW]);

/**
 * zstd level 3: measured on the bench workspace, level 1 saves 15% of the time for 6% more bytes,
 * level 6 doubles the time for 3% fewer; 3 is also `zstd`'s default, the bench's baseline.
 */
export const ZSTD_LEVEL = 3;
// Stored raw when zstd wins less than this: weights and already-compressed files.
const MIN_SAVING = 0.97;
// zlib's async API hands each full output buffer back to the main thread, queues the next step on
// the pool and concatenates the pieces at the end: at the default 16 KiB a 4 MiB chunk costs ~250
// round trips (measured: 2.4× the CPU per MiB of incompressible data). One buffer that fits the
// whole output makes it one step and no copy; its untouched pages never become resident.
const SLACK = 64 * 1024;
const MAX_STEP = 16 * 1024 * 1024;
// Data this large is probed first: three slices of PROBE_SLICE bytes must compress to less than
// PROBE_MIN_RATIO of their size (noise gives ~1.0003; real fp32 weights ~0.92, so they are compressed).
const PROBE_FROM = 1024 * 1024;
const PROBE_SLICE = 32 * 1024;
const PROBE_MIN_RATIO = 0.99;

export interface EncodedObject {
  readonly id: string;
  /** The stored bytes: the tag, then the payload (kept apart so a 4 MiB payload is never copied). */
  readonly parts: readonly [Buffer, Buffer];
  readonly size: number;
  /** Bytes before encoding. */
  readonly rawSize: number;
}

/** The stored bytes in one buffer (for small objects and tests). */
export function joined(encoded: EncodedObject): Buffer {
  return Buffer.concat(encoded.parts, encoded.size);
}

/** The id `data` has when stored raw: also the key under which a chunk's raw bytes are known. */
export function rawObjectId(data: Buffer): string {
  return createHash('sha256').update(RAW_HEADER).update(data).digest('hex');
}

/**
 * Whether a probe of the data (a slice at its start, middle and end) shows it does not compress:
 * weights and archives are then stored as they are without running zstd over all of them. A
 * chunk whose probes are noise but whose rest would compress is stored raw: bytes lost, never data.
 */
export async function looksIncompressible(data: Buffer, level = ZSTD_LEVEL): Promise<boolean> {
  if (data.length < PROBE_FROM) return false;
  const starts = [0, (data.length >> 1) - (PROBE_SLICE >> 1), data.length - PROBE_SLICE];
  const probe = Buffer.concat(starts.map((start) => data.subarray(start, start + PROBE_SLICE)));
  const compressed = await zstdCompress(probe, { chunkSize: probe.length + SLACK, params: { [zlib.constants.ZSTD_c_compressionLevel]: level } });
  return compressed.length >= probe.length * PROBE_MIN_RATIO;
}

/**
 * Encodes on libuv's thread pool, so several calls in flight use every core. `rawId` (from
 * `rawObjectId`) spares hashing data again that ends up stored raw.
 */
export async function encodeObject(data: Buffer, options: { level?: number; rawId?: string } = {}): Promise<EncodedObject> {
  const level = options.level ?? ZSTD_LEVEL;
  if (data.length >= 64 && !(await looksIncompressible(data, level))) {
    const compressed = await zstdCompress(data, { chunkSize: Math.min(MAX_STEP, data.length + SLACK), params: { [zlib.constants.ZSTD_c_compressionLevel]: level, [zlib.constants.ZSTD_c_checksumFlag]: 1 } });
    if (compressed.length < data.length * MIN_SAVING) {
      const header = Buffer.from([TAG_ZSTD]);
      const id = createHash('sha256').update(header).update(compressed).digest('hex');
      return { id, parts: [header, compressed], size: compressed.length + 1, rawSize: data.length };
    }
  }
  return { id: options.rawId ?? rawObjectId(data), parts: [RAW_HEADER, data], size: data.length + 1, rawSize: data.length };
}

export function objectId(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Decodes stored bytes; `maxSize` bounds what a crafted object can make us allocate. */
export async function decodeObject(bytes: Buffer, maxSize: number): Promise<Buffer> {
  const tag = bytes[0];
  if (tag === TAG_RAW) {
    if (bytes.length - 1 > maxSize) throw new Error(`object larger than ${maxSize} bytes`);
    return bytes.subarray(1);
  }
  if (tag === TAG_ZSTD) {
    try {
      return await zstdDecompress(bytes.subarray(1), { chunkSize: Math.min(MAX_STEP, maxSize), maxOutputLength: maxSize });
    } catch (error) {
      throw new Error(`object does not decode: ${errorMessage(error)}`, { cause: error });
    }
  }
  throw new Error(`unknown object encoding ${String(tag)}`);
}
