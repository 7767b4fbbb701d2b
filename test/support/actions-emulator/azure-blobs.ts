/**
 * The emulator's blobs live in Azurite. The Twirp services hand out URLs signed with a real Azure
 * SAS (@azure/storage-blob) whose host is the emulator: it records the request, applies the delay
 * fault, and forwards it unchanged to Azurite, which checks the signature and serves it. So the
 * toolkit's clients upload and download through the Azure SDK against a real blob server.
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { BlobSASPermissions, BlobServiceClient, generateBlobSASQueryParameters, SASProtocol, StorageSharedKeyCredential } from '@azure/storage-blob';
import { AZURITE_ACCOUNT, AZURITE_KEY } from '../azurite.js';
import { readBody } from './http.js';

export type BlobPermission = 'r' | 'cw';

export class AzureBlobs {
  readonly #credential = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);
  readonly #service: BlobServiceClient;

  constructor(readonly endpoint: string) {
    this.#service = new BlobServiceClient(`${endpoint}/${AZURITE_ACCOUNT}`, this.#credential);
  }

  async createContainer(name: string): Promise<void> {
    await this.#service.getContainerClient(name).createIfNotExists();
  }

  /** `/<account>/<container>/<blob>?<SAS>` on `base` (the emulator, which forwards to Azurite). */
  signedUrl(base: string, container: string, blob: string, permission: BlobPermission, ttlMs: number): string {
    const sas = generateBlobSASQueryParameters(
      { containerName: container, blobName: blob, permissions: BlobSASPermissions.parse(permission), expiresOn: new Date(Date.now() + ttlMs), protocol: SASProtocol.HttpsAndHttp },
      this.#credential,
    );
    return `${base}/${AZURITE_ACCOUNT}/${container}/${blob}?${sas.toString()}`;
  }

  /** The committed content, or undefined when nothing was uploaded. */
  async download(container: string, blob: string): Promise<Buffer | undefined> {
    try {
      return await this.#service.getContainerClient(container).getBlobClient(blob).downloadToBuffer();
    } catch (error) {
      if (typeof error === 'object' && error !== null && 'statusCode' in error && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  async remove(container: string, blob: string): Promise<void> {
    await this.#service.getContainerClient(container).getBlobClient(blob).deleteIfExists();
  }

  /** Forwards one client request to Azurite as it came, and its answer back; returns the blob operation's name. */
  async forward(req: IncomingMessage, res: ServerResponse, url: URL): Promise<string> {
    const comp = url.searchParams.get('comp');
    const operation =
      req.method === 'PUT' ? (comp === 'block' ? 'PutBlock' : comp === 'blocklist' ? 'PutBlockList' : 'PutBlob') : req.method === 'HEAD' ? 'GetBlobProperties' : 'GetBlob';
    const body = await readBody(req);
    const target = new URL(`${url.pathname}${url.search}`, this.endpoint);
    const headers = { ...req.headers, host: target.host };
    await new Promise<void>((resolve, reject) => {
      const upstream = httpRequest(target, { method: req.method, headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.once('end', resolve);
        answer.once('error', reject);
      });
      upstream.once('error', reject);
      upstream.end(body);
    });
    return operation;
  }
}
