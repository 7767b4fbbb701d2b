/**
 * The blobs the emulator handed out upload URLs for, by path. Their content lives in Azurite
 * (azure-blobs.ts); `data` is the copy read back when the entry or artifact was finalized, for the
 * tests to inspect. URLs are path style, `/<account>/<container>/<blob>`, which the Azure SDK
 * expects for IP hosts.
 */
import { randomUUID } from 'node:crypto';
import { AZURITE_ACCOUNT } from '../azurite.js';

export const BLOB_ACCOUNT = AZURITE_ACCOUNT;

export interface StoredBlob {
  readonly container: string;
  readonly name: string;
  /** `/<account>/<container>/<name>`: the signed URL's path. */
  readonly path: string;
  /** Committed content as read back at finalize; undefined before. */
  data: Buffer | undefined;
  contentType: string;
  /** Blocks staged and not yet committed (Azurite keeps them; always empty here). */
  readonly staged: Map<string, Buffer>;
  /** Set once the owning cache entry or artifact is finalized. */
  sealed: boolean;
  etag: string;
  lastModified: Date;
}

export class BlobStore {
  readonly #blobs = new Map<string, StoredBlob>();

  /** `suffix` keeps the containers of emulators that share one Azurite apart; `onDelete` removes the content. */
  constructor(
    private readonly suffix: string,
    private readonly onDelete: (blob: StoredBlob) => void,
  ) {}

  /** The Azurite container for one of the services' containers. */
  containerFor(container: string): string {
    return `${container}-${this.suffix}`;
  }

  create(service: string, name: string): StoredBlob {
    const container = this.containerFor(service);
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
    const blob = this.#blobs.get(path);
    this.#blobs.delete(path);
    if (blob) this.onDelete(blob);
  }

  all(): StoredBlob[] {
    return [...this.#blobs.values()];
  }
}

