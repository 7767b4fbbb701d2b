/**
 * A local stand-in for the GitHub Actions services the toolkit's cache and artifact clients talk to:
 * the results service's twirp CacheService and ArtifactService (under ACTIONS_RESULTS_URL), Azure
 * SAS-signed blob URLs for the bytes, which live in Azurite (the emulator forwards each blob request
 * there, after recording it and applying the delay fault), and the REST endpoints `findBy` downloads
 * and cache deletion use (under GITHUB_API_URL). It checks every credential and can fail on purpose,
 * so the real `@actions/cache` and `@actions/artifact` run against it unchanged.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { inject } from 'vitest';
import { ArtifactService } from './actions-emulator/artifact-service.js';
import { AzureBlobs } from './actions-emulator/azure-blobs.js';
import { BLOB_ACCOUNT, BlobStore } from './actions-emulator/blobs.js';
import { CacheService } from './actions-emulator/cache-service.js';
import type { CountedFault, Faults, HttpFault, ServiceContext } from './actions-emulator/context.js';
import { RestError, TwirpError, credentials, readBody, sendJson, sendRestError, sendTwirpError } from './actions-emulator/http.js';
import { layers } from './actions-emulator/inspect.js';
import { CACHE_READ, CACHE_WRITE, Credentials } from './actions-emulator/tokens.js';
import type { CacheScope } from './actions-emulator/tokens.js';

export type { Faults, HttpFault } from './actions-emulator/context.js';
export { CACHE_FULL, WRITE_DENIED } from './actions-emulator/cache-service.js';

export interface ActionsEmulatorOptions {
  /** `owner/name`; default `octo-org/durable-repo`. */
  repository?: string;
  /** Default `refs/heads/main`: the scope every run may read. */
  defaultBranch?: string;
  /** Upper bound for `blobDelayMs`, so a test cannot stall a client for long; default 10 000. */
  maxBlobDelayMs?: number;
  /** Azurite's blob endpoint; default the one test/support/azurite-setup.ts started for the run. */
  azuriteEndpoint?: string;
}

export interface ClientEnvOptions {
  /** Default 1001. */
  runId?: number;
  /** Default 1. A new attempt gets a new run backend id, as on GitHub. */
  attempt?: number;
  /** The run's ref; default the default branch. Saves land in this scope. */
  ref?: string;
  /** False issues a read-only cache token, as GitHub does for untrusted triggers. Default true. */
  cacheWrite?: boolean;
  /** Whether GITHUB_TOKEN has `actions: write` (may delete caches and artifacts). Default true. */
  actionsWrite?: boolean;
  workflow?: string;
  job?: string;
}

export type Service = 'cache' | 'artifact' | 'blob' | 'rest' | 'unknown';

export interface RecordedRequest {
  index: number;
  method: string;
  /** Path and query, with blob signatures redacted. */
  path: string;
  service: Service;
  /** Twirp method, blob operation (PutBlob, PutBlock, PutBlockList, GetBlob, GetBlobProperties) or `GET /repos/...`. */
  operation: string;
  /** 0 until the response is sent, or when the connection was cut. */
  status: number;
  requestBytes: number;
  durationMs: number;
}

export interface CacheEntryView {
  id: number;
  key: string;
  version: string;
  ref: string;
  sizeBytes: number;
  createdAt: Date;
  finalized: boolean;
  blobPath: string;
}

export interface ArtifactView {
  id: number;
  name: string;
  runId: number;
  attempt: number;
  size: number;
  digest: string | undefined;
  createdAt: Date;
  expiresAt: Date | undefined;
  finalized: boolean;
  blobPath: string;
}

export interface BlobView {
  container: string;
  name: string;
  path: string;
  contentType: string;
  /** Committed bytes, undefined before the upload completed. */
  bytes: Buffer | undefined;
  /** Blocks staged and not committed (a failed or unfinished upload). */
  stagedBlocks: Buffer[];
}

