/**
 * The results service's CacheService (twirp, cache service v2) and the REST cache endpoints.
 * Like GitHub: a key is immutable within its scope (a second CreateCacheEntry for the same key,
 * version and scope is a 409, even while the first upload is unfinished); a save lands in the
 * token's first writable scope (its ref); a restore searches the token's scopes in order (its ref,
 * then the default branch), in each one the exact key, then the newest prefix match of the key,
 * then of each restore key; the version (a hash of the paths and compression) must match.
 */
import { z } from 'zod';
import type { StoredBlob } from './blobs.js';
import type { ServiceContext } from './context.js';
import { RestError, TwirpError, twirpCodeFor } from './http.js';
import type { RestAnswer } from './http.js';
import { CACHE_READ, CACHE_WRITE } from './tokens.js';
import type { RuntimeClaims } from './tokens.js';

export interface CacheEntry {
  readonly id: number;
  readonly key: string;
  readonly version: string;
  /** The ref the entry belongs to. */
  readonly scope: string;
  readonly blob: StoredBlob;
  sizeBytes: number;
  readonly createdAt: Date;
  lastAccessedAt: Date;
  /** False while reserved: the upload has not been finalized. */
  finalized: boolean;
}

const CreateRequest = z.object({ key: z.string(), version: z.string() });
const FinalizeRequest = z.object({ key: z.string(), version: z.string(), size_bytes: z.union([z.string(), z.number()]).optional() });
const DownloadRequest = z.object({ key: z.string(), restore_keys: z.array(z.string()).optional(), version: z.string() });

const UPLOAD_URL_TTL_MS = 60 * 60 * 1000;
const DOWNLOAD_URL_TTL_MS = 10 * 60 * 1000;
export const WRITE_DENIED = 'cache write denied: token has no writable scopes';
export const CACHE_FULL = 'cache storage limit reached for this repository: new entries are refused until older ones are evicted';

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) throw new TwirpError('invalid_argument', z.prettifyError(result.error));
  return result.data;
}

export class CacheService {
  readonly #ctx: ServiceContext;
  readonly #entries: CacheEntry[] = [];

  constructor(ctx: ServiceContext) {
    this.#ctx = ctx;
  }

  get entries(): readonly CacheEntry[] {
    return this.#entries;
  }

  /** Deletes the entries with this key (in one scope, or all); returns how many went. */
  evict(key: string, scope?: string): number {
    let removed = 0;
    for (let i = this.#entries.length - 1; i >= 0; i--) {
      const entry = this.#entries[i];
      if (entry?.key !== key || (scope !== undefined && entry.scope !== scope)) continue;
      this.#entries.splice(i, 1);
      this.#ctx.blobs.delete(entry.blob.path);
      removed++;
    }
    return removed;
  }

  async twirp(method: string, claims: RuntimeClaims, body: unknown): Promise<unknown> {
    switch (method) {
      case 'CreateCacheEntry':
        return this.#create(claims, parse(CreateRequest, body));
      case 'FinalizeCacheEntryUpload':
        return await this.#finalize(claims, parse(FinalizeRequest, body));
      case 'GetCacheEntryDownloadURL':
        return this.#download(claims, parse(DownloadRequest, body));
      default:
        throw new TwirpError('not_found', `no method CacheService/${method}`);
    }
  }

  #writableScope(claims: RuntimeClaims): string | undefined {
    if (this.#ctx.faults().readOnlyCache) return undefined;
    return claims.cacheScopes.find((s) => (s.permission & CACHE_WRITE) !== 0)?.scope;
  }

