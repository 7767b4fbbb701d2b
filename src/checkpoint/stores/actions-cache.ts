/**
 * Checkpoints in the GitHub Actions cache, content-addressed:
 *   durable-agent-v2-<lineageHash>-o-<hash of its object ids>   a pack of objects the cache lacked
 *   durable-agent-v2-<lineageHash>-m-<sequence, 6 digits>      manifest.json + index.json
 * A save uploads one pack with the checkpoint's objects that no earlier entry of this lineage is
 * known to hold, then the manifest entry, whose index names the pack of every object it needs. A
 * fetch restores the manifest entry and each pack it names, by exact key; a pack that was evicted
 * makes that checkpoint fail (the restore then tries the next older one, or the artifact copy).
 *
 * The cache has no listing a job can read with its runtime token, only lookups: the newest entry
 * whose key starts with a prefix, or one exact key. So `list` asks for the newest manifest entry of
 * the lineage by prefix and then checks, by exact key, the `olderLookups` sequences just below it.
 * Refs from `list` know only the key and sequence: attempt 0, createdAt '' and sizeBytes 0 mean
 * "unknown until fetched".
 *
 * A cache version hashes the saved paths, so every manifest entry passes through one fixed folder,
 * and every pack through another, under a staging folder that saving and restoring jobs must spell
 * identically. Objects are hard-linked there, not copied. @actions/cache compresses each entry again (zstd of objects
 * that are mostly zstd already): its public API offers no way out, so packs stay few and large.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { ensurePrivateFolder } from '../../private-folder.js';
import path from 'node:path';
import { z } from 'zod';
import { loadActionsSdk } from '../../load-actions-sdk.js';
import type { Log } from '../../report/log.js';
import { parseSequenceLabel } from '../lineage.js';
import { MANIFEST_FILE, OBJECTS_DIR, zodProblem } from '../manifest.js';
import { OBJECT_ID } from '../object-codec.js';
import { ObjectFolder } from '../object-folder.js';
import type { CheckpointRef, Lineage, SaveRequest, Store } from '../store.js';
import { formatSequence, lineageHash } from './lineage-key.js';
import type { RunContext } from '../../run-context.js';
import { errorMessage } from '../../error-message.js';
import { parseJsonAs } from '../../parse-json.js';

export type StoreLog = Pick<Log, 'info' | 'warning'>;

export interface ActionsCacheStoreOptions {
  /**
   * Absolute folder the checkpoint passes through; emptied before and after each use. Its path is
   * part of the cache version, so the saving and the restoring job must give the same one, e.g.
   * `${RUNNER_TEMP}/durable-agent/cache-staging`.
   */
  stagingDir: string;
  log: StoreLog;
  /** A token with `actions: write` (GITHUB_TOKEN) lets prune delete older entries; without one they are left to eviction. */
  token?: string;
  /** The job's REST API base (for prune) and what its runtime token and cache mode allow. */
  run: Pick<RunContext, 'apiUrl' | 'runtimeToken' | 'cacheMode'>;
  /** How many sequences below the newest `list` checks by exact key; default 2. */
  olderLookups?: number;
}

export const CACHE_KEY_PREFIX = 'durable-agent-v2-';
const INDEX_FILE = 'index.json';

/** Every entry of the lineage, manifests and packs. */
export function cacheKeyPrefix(lineage: Lineage): string {
  return `${CACHE_KEY_PREFIX}${lineageHash(lineage)}-`;
}

function manifestPrefix(lineage: Lineage): string {
  return `${cacheKeyPrefix(lineage)}m-`;
}

function packPrefix(lineage: Lineage): string {
  return `${cacheKeyPrefix(lineage)}o-`;
}

export function cacheKey(lineage: Lineage, sequence: number): string {
  return `${manifestPrefix(lineage)}${formatSequence(sequence)}`;
}

/** A pack's key: named by the objects it holds, so the same objects are never uploaded twice under two names. */
export function packKey(lineage: Lineage, ids: readonly string[]): string {
  return `${packPrefix(lineage)}${createHash('sha256').update([...ids].sort().join('\n')).digest('hex').slice(0, 32)}`;
}

/** A manifest entry's key back to its lineage hash and sequence; undefined for a pack's key and anything else. */
export function parseCacheKey(key: string): { hash: string; sequence: number } | undefined {
  if (!key.startsWith(CACHE_KEY_PREFIX)) return undefined;
  const match = /^([0-9a-f]{16})-m-(\d+)$/.exec(key.slice(CACHE_KEY_PREFIX.length));
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  const sequence = parseSequenceLabel(match[2]);
  return sequence === undefined ? undefined : { hash: match[1], sequence };
}

