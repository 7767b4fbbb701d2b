/** What the emulator's services share: credentials, blob storage, the fault switches. */
import type { BlobPermission } from './azure-blobs.js';
import type { BlobStore, StoredBlob } from './blobs.js';
import type { Credentials } from './tokens.js';

export interface HttpFault {
  /** The HTTP status to answer with, e.g. 500 or 503 (which the clients retry) or 501 (which they don't). */
  status: number;
  /** How many requests fail before the service recovers; every request when omitted. */
  count?: number;
}

export interface Faults {
  /** CreateCacheEntry answers with this status. */
  createCacheEntry?: HttpFault;
  /** CreateArtifact answers with this status. */
  createArtifact?: HttpFault;
  /** Every blob request waits this long before it is served (at most the emulator's maxBlobDelayMs). */
  blobDelayMs?: number;
  /** Every runtime token is treated as read-only for the cache, as GitHub does for untrusted triggers. */
  readOnlyCache?: boolean;
  /** The cache refuses new entries. */
  cacheFull?: boolean;
}

export type CountedFault = 'createCacheEntry' | 'createArtifact';

export interface ServiceContext {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly baseUrl: string;
  readonly repository: { owner: string; name: string; id: number };
  readonly credentials: Credentials;
  readonly blobs: BlobStore;
  /** A URL for the client to read or write the blob with, signed with an Azure SAS. */
  signBlobUrl(blob: StoredBlob, permission: BlobPermission, ttlMs: number): string;
  /** Reads the blob's committed content back from Azurite into `blob.data` (undefined when none). */
  loadBlob(blob: StoredBlob): Promise<void>;
  faults(): Faults;
  /** The fault to inject into this request, if any; counts it down. */
  takeFault(kind: CountedFault): HttpFault | undefined;
  /** Ids for cache entries and artifacts, increasing, so a higher id is newer. */
  nextId(): number;
}
