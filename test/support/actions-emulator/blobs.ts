/**
 * The Azure Blob Storage subset the toolkit's clients use through signed URLs: Put Blob (single shot,
 * `x-ms-blob-type: BlockBlob`), Put Block + Put Block List (the artifact client's streamed upload),
 * Get Blob (whole or `Range`/`x-ms-range`) and Get Blob Properties (HEAD).
 * URLs are path style, `/<account>/<container>/<blob>`, which the Azure SDK expects for IP hosts.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { readBody } from './http.js';

export const BLOB_ACCOUNT = 'emulatorblobs';

export interface StoredBlob {
  readonly container: string;
  readonly name: string;
  /** `/<account>/<container>/<name>`: the signed URL's path. */
  readonly path: string;
  /** Committed content; undefined until a Put Blob or Put Block List. */
  data: Buffer | undefined;
  contentType: string;
  /** Blocks staged by Put Block and not yet committed, by block id. */
  readonly staged: Map<string, Buffer>;
  /** Set once the owning cache entry or artifact is finalized: later writes are refused. */
  sealed: boolean;
  etag: string;
  lastModified: Date;
}

export class BlobStore {
  readonly #blobs = new Map<string, StoredBlob>();

  create(container: string, name: string): StoredBlob {
    const path = `/${BLOB_ACCOUNT}/${container}/${name}`;
    const blob: StoredBlob = {
      container,
      name,
      path,
      data: undefined,
      contentType: 'application/octet-stream',
      staged: new Map(),
      sealed: false,
      etag: `"0x${randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase()}"`,
      lastModified: new Date(),
    };
    this.#blobs.set(path, blob);
    return blob;
  }

  get(path: string): StoredBlob | undefined {
    return this.#blobs.get(path);
  }

  delete(path: string): void {
    this.#blobs.delete(path);
  }

  all(): StoredBlob[] {
    return [...this.#blobs.values()];
  }
}

class BlobError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function commonHeaders(): OutgoingHttpHeaders {
  return { 'x-ms-request-id': randomUUID(), 'x-ms-version': '2025-01-05', date: new Date().toUTCString() };
}

function sendBlobError(res: ServerResponse, error: BlobError): void {
  const body = `<?xml version="1.0" encoding="utf-8"?><Error><Code>${error.code}</Code><Message>${error.message}</Message></Error>`;
  res.writeHead(error.status, {
    ...commonHeaders(),
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
    'x-ms-error-code': error.code,
  });
  res.end(body);
}

function created(res: ServerResponse, blob: StoredBlob): void {
  res.writeHead(201, {
    ...commonHeaders(),
    etag: blob.etag,
    'last-modified': blob.lastModified.toUTCString(),
    'x-ms-request-server-encrypted': 'true',
    'content-length': 0,
  });
  res.end();
}

/** Block ids from a Put Block List body; Latest, Committed and Uncommitted all name staged blocks here. */
function blockIds(xml: string): string[] {
  return [...xml.matchAll(/<(Latest|Committed|Uncommitted)>([^<]*)<\/\1>/g)].map((match) => match[2] ?? '');
}

function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'invalid' | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return 'invalid';
  const [, from = '', to = ''] = match;
  if (from === '' && to === '') return 'invalid';
  if (from === '') {
    // A suffix range: the last N bytes.
    const length = Math.min(Number(to), size);
    return length === 0 ? 'invalid' : { start: size - length, end: size - 1 };
  }
  const start = Number(from);
  const end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  if (start >= size || end < start) return 'invalid';
  return { start, end };
}

export interface BlobRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  blob: StoredBlob | undefined;
  /** Whether the URL's signature grants the permission the method needs. */
  authorized: (needed: 'r' | 'w') => boolean;
}

/** Serves one blob request; the caller has already applied any configured delay. */
export async function handleBlob({ req, res, url, blob, authorized }: BlobRequest): Promise<string> {
  const comp = url.searchParams.get('comp');
  const operation =
    req.method === 'PUT' ? (comp === 'block' ? 'PutBlock' : comp === 'blocklist' ? 'PutBlockList' : 'PutBlob') : req.method === 'HEAD' ? 'GetBlobProperties' : 'GetBlob';
  try {
    const body = await readBody(req);
    if (req.method === 'PUT') {
      if (!authorized('w')) throw new BlobError(403, 'AuthenticationFailed', 'Signature did not match or does not grant write.');
      if (blob === undefined) throw new BlobError(404, 'ContainerNotFound', 'No upload was reserved for this blob.');
      if (blob.sealed) throw new BlobError(409, 'BlobImmutableDueToPolicy', 'The blob belongs to a finalized entry and cannot change.');
      put(req, url, blob, body, comp);
      created(res, blob);
      return operation;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (!authorized('r')) throw new BlobError(403, 'AuthenticationFailed', 'Signature did not match or does not grant read.');
      if (blob?.data === undefined) throw new BlobError(404, 'BlobNotFound', 'The specified blob does not exist.');
      get(req, res, blob, blob.data);
      return operation;
    }
    throw new BlobError(405, 'UnsupportedHttpVerb', `${req.method ?? ''} is not supported.`);
  } catch (error) {
    if (!(error instanceof BlobError)) throw error;
    sendBlobError(res, error);
    return operation;
  }
}

function put(req: IncomingMessage, url: URL, blob: StoredBlob, body: Buffer, comp: string | null): void {
  const contentType = req.headers['x-ms-blob-content-type'];
  if (comp === 'block') {
    const blockId = url.searchParams.get('blockid');
    if (!blockId) throw new BlobError(400, 'MissingRequiredQueryParameter', 'blockid is required.');
    blob.staged.set(blockId, body);
    return;
  }
  if (comp === 'blocklist') {
    const parts = blockIds(body.toString('utf8')).map((id) => {
      const block = blob.staged.get(id);
      if (block === undefined) throw new BlobError(400, 'InvalidBlockList', `Block ${id} was not staged.`);
      return block;
    });
    blob.data = Buffer.concat(parts);
    blob.staged.clear();
  } else if (comp === null) {
    if (req.headers['x-ms-blob-type'] !== 'BlockBlob') throw new BlobError(400, 'MissingRequiredHeader', 'x-ms-blob-type: BlockBlob is required.');
    blob.data = body;
  } else {
    throw new BlobError(400, 'UnsupportedQueryParameter', `comp=${comp} is not supported.`);
  }
  if (typeof contentType === 'string') blob.contentType = contentType;
  blob.lastModified = new Date();
}

function get(req: IncomingMessage, res: ServerResponse, blob: StoredBlob, data: Buffer): void {
  const headers: OutgoingHttpHeaders = {
    ...commonHeaders(),
    'content-type': blob.contentType,
    etag: blob.etag,
    'last-modified': blob.lastModified.toUTCString(),
    'accept-ranges': 'bytes',
    'x-ms-blob-type': 'BlockBlob',
  };
  const rangeHeader = req.headers['x-ms-range'] ?? req.headers.range;
  const range = parseRange(typeof rangeHeader === 'string' ? rangeHeader : undefined, data.length);
  if (range === 'invalid') {
    res.writeHead(416, { ...headers, 'content-range': `bytes */${data.length}`, 'content-length': 0 });
    res.end();
    return;
  }
  const slice = range === undefined ? data : data.subarray(range.start, range.end + 1);
  const status = range === undefined ? 200 : 206;
  if (range !== undefined) headers['content-range'] = `bytes ${range.start}-${range.end}/${data.length}`;
  res.writeHead(status, { ...headers, 'content-length': slice.length });
  res.end(req.method === 'HEAD' ? undefined : slice);
}