function sequenceOf(key: string, prefix: string): number | undefined {
  return key.startsWith(prefix) ? parseCacheKey(key)?.sequence : undefined;
}

/** Which pack entry holds each object of a checkpoint (object id -> pack key). */
const indexSchema = z.object({ version: z.literal(1), objects: z.record(z.string().regex(OBJECT_ID), z.string().min(1)) });

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('status' in error)) return undefined;
  return typeof error.status === 'number' ? error.status : undefined;
}

// The runner's runtime token lists its cache scopes in the `ac` claim; a token whose scopes all
// lack the write bit (2) is the read-only token GitHub gives untrusted triggers.
const TokenPayload = z.object({ ac: z.string() });
const CacheScopes = z.array(z.object({ Permission: z.number() }));

function runtimeTokenIsReadOnly(runtimeToken: string | undefined): boolean {
  const payload = (runtimeToken ?? '').split('.')[1];
  if (payload === undefined) return false;
  const claims = parseJsonAs(TokenPayload, Buffer.from(payload, 'base64url').toString('utf8'));
  const scopes = claims === undefined ? undefined : parseJsonAs(CacheScopes, claims.ac);
  return scopes !== undefined && scopes.every((scope) => (scope.Permission & 2) === 0);
}

export class ActionsCacheStore implements Store {
  readonly name = 'cache' as const;
  readonly #stagingDir: string;
  readonly #log: StoreLog;
  readonly #token: string | undefined;
  readonly #run: ActionsCacheStoreOptions['run'];
  readonly #olderLookups: number;
  /** Tail of the operations queued on the staging folder. */
  #queue: Promise<unknown> = Promise.resolve();
  /** Which pack holds each object this store saved or fetched in this job. */
  readonly #where = new Map<string, string>();

  constructor(options: ActionsCacheStoreOptions) {
    if (!path.isAbsolute(options.stagingDir)) throw new RangeError(`stagingDir must be absolute, got ${options.stagingDir}`);
    // saveCache and restoreCache treat paths as glob patterns.
    if (/[*?[\]{}!,]/.test(options.stagingDir)) throw new RangeError(`stagingDir must not contain glob characters or commas: ${options.stagingDir}`);
    const olderLookups = options.olderLookups ?? 2;
    if (!Number.isInteger(olderLookups) || olderLookups < 0) throw new RangeError(`olderLookups must be a non-negative integer, got ${olderLookups}`);
    this.#stagingDir = path.normalize(options.stagingDir);
    this.#log = options.log;
    this.#token = options.token;
    this.#run = options.run;
    this.#olderLookups = olderLookups;
  }

