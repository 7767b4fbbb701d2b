/**
 * Checkpoints in the GitHub Actions cache: one cache entry per checkpoint, keyed
 * `durable-agent-v1-<lineageHash>-<sequence, 6 digits>`.
 *
 * The cache has no listing a job can read with its runtime token, only lookups: the newest entry
 * whose key starts with a prefix, or one exact key. So `list` asks for the newest entry of the
 * lineage by prefix and then checks, by exact key, the `olderLookups` sequences just below it (each a
 * lookup, no download); entries further back or evicted are not listed. Refs from `list` know only
 * the key and sequence: attempt 0, createdAt '' and sizeBytes 0 mean "unknown until fetched" (the
 * manifest inside has them). "Newest" is the cache's newest by creation, which is the highest
 * sequence as long as a lineage only ever counts up.
 *
 * A cache version hashes the saved paths, so the checkpoint is copied into one fixed staging folder
 * that saving and restoring jobs must spell identically. save and fetch share it, so the store runs
 * one operation at a time.
 */
import { cp, mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import * as cache from '@actions/cache';
import { getOctokit } from '@actions/github';
import { z } from 'zod';
import type { Log } from '../../report/log.js';
import type { CheckpointRef, Lineage, SaveRequest, Store } from '../store.js';
import { formatSequence, lineageHash } from './lineage-key.js';

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
  /** REST API base for prune; default GITHUB_API_URL, else https://api.github.com. */
  apiUrl?: string;
  /** How many sequences below the newest `list` checks by exact key; default 2. */
  olderLookups?: number;
}

export const CACHE_KEY_PREFIX = 'durable-agent-v1-';

export function cacheKeyPrefix(lineage: Lineage): string {
  return `${CACHE_KEY_PREFIX}${lineageHash(lineage)}-`;
}

export function cacheKey(lineage: Lineage, sequence: number): string {
  return `${cacheKeyPrefix(lineage)}${formatSequence(sequence)}`;
}

function sequenceOf(key: string, prefix: string): number | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const rest = key.slice(prefix.length);
  return /^\d{6,}$/.test(rest) ? Number(rest) : undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('status' in error)) return undefined;
  return typeof error.status === 'number' ? error.status : undefined;
}

// The runner's runtime token lists its cache scopes in the `ac` claim; a token whose scopes all
// lack the write bit (2) is the read-only token GitHub gives untrusted triggers.
const TokenPayload = z.object({ ac: z.string() });
const CacheScopes = z.array(z.object({ Permission: z.number() }));

function runtimeTokenIsReadOnly(): boolean {
  const payload = (process.env.ACTIONS_RUNTIME_TOKEN ?? '').split('.')[1];
  if (payload === undefined) return false;
  try {
    const claims = TokenPayload.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    if (!claims.success) return false;
    const scopes = CacheScopes.safeParse(JSON.parse(claims.data.ac));
    return scopes.success && scopes.data.every((scope) => (scope.Permission & 2) === 0);
  } catch {
    return false;
  }
}

async function folderBytes(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const sizes = await Promise.all(entries.filter((e) => e.isFile()).map(async (e) => (await stat(path.join(e.parentPath, e.name))).size));
  return sizes.reduce((sum, size) => sum + size, 0);
}