export interface BlobMatch {
  path: string;
  /** Where the needle was: 'raw', 'staged', 'zstd', 'gzip' or `zip:<entry>`. */
  layer: string;
}

export interface ActionsEmulator {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly repository: string;
  readonly defaultBranch: string;
  /** The environment a job's step would see; each call issues fresh tokens. */
  clientEnv(options?: ClientEnvOptions): Record<string, string>;
  readonly faults: Readonly<Faults>;
  /** Replaces every switch (counts restart). */
  setFaults(faults: Faults): void;
  /** Deletes the cache entries with this key (in one ref, or all), as eviction does; returns how many. */
  evictCacheEntry(key: string, ref?: string): number;
  readonly cacheEntries: readonly CacheEntryView[];
  readonly artifacts: readonly ArtifactView[];
  readonly blobs: readonly BlobView[];
  /** Every stored blob, committed or staged, raw and decompressed, that contains the needle. */
  searchBlobs(needle: string | Buffer): BlobMatch[];
  readonly requests: readonly RecordedRequest[];
  /** Closes promptly, cutting delayed responses and keep-alive connections. */
  close(): Promise<void>;
}

const RESULTS_PREFIX = '/twirp/github.actions.results.api.v1.';

/** Sets environment variables and returns a function that puts the previous values back. */
export function applyEnv(vars: Record<string, string | undefined>): () => void {
  const previous = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  const assign = (values: Record<string, string | undefined>): void => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) Reflect.deleteProperty(process.env, name);
      else process.env[name] = value;
    }
  };
  assign(vars);
  return () => assign(previous);
}