  save(request: SaveRequest): Promise<CheckpointRef> {
    const key = cacheKey(request.lineage, request.sequence);
    return this.#exclusive(async () => {
      await this.#requireService();
      const incoming = new ObjectFolder(path.join(request.dir, OBJECTS_DIR));
      const ids = await incoming.list();
      const missing = ids.filter((id) => !this.#where.has(id));
      let sizeBytes = 0;
      let newBytes = 0;
      try {
        for (const id of ids) sizeBytes += (await incoming.sizeOf(id)) ?? 0;
        if (missing.length > 0) {
          const pack = packKey(request.lineage, missing);
          const folder = await this.#stage('pack');
          const staged = new ObjectFolder(folder);
          for (const id of missing) {
            await staged.adopt(id, incoming.pathOf(id));
            newBytes += (await incoming.sizeOf(id)) ?? 0;
          }
          const cacheId = await (await loadActionsSdk()).cache.saveCache([folder], pack);
          // A pack is named by its objects: an existing one with this key holds the very same.
          if (cacheId === -1 && (await this.#lookup(folder, pack)) !== pack) {
            throw new Error(`its objects (${missing.length}, pack ${pack}) were not saved: ${await this.#whyNotSaved(folder, pack)}`);
          }
          for (const id of missing) this.#where.set(id, pack);
        }
        const index = { version: 1, objects: Object.fromEntries(ids.map((id) => [id, this.#where.get(id) ?? ''])) };
        const folder = await this.#stage('manifest');
        await copyFile(path.join(request.dir, MANIFEST_FILE), path.join(folder, MANIFEST_FILE));
        await writeFile(path.join(folder, INDEX_FILE), JSON.stringify(index));
        const manifestBytes = (await readFile(path.join(folder, MANIFEST_FILE))).length;
        sizeBytes += manifestBytes;
        newBytes += manifestBytes;
        const cacheId = await (await loadActionsSdk()).cache.saveCache([folder], key);
        // saveCache returns -1 for every refusal and only logs the reason, so find the likeliest one.
        if (cacheId === -1) throw new Error(await this.#whyNotSaved(folder, key));
      } catch (error) {
        throw new Error(`checkpoint ${key} was not saved to the Actions cache: ${errorMessage(error)}`, { cause: error });
      } finally {
        await this.#clearStaging();
      }
      return { key, sequence: request.sequence, attempt: request.attempt, createdAt: request.createdAt, sizeBytes, newBytes, store: this.name };
    });
  }

  list(lineage: Lineage): Promise<CheckpointRef[]> {
    const prefix = manifestPrefix(lineage);
    return this.#exclusive(async () => {
      await this.#requireService();
      const probe = path.join(this.#stagingDir, 'manifest');
      let newest: number | undefined;
      // A junk or absurd key may be the newest by prefix: narrower prefixes (sequences below 10^5,
      // 10^4, 10^3) still find the lineage's own, so one planted key hides nothing.
      for (const narrower of ['', '0', '00', '000']) {
        const found = await this.#lookup(probe, `${prefix}${narrower}`, [`${prefix}${narrower}`]);
        if (found === undefined) continue;
        newest = sequenceOf(found, prefix);
        if (newest !== undefined) break;
        this.#log.warning(`Ignored the cache entry ${found}: not a checkpoint sequence of this lineage.`);
      }
      if (newest === undefined) return [];
      const refs = [this.#ref(cacheKey(lineage, newest), newest)];
      for (let sequence = newest - 1; sequence >= Math.max(0, newest - this.#olderLookups); sequence--) {
        const key = cacheKey(lineage, sequence);
        if ((await this.#lookup(probe, key)) === key) refs.push(this.#ref(key, sequence));
      }
      return refs;
    });
  }

  fetch(ref: CheckpointRef, intoDir: string): Promise<void> {
    return this.#exclusive(async () => {
      await this.#requireService();
      try {
        const folder = await this.#restore('manifest', ref.key);
        const index = indexSchema.safeParse(JSON.parse(await readFile(path.join(folder, INDEX_FILE), 'utf8')));
        if (!index.success) throw new Error(`its index is invalid: ${zodProblem(index.error)}`);
        await mkdir(path.join(intoDir, OBJECTS_DIR), { recursive: true });
        await copyFile(path.join(folder, MANIFEST_FILE), path.join(intoDir, MANIFEST_FILE));
        const into = new ObjectFolder(path.join(intoDir, OBJECTS_DIR));
        const byPack = new Map<string, string[]>();
        for (const [id, pack] of Object.entries(index.data.objects)) byPack.set(pack, [...(byPack.get(pack) ?? []), id]);
        const prefix = ref.key.slice(0, ref.key.length - formatSequence(ref.sequence).length - 'm-'.length);
        for (const [pack, ids] of byPack) {
          if (!pack.startsWith(`${prefix}o-`)) throw new Error(`its index names ${pack}, which is not an object pack of this lineage`);
          const packFolder = await this.#restore('pack', pack, 'an object pack it needs');
          const staged = new ObjectFolder(packFolder);
          for (const id of ids) {
            if (!(await staged.has(id))) throw new Error(`object ${id.slice(0, 12)}… is not in its pack ${pack}`);
            await into.adopt(id, staged.pathOf(id));
            this.#where.set(id, pack);
          }
        }
      } finally {
        await this.#clearStaging();
      }
    });
  }

  async prune(lineage: Lineage, keep: number): Promise<number> {
    if (!Number.isInteger(keep) || keep < 0) throw new RangeError(`keep must be a non-negative integer, got ${keep}`);
    if (this.#token === undefined) {
      this.#log.info('No token for the Actions cache API: older checkpoint cache entries are left to eviction.');
      return 0;
    }
    const [owner = '', repo = ''] = lineage.repository.split('/');
    const prefix = manifestPrefix(lineage);
    const octokit = (await loadActionsSdk()).getOctokit(this.#token, { baseUrl: this.#run.apiUrl });
    let deleted = 0;
    const remove = async (entry: { key: string; ref: string | undefined }): Promise<void> => {
      try {
        await octokit.rest.actions.deleteActionsCacheByKey({ owner, repo, key: entry.key, ...(entry.ref === undefined ? {} : { ref: entry.ref }) });
      } catch (error) {
        // Deleted meanwhile (eviction, another job): nothing left to do for this one.
        if (statusOf(error) !== 404) throw error;
      }
    };
    try {
      const entries = await octokit.paginate(octokit.rest.actions.getActionsCacheList, { owner, repo, key: cacheKeyPrefix(lineage), per_page: 100 });
      const manifests = entries.flatMap((entry) => {
        const sequence = entry.key === undefined ? undefined : sequenceOf(entry.key, prefix);
        return entry.key === undefined || sequence === undefined ? [] : [{ key: entry.key, ref: entry.ref, sequence }];
      });
      const kept = new Set([...new Set(manifests.map((entry) => entry.sequence))].sort((a, b) => b - a).slice(0, keep));
      for (const entry of manifests.filter((e) => !kept.has(e.sequence))) {
        await remove(entry);
        deleted++;
      }
      // Packs no kept manifest names. Each kept index is read first; if one cannot be, no pack is removed.
      const needed = new Set<string>();
      for (const sequence of kept) {
        const packs = await this.#exclusive(() => this.#packsOf(cacheKey(lineage, sequence)));
        if (packs === undefined) return deleted;
        for (const pack of packs) needed.add(pack);
      }
      for (const entry of entries) {
        if (entry.key === undefined || !entry.key.startsWith(packPrefix(lineage)) || needed.has(entry.key)) continue;
        await remove({ key: entry.key, ref: entry.ref });
        for (const [id, pack] of this.#where) if (pack === entry.key) this.#where.delete(id);
      }
      return deleted;
    } catch (error) {
      if (statusOf(error) === 403) {
        this.#log.info('The token may not manage Actions caches (it needs actions: write): older checkpoint cache entries are left to eviction.');
        return deleted;
      }
      throw new Error(`pruning checkpoint cache entries of ${prefix}* failed after ${deleted} deletions: ${errorMessage(error)}`, { cause: error });
    }
  }

  /** The packs a manifest entry's index names; undefined when it cannot be read. */
  async #packsOf(key: string): Promise<Set<string> | undefined> {
    try {
      const folder = await this.#restore('manifest', key);
      const index = parseJsonAs(indexSchema, await readFile(path.join(folder, INDEX_FILE), 'utf8'));
      return index === undefined ? undefined : new Set(Object.values(index.objects));
    } catch {
      return undefined;
    } finally {
      await this.#clearStaging();
    }
  }

  /** A fresh folder for one kind of entry: the path (and so the cache version) every job computes alike. */
  async #stage(kind: 'manifest' | 'pack'): Promise<string> {
    // The path is predictable (it is part of the cache version): another local user must not be able
    // to plant or read what passes through it.
    await ensurePrivateFolder(this.#stagingDir);
    const folder = path.join(this.#stagingDir, kind);
    await rm(folder, { recursive: true, force: true });
    await mkdir(folder, { recursive: true });
    return folder;
  }

  async #restore(kind: 'manifest' | 'pack', key: string, what = 'the entry'): Promise<string> {
    const folder = await this.#stage(kind);
    const matched = await (await loadActionsSdk()).cache.restoreCache([folder], key, []);
    if (matched !== key) {
      const reason =
        matched === undefined ? 'no such entry (evicted, or saved under another ref) or the download failed (see the warning above)' : `the cache answered with ${matched}`;
      throw new Error(`${what} ${key} could not be restored from the Actions cache: ${reason}`);
    }
    return folder;
  }

  #ref(key: string, sequence: number): CheckpointRef {
    return { key, sequence, attempt: 0, createdAt: '', sizeBytes: 0, store: this.name };
  }

  /** The key the cache would restore into `folder`, without downloading anything. */
  async #lookup(folder: string, primaryKey: string, restoreKeys: string[] = []): Promise<string | undefined> {
    return (await loadActionsSdk()).cache.restoreCache([folder], primaryKey, restoreKeys, { lookupOnly: true });
  }

  async #whyNotSaved(folder: string, key: string): Promise<string> {
    const mode = (this.#run.cacheMode ?? '').trim().toLowerCase();
    if (mode === 'read' || mode === 'none') return `the job's cache-mode '${mode}' does not permit writes`;
    if (runtimeTokenIsReadOnly(this.#run.runtimeToken)) {
      return 'this run has a read-only cache token (GitHub issues one to untrusted triggers such as issue_comment or pull_request_target), so nothing can be saved to the cache';
    }
    if ((await this.#lookup(folder, key)) === key) return 'an entry with this key already exists and cache keys are immutable, so it was not overwritten';
    return 'the cache service refused the entry or the upload failed (storage full, service error); @actions/cache logged the reason above';
  }

  async #requireService(): Promise<void> {
    if (!(await loadActionsSdk()).cache.isFeatureAvailable()) {
      throw new Error('the Actions cache service is not available: ACTIONS_RESULTS_URL (cache service v2) or ACTIONS_CACHE_URL is not set');
    }
  }

  async #clearStaging(): Promise<void> {
    await rm(this.#stagingDir, { recursive: true, force: true });
  }

  #exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(operation, operation);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