export class ActionsCacheStore implements Store {
  readonly name = 'cache' as const;
  readonly #stagingDir: string;
  readonly #log: StoreLog;
  readonly #token: string | undefined;
  readonly #apiUrl: string;
  readonly #olderLookups: number;
  /** Tail of the operations queued on the staging folder. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: ActionsCacheStoreOptions) {
    if (!path.isAbsolute(options.stagingDir)) throw new RangeError(`stagingDir must be absolute, got ${options.stagingDir}`);
    // saveCache and restoreCache treat paths as glob patterns.
    if (/[*?[\]{}!,]/.test(options.stagingDir)) throw new RangeError(`stagingDir must not contain glob characters or commas: ${options.stagingDir}`);
    const olderLookups = options.olderLookups ?? 2;
    if (!Number.isInteger(olderLookups) || olderLookups < 0) throw new RangeError(`olderLookups must be a non-negative integer, got ${olderLookups}`);
    this.#stagingDir = path.normalize(options.stagingDir);
    this.#log = options.log;
    this.#token = options.token;
    this.#apiUrl = options.apiUrl ?? process.env.GITHUB_API_URL ?? 'https://api.github.com';
    this.#olderLookups = olderLookups;
  }

  save(request: SaveRequest): Promise<CheckpointRef> {
    const key = cacheKey(request.lineage, request.sequence);
    return this.#exclusive(async () => {
      this.#requireService();
      await this.#clearStaging();
      let cacheId: number;
      let sizeBytes: number;
      try {
        await cp(request.dir, this.#stagingDir, { recursive: true, verbatimSymlinks: true });
        sizeBytes = await folderBytes(this.#stagingDir);
        cacheId = await cache.saveCache([this.#stagingDir], key);
      } catch (error) {
        throw new Error(`checkpoint ${key} was not saved to the Actions cache: ${describe(error)}`, { cause: error });
      } finally {
        await this.#clearStaging();
      }
      // saveCache returns -1 for every refusal and only logs the reason, so find the likeliest one.
      if (cacheId === -1) throw new Error(`checkpoint ${key} was not saved to the Actions cache: ${await this.#whyNotSaved(key)}`);
      return { key, sequence: request.sequence, attempt: request.attempt, createdAt: request.createdAt, sizeBytes, store: this.name };
    });
  }

  list(lineage: Lineage): Promise<CheckpointRef[]> {
    const prefix = cacheKeyPrefix(lineage);
    return this.#exclusive(async () => {
      this.#requireService();
      const newestKey = await this.#lookup(prefix, [prefix]);
      const newest = newestKey === undefined ? undefined : sequenceOf(newestKey, prefix);
      if (newestKey === undefined || newest === undefined) return [];
      const refs = [this.#ref(newestKey, newest)];
      for (let sequence = newest - 1; sequence >= Math.max(0, newest - this.#olderLookups); sequence--) {
        const key = cacheKey(lineage, sequence);
        if ((await this.#lookup(key, [])) === key) refs.push(this.#ref(key, sequence));
      }
      return refs;
    });
  }

  fetch(ref: CheckpointRef, intoDir: string): Promise<void> {
    return this.#exclusive(async () => {
      this.#requireService();
      await this.#clearStaging();
      try {
        const matched = await cache.restoreCache([this.#stagingDir], ref.key, []);
        if (matched !== ref.key) {
          const reason =
            matched === undefined
              ? 'no such entry (evicted, or saved under another ref) or the download failed (see the warning above)'
              : `the cache answered with ${matched}`;
          throw new Error(`checkpoint ${ref.key} could not be restored from the Actions cache: ${reason}`);
        }
        await mkdir(intoDir, { recursive: true });
        await cp(this.#stagingDir, intoDir, { recursive: true, verbatimSymlinks: true });
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
    const prefix = cacheKeyPrefix(lineage);
    const octokit = getOctokit(this.#token, { baseUrl: this.#apiUrl });
    let deleted = 0;
    try {
      const entries = await octokit.paginate(octokit.rest.actions.getActionsCacheList, { owner, repo, key: prefix, per_page: 100 });
      const ours = entries.flatMap((entry) => {
        const sequence = entry.key === undefined ? undefined : sequenceOf(entry.key, prefix);
        return entry.key === undefined || sequence === undefined ? [] : [{ key: entry.key, ref: entry.ref, sequence }];
      });
      const kept = new Set([...new Set(ours.map((entry) => entry.sequence))].sort((a, b) => b - a).slice(0, keep));
      for (const entry of ours.filter((e) => !kept.has(e.sequence))) {
        try {
          await octokit.rest.actions.deleteActionsCacheByKey({ owner, repo, key: entry.key, ...(entry.ref === undefined ? {} : { ref: entry.ref }) });
          deleted++;
        } catch (error) {
          // Deleted meanwhile (eviction, another job): nothing left to do for this one.
          if (statusOf(error) !== 404) throw error;
        }
      }
      return deleted;
    } catch (error) {
      if (statusOf(error) === 403) {
        this.#log.info('The token may not manage Actions caches (it needs actions: write): older checkpoint cache entries are left to eviction.');
        return deleted;
      }
      throw new Error(`pruning checkpoint cache entries of ${prefix}* failed after ${deleted} deletions: ${describe(error)}`, { cause: error });
    }
  }

  #ref(key: string, sequence: number): CheckpointRef {
    return { key, sequence, attempt: 0, createdAt: '', sizeBytes: 0, store: this.name };
  }

  /** The key the cache would restore, without downloading anything. */
  #lookup(primaryKey: string, restoreKeys: string[]): Promise<string | undefined> {
    return cache.restoreCache([this.#stagingDir], primaryKey, restoreKeys, { lookupOnly: true });
  }

  async #whyNotSaved(key: string): Promise<string> {
    const mode = (process.env.ACTIONS_CACHE_MODE ?? '').trim().toLowerCase();
    if (mode === 'read' || mode === 'none') return `the job's cache-mode '${mode}' does not permit writes`;
    if (runtimeTokenIsReadOnly()) {
      return 'this run has a read-only cache token (GitHub issues one to untrusted triggers such as issue_comment or pull_request_target), so nothing can be saved to the cache';
    }
    if ((await this.#lookup(key, [])) === key) return 'an entry with this key already exists and cache keys are immutable, so it was not overwritten';
    return 'the cache service refused the entry or the upload failed (storage full, service error); @actions/cache logged the reason above';
  }

  #requireService(): void {
    if (!cache.isFeatureAvailable()) {
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
