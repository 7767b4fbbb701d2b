/**
 * The cache and artifact stores, through the real @actions/cache and @actions/artifact clients,
 * against the local Actions emulator.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Lineage, Store } from '../../src/checkpoint/store.js';
import { readRunContext } from '../../src/run-context.js';
import { applyEnv, startActionsEmulator } from '../support/actions-emulator.js';
import type { ActionsEmulator, ClientEnvOptions } from '../support/actions-emulator.js';

type CacheModule = typeof import('../../src/checkpoint/stores/actions-cache.js');
type ArtifactModule = typeof import('../../src/checkpoint/stores/artifact.js');

const BINARY_BYTES = 5 * 1024 * 1024;

interface Timing {
  store: string;
  operation: string;
  bytes: number;
  ms: number;
}

let emulator: ActionsEmulator;
let root: string;
let runnerTemp: string;
let cacheModule: CacheModule;
let artifactModule: ArtifactModule;
const restores: (() => void)[] = [];
const timings: Timing[] = [];
const logged: { info: string[]; warning: string[] } = { info: [], warning: [] };
const log = { info: (m: string) => logged.info.push(m), warning: (m: string) => logged.warning.push(m) };

/** Switches the job environment; undone after each test. */
function jobEnv(options: ClientEnvOptions = {}): void {
  restores.push(applyEnv(emulator.clientEnv(options)));
}

function lineage(checkpointId = `leg-${randomUUID().slice(0, 8)}`): Lineage {
  return { repository: emulator.repository, workflow: 'durable', job: 'agent', checkpointId, runId: '1001' };
}

/** With the job's GITHUB_TOKEN unless told `null` (no token). */
function cacheStore(token: string | null = process.env.GITHUB_TOKEN ?? null): InstanceType<CacheModule['ActionsCacheStore']> {
  return new cacheModule.ActionsCacheStore({ stagingDir: path.join(runnerTemp, 'durable-agent', 'cache-staging'), log, run: readRunContext(process.env), ...(token === null ? {} : { token }) });
}

function artifactStore(token: string | null = process.env.GITHUB_TOKEN ?? null): InstanceType<ArtifactModule['ArtifactStore']> {
  return new artifactModule.ArtifactStore({ log, run: readRunContext(process.env), retentionDays: 3, ...(token === null ? {} : { token }) });
}

const STORES = {
  cache: () => cacheStore(),
  artifact: () => artifactStore(),
} as const satisfies Record<string, () => Store>;

/** The id a stored object gets: sha256 of its bytes (here stored raw: tag 0, then the content). */
function rawObject(content: string | Buffer): { id: string; bytes: Buffer } {
  const bytes = Buffer.concat([Buffer.from([0]), Buffer.from(content)]);
  return { id: createHash('sha256').update(bytes).digest('hex'), bytes };
}

/**
 * A checkpoint folder as createCheckpoint makes one: manifest.json and objects/<id>, one object per
 * piece of content (a few texts, optionally a 5 MB incompressible binary). Content shared between
 * checkpoints is one object.
 */
async function checkpoint(label: string, options: { binary?: boolean; extra?: Record<string, string>; shared?: string } = {}): Promise<string> {
  const dir = await mkdtemp(path.join(root, `checkpoint-${label}-`));
  const contents: Array<string | Buffer> = [`# progress\nlabel: ${label}\n`, `${JSON.stringify({ type: 'assistant', label })}\n`, ...Object.values(options.extra ?? {})];
  if (options.shared !== undefined) contents.push(options.shared);
  if (options.binary === true) contents.push(randomBytes(BINARY_BYTES));
  await mkdir(path.join(dir, 'objects'));
  const ids: string[] = [];
  for (const content of contents) {
    const object = rawObject(content);
    await writeFile(path.join(dir, 'objects', object.id), object.bytes);
    ids.push(object.id);
  }
  await writeFile(path.join(dir, 'manifest.json'), JSON.stringify({ schemaVersion: 2, label, objects: ids.sort() }, null, 2));
  return dir;
}