  #create(claims: RuntimeClaims, request: z.infer<typeof CreateRequest>): unknown {
    const fault = this.#ctx.takeFault('createCacheEntry');
    if (fault) throw new TwirpError(twirpCodeFor(fault.status), 'injected fault: CreateCacheEntry failed', fault.status);
    const scope = this.#writableScope(claims);
    // GitHub answers a read-only token with ok=false and this message, not with a twirp error.
    if (scope === undefined) return { ok: false, message: WRITE_DENIED };
    if (this.#ctx.faults().cacheFull) return { ok: false, message: CACHE_FULL };
    const taken = this.#entries.some((e) => e.key === request.key && e.version === request.version && e.scope === scope);
    if (taken) throw new TwirpError('already_exists', 'cache entry with the same key, version, and scope already exists');
    const id = this.#ctx.nextId();
    const blob = this.#ctx.blobs.create('actions-cache', `${id}-${request.version.slice(0, 12)}.archive`);
    const now = new Date();
    this.#entries.push({ id, key: request.key, version: request.version, scope, blob, sizeBytes: 0, createdAt: now, lastAccessedAt: now, finalized: false });
    return { ok: true, signed_upload_url: this.#ctx.signBlobUrl(blob, 'cw', UPLOAD_URL_TTL_MS) };
  }

  async #finalize(claims: RuntimeClaims, request: z.infer<typeof FinalizeRequest>): Promise<unknown> {
    const scope = this.#writableScope(claims);
    if (scope === undefined) return { ok: false, message: WRITE_DENIED };
    const entry = this.#entries.find((e) => e.key === request.key && e.version === request.version && e.scope === scope && !e.finalized);
    if (entry === undefined) throw new TwirpError('not_found', 'no reserved cache entry with this key and version');
    await this.#ctx.loadBlob(entry.blob);
    if (entry.blob.data === undefined) return { ok: false, message: 'the cache archive was not uploaded' };
    entry.sizeBytes = entry.blob.data.length;
    entry.finalized = true;
    entry.blob.sealed = true;
    return { ok: true, entry_id: String(entry.id) };
  }

  #download(claims: RuntimeClaims, request: z.infer<typeof DownloadRequest>): unknown {
    const scopes = claims.cacheScopes.filter((s) => (s.permission & CACHE_READ) !== 0).map((s) => s.scope);
    const restoreKeys = request.restore_keys ?? [];
    for (const scope of scopes) {
      const candidates = this.#entries.filter((e) => e.finalized && e.scope === scope && e.version === request.version);
      const match =
        candidates.find((e) => e.key === request.key) ??
        newest(candidates.filter((e) => e.key.startsWith(request.key))) ??
        restoreKeys.map((prefix) => newest(candidates.filter((e) => e.key.startsWith(prefix)))).find((e) => e !== undefined);
      if (match !== undefined) {
        match.lastAccessedAt = new Date();
        return {
          ok: true,
          signed_download_url: this.#ctx.signBlobUrl(match.blob, 'r', DOWNLOAD_URL_TTL_MS),
          matched_key: match.key,
        };
      }
    }
    return { ok: false };
  }

  /** `/repos/{o}/{r}/actions/caches[/{id}]`, after the router checked the repository and the token. */
  rest(method: string, rest: string[], url: URL, actionsWrite: boolean): RestAnswer {
    const key = url.searchParams.get('key');
    const ref = url.searchParams.get('ref');
    const finalized = this.#entries.filter((e) => e.finalized);
    if (method === 'GET' && rest.length === 0) {
      const matching = finalized
        .filter((e) => (key === null || e.key.startsWith(key)) && (ref === null || e.scope === ref))
        .sort((a, b) => b.lastAccessedAt.getTime() - a.lastAccessedAt.getTime() || b.id - a.id);
      const perPage = Math.min(Number(url.searchParams.get('per_page') ?? '30'), 100);
      const page = Number(url.searchParams.get('page') ?? '1');
      return { status: 200, body: { total_count: matching.length, actions_caches: matching.slice((page - 1) * perPage, page * perPage).map(restCache) } };
    }
    if (method !== 'DELETE') throw new RestError(404, 'Not Found');
    if (!actionsWrite) throw new RestError(403, 'Resource not accessible by integration');
    if (rest.length === 0) {
      if (key === null) throw new RestError(422, 'key is required');
      const doomed = finalized.filter((e) => e.key === key && (ref === null || e.scope === ref));
      if (doomed.length === 0) throw new RestError(404, 'Not Found');
      for (const entry of doomed) this.evict(entry.key, entry.scope);
      return { status: 200, body: { total_count: doomed.length, actions_caches: doomed.map(restCache) } };
    }
    const entry = finalized.find((e) => String(e.id) === rest[0]);
    if (entry === undefined || rest.length > 1) throw new RestError(404, 'Not Found');
    this.evict(entry.key, entry.scope);
    return { status: 204 };
  }
}

function newest(entries: CacheEntry[]): CacheEntry | undefined {
  return entries.reduce<CacheEntry | undefined>((best, e) => (best === undefined || e.id > best.id ? e : best), undefined);
}

function restCache(entry: CacheEntry): Record<string, unknown> {
  return {
    id: entry.id,
    ref: entry.scope,
    key: entry.key,
    version: entry.version,
    last_accessed_at: entry.lastAccessedAt.toISOString(),
    created_at: entry.createdAt.toISOString(),
    size_in_bytes: entry.sizeBytes,
  };
}
