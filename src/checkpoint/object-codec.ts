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

/**
 * zstd level 3: measured on the bench workspace, level 1 saves 15% of the time for 6% more bytes,
 * level 6 doubles the time for 3% fewer; 3 is also `zstd`'s default, the bench's baseline.
 */
export const ZSTD_LEVEL = 3;
// Stored raw when zstd wins less than this: weights and already-compressed files.
const MIN_SAVING = 0.97;

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

/** Encodes on libuv's thread pool, so several calls in flight use every core. */
export async function encodeObject(data: Buffer, level = ZSTD_LEVEL): Promise<EncodedObject> {
  let payload = data;
  let tag = TAG_RAW;
  if (data.length >= 64) {
    const compressed = await zstdCompress(data, { params: { [zlib.constants.ZSTD_c_compressionLevel]: level, [zlib.constants.ZSTD_c_checksumFlag]: 1 } });
    if (compressed.length < data.length * MIN_SAVING) {
      payload = compressed;
      tag = TAG_ZSTD;
    }
  }
  const header = Buffer.from([tag]);
  const id = createHash('sha256').update(header).update(payload).digest('hex');
  return { id, parts: [header, payload], size: payload.length + 1, rawSize: data.length };
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
      return await zstdDecompress(bytes.subarray(1), { maxOutputLength: maxSize });
    } catch (error) {
      throw new Error(`object does not decode: ${errorMessage(error)}`, { cause: error });
    }
  }
  throw new Error(`unknown object encoding ${String(tag)}`);
}