export async function startActionsEmulator(options: ActionsEmulatorOptions = {}): Promise<ActionsEmulator> {
  const repository = options.repository ?? 'octo-org/durable-repo';
  const [owner = '', name = ''] = repository.split('/');
  if (owner === '' || name === '') throw new RangeError(`repository must be owner/name, got ${repository}`);
  const defaultBranch = options.defaultBranch ?? 'refs/heads/main';
  const maxBlobDelayMs = options.maxBlobDelayMs ?? 10_000;

  let faults: Faults = {};
  const remaining = new Map<CountedFault, number>();
  let lastId = 0;
  const requests: RecordedRequest[] = [];
  const closing = new AbortController();
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const azure = new AzureBlobs(options.azuriteEndpoint ?? inject('azuriteEndpoint'));
  const blobs = new BlobStore(randomUUID().replaceAll('-', '').slice(0, 12), (blob) => {
    azure.remove(blob.container, blob.name).catch(() => undefined);
  });
  for (const container of ['actions-cache', 'actions-results']) await azure.createContainer(blobs.containerFor(container));

  const ctx: ServiceContext = {
    baseUrl,
    repository: { owner, name, id: 424242 },
    credentials: new Credentials(),
    blobs,
    signBlobUrl: (blob, permission, ttlMs) => azure.signedUrl(baseUrl, blob.container, blob.name, permission, ttlMs),
    async loadBlob(blob) {
      blob.data = await azure.download(blob.container, blob.name);
    },
    faults: () => faults,
    takeFault(kind: CountedFault): HttpFault | undefined {
      const fault = faults[kind];
      if (fault === undefined) return undefined;
      const left = remaining.get(kind);
      if (left === undefined) return fault;
      if (left <= 0) return undefined;
      remaining.set(kind, left - 1);
      return fault;
    },
    nextId: () => ++lastId,
  };
  const cache = new CacheService(ctx);
  const artifacts = new ArtifactService(ctx);

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const record: RecordedRequest = {
      index: requests.length,
      method: req.method ?? '',
      path: (req.url ?? '').replace(/([?&]sig=)[^&]*/, '$1REDACTED'),
      service: 'unknown',
      operation: '',
      status: 0,
      requestBytes: Number(req.headers['content-length'] ?? 0),
      durationMs: 0,
    };
    requests.push(record);
    res.on('finish', () => {
      record.status = res.statusCode;
      record.durationMs = Math.round(performance.now() - started);
    });
    route(req, res, record).catch(() => {
      // close() cut a delayed response, or the client went away: nothing is left to answer.
      res.destroy();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse, record: RecordedRequest): Promise<void> {
    const url = new URL(req.url ?? '/', baseUrl);
    if (url.pathname.startsWith(RESULTS_PREFIX)) {
      const [service = '', method = ''] = url.pathname.slice(RESULTS_PREFIX.length).split('/');
      record.service = service === 'CacheService' ? 'cache' : service === 'ArtifactService' ? 'artifact' : 'unknown';
      record.operation = method;
      await twirp(req, res, service, method);
    } else if (url.pathname.startsWith(`/${BLOB_ACCOUNT}/`)) {
      record.service = 'blob';
      const wait = faults.blobDelayMs ?? 0;
      if (wait > 0) await delay(wait, undefined, { signal: closing.signal });
      record.operation = await azure.forward(req, res, url);
    } else if (url.pathname.startsWith('/repos/')) {
      record.service = 'rest';
      record.operation = `${req.method ?? ''} ${url.pathname}`;
      await rest(req, res, url);
    } else {
      await readBody(req);
      sendJson(res, 404, { message: 'Not Found' });
    }
  }

  async function twirp(req: IncomingMessage, res: ServerResponse, service: string, method: string): Promise<void> {
    const raw = await readBody(req);
    try {
      if (req.method !== 'POST') throw new TwirpError('invalid_argument', 'twirp calls are POSTs');
      const token = credentials(req);
      const claims = token === undefined ? undefined : ctx.credentials.verifyRuntimeToken(token);
      if (claims === undefined) throw new TwirpError('unauthenticated', 'missing or invalid runtime token');
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new TwirpError('invalid_argument', 'the body is not JSON');
      }
      const answer =
        service === 'CacheService' ? await cache.twirp(method, claims, body) : service === 'ArtifactService' ? await artifacts.twirp(method, claims, body) : undefined;
      if (answer === undefined) throw new TwirpError('not_found', `no service ${service}`);
      sendJson(res, 200, answer);
    } catch (error) {
      if (!(error instanceof TwirpError)) throw error;
      sendTwirpError(res, error);
    }
  }

  async function rest(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    await readBody(req);
    try {
      const token = credentials(req);
      const grant = token === undefined ? undefined : ctx.credentials.restGrant(token);
      if (grant === undefined) throw new RestError(401, 'Bad credentials');
      const [, , repoOwner, repoName, actions, section, ...rest] = url.pathname.split('/');
      if (repoOwner?.toLowerCase() !== owner.toLowerCase() || repoName?.toLowerCase() !== name.toLowerCase() || actions !== 'actions') {
        throw new RestError(404, 'Not Found');
      }
      const method = req.method ?? '';
      const answer =
        section === 'caches'
          ? cache.rest(method, rest, url, grant.actionsWrite)
          : section === 'runs' || section === 'artifacts'
            ? artifacts.rest(method, [section, ...rest], url, grant.actionsWrite)
            : undefined;
      if (answer === undefined) throw new RestError(404, 'Not Found');
      if (answer.body === undefined) {
        res.writeHead(answer.status, answer.headers ?? {});
        res.end();
      } else {
        sendJson(res, answer.status, answer.body);
      }
    } catch (error) {
      if (!(error instanceof RestError)) throw error;
      sendRestError(res, error);
    }
  }

  return {
    url: baseUrl,
    repository,
    defaultBranch,
    clientEnv(env: ClientEnvOptions = {}): Record<string, string> {
      const runId = env.runId ?? 1001;
      const attempt = env.attempt ?? 1;
      const ref = env.ref ?? defaultBranch;
      const write = env.cacheWrite === false ? 0 : CACHE_WRITE;
      // Like GitHub: a run reads and writes its own ref's scope and reads the default branch's.
      const cacheScopes: CacheScope[] = [{ scope: ref, permission: CACHE_READ | write }];
      if (ref !== defaultBranch) cacheScopes.push({ scope: defaultBranch, permission: CACHE_READ });
      const runtimeToken = ctx.credentials.issueRuntimeToken({
        runBackendId: ctx.credentials.runBackendId(runId, attempt),
        jobBackendId: randomUUID(),
        runId,
        attempt,
        cacheScopes,
      });
      return {
        ACTIONS_RESULTS_URL: `${baseUrl}/`,
        ACTIONS_RUNTIME_TOKEN: runtimeToken,
        ACTIONS_CACHE_SERVICE_V2: 'true',
        // Anything but github.com (or *.ghe.com) makes both clients fall back to GHES behaviour.
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_API_URL: baseUrl,
        GITHUB_REPOSITORY: repository,
        GITHUB_REPOSITORY_OWNER: owner,
        GITHUB_RUN_ID: String(runId),
        GITHUB_RUN_ATTEMPT: String(attempt),
        GITHUB_REF: ref,
        GITHUB_WORKFLOW: env.workflow ?? 'durable',
        GITHUB_JOB: env.job ?? 'agent',
        GITHUB_TOKEN: ctx.credentials.issueRestToken({ actionsWrite: env.actionsWrite ?? true }),
      };
    },
    get faults(): Readonly<Faults> {
      return faults;
    },
    setFaults(next: Faults): void {
      const wait = next.blobDelayMs ?? 0;
      if (!(wait >= 0 && wait <= maxBlobDelayMs)) throw new RangeError(`blobDelayMs must be between 0 and ${maxBlobDelayMs}, got ${wait}`);
      faults = { ...next };
      remaining.clear();
      for (const kind of ['createCacheEntry', 'createArtifact'] as const) {
        const count = next[kind]?.count;
        if (count !== undefined) remaining.set(kind, count);
      }
    },
    evictCacheEntry: (key, ref) => cache.evict(key, ref),
    get cacheEntries(): readonly CacheEntryView[] {
      return cache.entries.map((e) => ({
        id: e.id,
        key: e.key,
        version: e.version,
        ref: e.scope,
        sizeBytes: e.sizeBytes,
        createdAt: e.createdAt,
        finalized: e.finalized,
        blobPath: e.blob.path,
      }));
    },
    get artifacts(): readonly ArtifactView[] {
      return artifacts.artifacts.map((a) => ({
        id: a.id,
        name: a.name,
        runId: a.runId,
        attempt: a.attempt,
        size: a.size,
        digest: a.digest,
        createdAt: a.createdAt,
        expiresAt: a.expiresAt,
        finalized: a.finalized,
        blobPath: a.blob.path,
      }));
    },
    get blobs(): readonly BlobView[] {
      return ctx.blobs.all().map((b) => ({
        container: b.container,
        name: b.name,
        path: b.path,
        contentType: b.contentType,
        bytes: b.data,
        stagedBlocks: [...b.staged.values()],
      }));
    },
    searchBlobs(needle: string | Buffer): BlobMatch[] {
      const wanted = Buffer.from(needle);
      const matches: BlobMatch[] = [];
      for (const blob of ctx.blobs.all()) {
        for (const block of blob.staged.values()) {
          if (block.includes(wanted)) matches.push({ path: blob.path, layer: 'staged' });
        }
        if (blob.data === undefined) continue;
        for (const { layer, bytes } of layers(blob.data)) {
          if (bytes.includes(wanted)) matches.push({ path: blob.path, layer });
        }
      }
      return matches;
    },
    get requests(): readonly RecordedRequest[] {
      return requests;
    },
    close(): Promise<void> {
      closing.abort();
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