/** Relative path → sha256 of every file below dir. */
async function tree(dir: string): Promise<Record<string, string>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const result: Record<string, string> = {};
  for (const entry of entries.filter((e) => e.isFile())) {
    const file = path.join(entry.parentPath, entry.name);
    result[path.relative(dir, file)] = createHash('sha256').update(await readFile(file)).digest('hex');
  }
  return result;
}

function first<T>(items: readonly T[]): T {
  const [item] = items;
  if (item === undefined) throw new Error('expected at least one item');
  return item;
}

async function emptyDir(label: string): Promise<string> {
  return mkdtemp(path.join(root, `restore-${label}-`));
}

async function timed<T>(store: string, operation: string, bytes: number, action: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await action();
  timings.push({ store, operation, bytes, ms: Math.round(performance.now() - started) });
  return result;
}

function request(dir: string, of: Lineage, sequence: number, attempt = 1): { dir: string; lineage: Lineage; sequence: number; attempt: number; createdAt: string } {
  return { dir, lineage: of, sequence, attempt, createdAt: new Date().toISOString() };
}

beforeAll(async () => {
  emulator = await startActionsEmulator();
  root = await mkdtemp(path.join(os.tmpdir(), 'durable-stores-'));
  runnerTemp = path.join(root, 'runner-temp');
  const workspace = path.join(root, 'workspace');
  await mkdir(runnerTemp, { recursive: true });
  await mkdir(workspace, { recursive: true });
  restores.push(
    applyEnv({
      ...emulator.clientEnv(),
      GITHUB_WORKSPACE: workspace,
      RUNNER_TEMP: runnerTemp,
      // A developer's shell might carry these; the clients would change behaviour.
      ACTIONS_CACHE_MODE: undefined,
      ACTIONS_CACHE_URL: undefined,
      GITHUB_RETENTION_DAYS: undefined,
    }),
  );
  // @actions/github reads GITHUB_API_URL once, when first imported, and the artifact client's
  // findBy calls use that: so the stores are imported only after the emulator's URL is in place.
  cacheModule = await import('../../src/checkpoint/stores/actions-cache.js');
  artifactModule = await import('../../src/checkpoint/stores/artifact.js');
});

const baseRestores = 1;
beforeEach(() => {
  logged.info.length = 0;
  logged.warning.length = 0;
});

afterEach(() => {
  emulator.setFaults({});
  while (restores.length > baseRestores) restores.pop()?.();
});

afterAll(async () => {
  while (restores.length > 0) restores.pop()?.();
  await emulator.close();
  await rm(root, { recursive: true, force: true });
  if (timings.length > 0) {
    console.log(
      ['store     operation          bytes       ms', ...timings.map((t) => `${t.store.padEnd(9)} ${t.operation.padEnd(18)} ${String(t.bytes).padStart(9)} ${String(t.ms).padStart(8)}`)].join('\n'),
    );
  }
});

describe.each(Object.keys(STORES) as (keyof typeof STORES)[])('the %s store', (kind) => {
  const make = STORES[kind];

  it('round-trips a checkpoint folder with a 5 MB binary', async () => {
    const store = make();
    const of = lineage();
    const dir = await checkpoint('round-trip', { binary: true });
    const saved = await timed(kind, 'save 5 MB', BINARY_BYTES, () => store.save(request(dir, of, 1)));
    expect(saved).toMatchObject({ sequence: 1, attempt: 1, store: kind });
    expect(saved.sizeBytes).toBeGreaterThan(BINARY_BYTES);

    // The clients' wire protocol: the cache client puts its archive in one Put Blob, the artifact
    // client streams blocks and commits a block list; both download with a plain GET here.
    const uploads = emulator.requests.filter((r) => r.service === 'blob').map((r) => r.operation);
    expect(uploads).toContain(kind === 'cache' ? 'PutBlob' : 'PutBlockList');

    const listed = await timed(kind, 'list', 0, () => store.list(of));
    expect(listed.map((r) => r.key)).toEqual([saved.key]);
    const into = await emptyDir(kind);
    await timed(kind, 'fetch 5 MB', BINARY_BYTES, () => store.fetch(first(listed), into));
    expect(await tree(into)).toEqual(await tree(dir));

    // The cache holds the manifest entry and the pack of its objects.
    const stored =
      kind === 'cache'
        ? emulator.cacheEntries.filter((e) => e.key.startsWith(cacheModule.cacheKeyPrefix(of))).reduce((sum, e) => sum + e.sizeBytes, 0)
        : emulator.artifacts.find((a) => a.name === saved.key)?.size;
    timings.push({ store: kind, operation: 'stored size', bytes: stored ?? -1, ms: 0 });
    expect(stored).toBeGreaterThan(BINARY_BYTES);
  });

  it('refuses to overwrite a checkpoint, keeps the stored bytes, and takes the next sequence', async () => {
    const store = make();
    const of = lineage();
    const first = await checkpoint('first');
    const saved = await store.save(request(first, of, 1));
    const blobPath = kind === 'cache' ? emulator.cacheEntries.find((e) => e.key === saved.key)?.blobPath : emulator.artifacts.find((a) => a.name === saved.key)?.blobPath;
    const before = Buffer.from(emulator.blobs.find((b) => b.path === blobPath)?.bytes ?? Buffer.alloc(0));
    expect(before.length).toBeGreaterThan(0);

    const second = await checkpoint('second');
    await expect(store.save(request(second, of, 1))).rejects.toThrow(/already exists/);
    expect(emulator.blobs.find((b) => b.path === blobPath)?.bytes?.equals(before)).toBe(true);
    const into = await emptyDir('first');
    await store.fetch(saved, into);
    expect(await tree(into)).toEqual(await tree(first));

    const next = await store.save(request(second, of, 2));
    expect((await store.list(of))[0]?.key).toBe(next.key);
  });

  it('lists the newest checkpoint first, only of its own lineage', async () => {
    const store = make();
    const of = lineage();
    for (const sequence of [1, 2, 3]) await store.save(request(await checkpoint(`seq-${sequence}`), of, sequence));
    await store.save(request(await checkpoint('other'), lineage(`${of.checkpointId}-a1`), 9));

    const listed = await store.list(of);
    expect(listed.map((r) => r.sequence)).toEqual([3, 2, 1]);
    const into = await emptyDir('newest');
    await store.fetch(first(listed), into);
    expect(JSON.parse(await readFile(path.join(into, 'manifest.json'), 'utf8'))).toMatchObject({ label: 'seq-3' });
  });

  it('fails a save with a clear error when the create call answers 5xx, and survives a transient one', async () => {
    const store = make();
    const of = lineage();
    // The clients retry 500/502/503/504 five times over ~25 s; 501 they give up on at once.
    emulator.setFaults({ createCacheEntry: { status: 501 }, createArtifact: { status: 501 } });
    const started = performance.now();
    await expect(store.save(request(await checkpoint('5xx'), of, 1))).rejects.toThrow(kind === 'cache' ? /not saved to the Actions cache/ : /not uploaded as an artifact: .*501/);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(await store.list(of)).toEqual([]);

    emulator.setFaults({ createCacheEntry: { status: 503, count: 1 }, createArtifact: { status: 503, count: 1 } });
    const retried = await checkpoint('after-503');
    const saved = await timed(kind, 'save after 503', 0, () => store.save(request(retried, of, 1)));
    expect((await store.list(of))[0]?.key).toBe(saved.key);
  });

  it('survives a slow blob store', async () => {
    const store = make();
    const of = lineage();
    emulator.setFaults({ blobDelayMs: 300 });
    const slow = await checkpoint('slow');
    const started = performance.now();
    await timed(kind, 'save, 300 ms blobs', 0, () => store.save(request(slow, of, 1)));
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
    const ref = first(await store.list(of));
    const into = await emptyDir('slow');
    await timed(kind, 'fetch, 300 ms blobs', 0, () => store.fetch(ref, into));
    expect(Object.keys(await tree(into))).toContain('manifest.json');
  });
});

describe('the cache store', () => {
  it('fails clearly with a read-only cache token, and with a full cache', async () => {
    const of = lineage();
    // A store reads the job's context when it is made, as the action makes it once per job.
    jobEnv({ cacheWrite: false });
    await expect(cacheStore().save(request(await checkpoint('read-only'), of, 1))).rejects.toThrow(/read-only cache token/);
    expect(emulator.cacheEntries.filter((e) => e.key.startsWith(cacheModule.cacheKeyPrefix(of)))).toEqual([]);

    restores.pop()?.();
    const store = cacheStore();
    emulator.setFaults({ readOnlyCache: true });
    await expect(store.save(request(await checkpoint('denied'), of, 1))).rejects.toThrow(/refused the entry/);

    emulator.setFaults({ cacheFull: true });
    await expect(store.save(request(await checkpoint('full'), of, 1))).rejects.toThrow(/not saved to the Actions cache: .*the cache service refused the entry/);
    emulator.setFaults({});
    await expect(store.save(request(await checkpoint('room'), of, 1))).resolves.toMatchObject({ sequence: 1 });
  });

  it('keeps entries to their ref and the default branch, like GitHub', async () => {
    const store = cacheStore();
    const of = lineage();
    jobEnv({ ref: 'refs/heads/feature-a' });
    await store.save(request(await checkpoint('on-a'), of, 1));
    expect((await store.list(of)).map((r) => r.sequence)).toEqual([1]);
    jobEnv({ ref: 'refs/heads/feature-b' });
    expect(await store.list(of)).toEqual([]);
    jobEnv({});
    await store.save(request(await checkpoint('on-main'), of, 2));
    jobEnv({ ref: 'refs/heads/feature-b' });
    expect((await store.list(of)).map((r) => r.sequence)).toEqual([2]);
  });

  it('prunes older entries with a token that may, and leaves them to eviction otherwise', async () => {
    const of = lineage();
    for (const sequence of [1, 2, 3, 4]) await cacheStore().save(request(await checkpoint(`prune-${sequence}`), of, sequence));
    jobEnv({ actionsWrite: false });
    expect(await cacheStore().prune(of, 2)).toBe(0);
    expect(logged.info.join('\n')).toMatch(/left to eviction/);
    restores.pop()?.();
    expect(await cacheStore().prune(of, 2)).toBe(2);
    const left = emulator.cacheEntries.filter((e) => e.key.startsWith(`${cacheModule.cacheKeyPrefix(of)}m-`)).map((e) => e.key.slice(-1));
    expect(left.sort()).toEqual(['3', '4']);
    // The packs of the deleted checkpoints went with them; those of the kept ones stay, and they restore.
    expect(emulator.cacheEntries.filter((e) => e.key.startsWith(`${cacheModule.cacheKeyPrefix(of)}o-`))).toHaveLength(2);
    const into = await emptyDir('after-prune');
    await cacheStore().fetch(first(await cacheStore().list(of)), into);
    expect(JSON.parse(await readFile(path.join(into, 'manifest.json'), 'utf8'))).toMatchObject({ label: 'prune-4' });
    expect(await cacheStore(null).prune(of, 0)).toBe(0);
  });
});

describe('the artifact store', () => {
  it('keeps the retention and prunes only older artifacts of this attempt', async () => {
    const store = artifactStore();
    const of = lineage();
    for (const sequence of [1, 2, 3]) await store.save(request(await checkpoint(`art-${sequence}`), of, sequence));
    const expires = emulator.artifacts.find((a) => a.name === artifactModule.artifactName(of.checkpointId, 1, 1))?.expiresAt;
    expect(Math.round(((expires?.getTime() ?? 0) - Date.now()) / 86_400_000)).toBe(3);
    expect(await store.prune(of, 1)).toBe(2);
    expect((await store.list(of)).map((r) => r.sequence)).toEqual([3]);
  });

  it('escapes characters artifact names forbid in the checkpoint id', () => {
    expect(artifactModule.artifactName('build (linux/x64): 18', 2, 7)).toBe('durable-agent-build (linux%2Fx64)%3A 18-a2-000007');
  });
});

describe('after the cache evicted a checkpoint', () => {
  it('a re-run (attempt 2) still finds attempt 1’s artifact through findBy', async () => {
    const of = lineage();
    const dir = await checkpoint('attempt-1', { binary: true });
    const [cached, uploaded] = await Promise.all([cacheStore().save(request(dir, of, 1)), artifactStore().save(request(dir, of, 1))]);
    expect(emulator.evictCacheEntry(cached.key)).toBe(1);

    jobEnv({ attempt: 2 });
    expect(await cacheStore().list(of)).toEqual([]);
    // The runtime token alone sees only the current attempt's artifacts.
    expect(await artifactStore(null).list(of)).toEqual([]);
    const rerun = artifactStore();
    const listed = await timed('artifact', 'list via findBy', 0, () => rerun.list(of));
    expect(listed.map((r) => [r.key, r.attempt])).toEqual([[uploaded.key, 1]]);
    const into = await emptyDir('rerun');
    await timed('artifact', 'fetch via findBy', BINARY_BYTES, () => rerun.fetch(first(listed), into));
    expect(await tree(into)).toEqual(await tree(dir));
    expect(emulator.requests.some((r) => r.service === 'rest' && r.operation.endsWith(`/artifacts/${String(emulator.artifacts.find((a) => a.name === uploaded.key)?.id)}/zip`))).toBe(true);

    // The re-run's own checkpoints carry its attempt and sort above attempt 1's.
    await rerun.save(request(await checkpoint('attempt-2'), of, 2, 2));
    expect((await rerun.list(of)).map((r) => [r.sequence, r.attempt])).toEqual([
      [2, 2],
      [1, 1],
    ]);
  });
});

describe('the emulator', () => {
  it('lets a test search every uploaded blob, decompressed, for a secret', async () => {
    const of = lineage();
    const secret = `sk-canary-${randomUUID()}`;
    const dir = await checkpoint('secret', { extra: { 'notes/leak.txt': `token=${secret}\n` } });
    await cacheStore().save(request(dir, of, 1));
    await artifactStore().save(request(dir, of, 1));
    const layers = emulator.searchBlobs(secret).map((m) => m.layer);
    expect(layers).toContain(`zip:objects/${rawObject(`token=${secret}\n`).id}`);
    expect(layers.some((layer) => layer === 'zstd' || layer === 'gzip')).toBe(true);
    expect(emulator.searchBlobs(`sk-canary-${randomUUID()}`)).toEqual([]);
  });

  it('serves ranges of a blob behind the REST download redirect, from Azurite', async () => {
    const saved = await artifactStore().save(request(await checkpoint('range'), lineage(), 1));
    const artifact = first(emulator.artifacts.filter((a) => a.name === saved.key));
    const auth = { authorization: `token ${process.env.GITHUB_TOKEN ?? ''}` };
    const redirect = await fetch(`${emulator.url}/repos/${emulator.repository}/actions/artifacts/${artifact.id}/zip`, { headers: auth, redirect: 'manual' });
    expect(redirect.status).toBe(302);
    const location = redirect.headers.get('location') ?? '';
    const bytes = first(emulator.blobs.filter((b) => b.path === artifact.blobPath)).bytes ?? Buffer.alloc(0);
    const part = await fetch(location, { headers: { range: 'bytes=4-13' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 4-13/${bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(4, 14))).toBe(true);
    const head = await fetch(location, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(bytes.length));
    // Signed the way GitHub signs them: an Azure service SAS for one blob, read-only.
    const sas = new URL(location).searchParams;
    expect([sas.get('sr'), sas.get('sp'), typeof sas.get('sig'), typeof sas.get('se')]).toEqual(['b', 'r', 'string', 'string']);
  });

  it('rejects missing and forged credentials', async () => {
    const twirp = `${emulator.url}/twirp/github.actions.results.api.v1.CacheService/GetCacheEntryDownloadURL`;
    const body = JSON.stringify({ key: 'k', version: 'v' });
    expect((await fetch(twirp, { method: 'POST', body })).status).toBe(401);
    const forged = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.`;
    expect((await fetch(twirp, { method: 'POST', body, headers: { authorization: `Bearer ${forged}` } })).status).toBe(401);
    const token = process.env.ACTIONS_RUNTIME_TOKEN ?? '';
    expect((await fetch(twirp, { method: 'POST', body, headers: { authorization: `Bearer ${token}` } })).status).toBe(200);

    const caches = `${emulator.url}/repos/${emulator.repository}/actions/caches`;
    expect((await fetch(caches)).status).toBe(401);
    expect((await fetch(caches, { headers: { authorization: 'token ghs_not-issued' } })).status).toBe(401);
    expect((await fetch(caches, { headers: { authorization: `token ${process.env.GITHUB_TOKEN ?? ''}` } })).status).toBe(200);

    await artifactStore().save(request(await checkpoint('signed'), lineage(), 1));
    const blob = first(emulator.blobs.filter((b) => b.bytes !== undefined));
    expect((await fetch(`${emulator.url}${blob.path}?sp=r&se=2999-01-01T00:00:00Z&sig=forged`)).status).toBe(403);
  });
});

describe('the cache store, content-addressed', () => {
  it('uploads an object once per lineage: a second checkpoint sends only its new objects', async () => {
    const of = lineage();
    const shared = randomBytes(1024 * 1024).toString('base64');
    const store = cacheStore();
    const firstSave = await store.save(request(await checkpoint('dedupe-1', { shared }), of, 1));
    const secondSave = await store.save(request(await checkpoint('dedupe-2', { shared }), of, 2));
    expect(firstSave.newBytes).toBeGreaterThan(1024 * 1024);
    expect(secondSave.newBytes).toBeLessThan(10_000);
    // A fresh job (no memory of the first save) restores the second from its manifest and both packs.
    const into = await emptyDir('dedupe');
    const dir = await checkpoint('dedupe-2', { shared });
    await cacheStore().fetch(first(await cacheStore().list(of)), into);
    expect(await tree(into)).toEqual(await tree(dir));
  });

  it('fails the fetch of a checkpoint whose objects were evicted, naming the pack', async () => {
    const of = lineage();
    const store = cacheStore();
    await store.save(request(await checkpoint('evicted-1'), of, 1));
    await store.save(request(await checkpoint('evicted-2'), of, 2));
    const packs = emulator.cacheEntries.filter((e) => e.key.startsWith(`${cacheModule.cacheKeyPrefix(of)}o-`)).map((e) => e.key);
    expect(packs).toHaveLength(2);
    expect(emulator.evictCacheEntry(packs[1] ?? '')).toBe(1);
    const [newest, older] = await cacheStore().list(of);
    if (newest === undefined || older === undefined) throw new Error('two checkpoints listed');
    await expect(cacheStore().fetch(newest, await emptyDir('evicted'))).rejects.toThrow(new RegExp(`an object pack it needs ${packs[1] ?? ''} could not be restored`));
    await cacheStore().fetch(older, await emptyDir('older'));
  });

  it('ignores a junk key that is the newest of the lineage, with a warning', async () => {
    const of = lineage();
    await cacheStore().save(request(await checkpoint('before-junk'), of, 1));
    const junk = await checkpoint('junk');
    // What a planted or broken entry looks like: the lineage's manifest prefix, then not a sequence.
    const planted = `${cacheModule.cacheKeyPrefix(of)}m-999999999999999`;
    const cache = await import('@actions/cache');
    const folder = path.join(runnerTemp, 'durable-agent', 'cache-staging', 'manifest');
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, 'manifest.json'), await readFile(path.join(junk, 'manifest.json')));
    expect(await cache.saveCache([folder], planted)).toBeGreaterThan(0);
    await rm(folder, { recursive: true, force: true });
    expect((await cacheStore().list(of)).map((ref) => ref.sequence)).toEqual([1]);
    expect(logged.warning.join('\n')).toContain(`Ignored the cache entry ${planted}`);
  });
});
