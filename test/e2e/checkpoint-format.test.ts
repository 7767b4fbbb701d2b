// The content-addressed format on real repositories: dedupe across checkpoints, the secret scan of
// exactly the stored bytes, all-or-nothing restores, bounds, and signed manifests.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCheckpoint, restoreCheckpoint, restoreLatest, type CreatedCheckpoint } from '../../src/checkpoint/checkpoint.js';
import { CheckpointRejected } from '../../src/checkpoint/errors.js';
import { formatSequence, lineageHash } from '../../src/checkpoint/lineage.js';
import { LocalStore } from '../../src/checkpoint/local-store.js';
import { OBJECTS_DIR, parseManifest, serializeManifest, type AreaRole } from '../../src/checkpoint/manifest.js';
import { encodeObject, joined } from '../../src/checkpoint/object-codec.js';
import { chunkKey } from '../../src/checkpoint/stat-cache.js';
import type { Lineage } from '../../src/checkpoint/store.js';
import { checkpointBytes, readListing, readManifest } from '../support/checkpoint-format.js';
import { createWorkspace, GIT_IDENTITY, type Workspace } from '../support/workspace.js';

const run = promisify(execFile);
const LINEAGE: Lineage = { repository: 'octo/demo', workflow: 'agent.yml', job: 'agent', checkpointId: 'default', runId: '77' };
const SECRET = 'sk-ant-api03-RACE-0123456789abcdef';

async function gitIn(dir: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', args, { cwd: dir, env: { ...process.env, ...GIT_IDENTITY } });
  return stdout.replace(/\n$/, '');
}

describe('the content-addressed checkpoint format', () => {
  let ws: Workspace;
  let base: string;
  let checkout: string;
  let staging: string;
  let stateDir: string;
  // Where Claude Code keeps a transcript: session data, which is all a checkpoint takes of the state folder.
  const SESSION_FILE = 'projects/-w/0b7c-session.jsonl';

  beforeEach(async () => {
    ws = await createWorkspace();
    await writeFile(path.join(ws.repo, '.gitignore'), 'results/\n');
    await writeFile(path.join(ws.repo, 'README.md'), 'base\n');
    await ws.git('add', '-A');
    await ws.git('commit', '-q', '-m', 'base');
    base = (await ws.git('rev-parse', 'HEAD')).trim();
    checkout = path.join(ws.root, 'checkout');
    staging = path.join(ws.runnerTemp, 'staging');
    stateDir = path.join(ws.root, 'state');
    await mkdir(staging, { recursive: true });
    await freshCheckout();
  });

  afterEach(async () => {
    await ws.dispose();
  });

  async function freshCheckout(): Promise<void> {
    await rm(checkout, { recursive: true, force: true });
    await run('git', ['clone', '-q', '--depth', '1', `file://${ws.repo}`, checkout]);
  }

  function create(sequence: number, extra: { secrets?: string[]; signingKey?: string } = {}): Promise<CreatedCheckpoint> {
    return createCheckpoint({ workspace: checkout, baseCommit: base, stagingDir: staging, lineage: LINEAGE, sequence, attempt: 1, agent: 'claude', checkpointPaths: 'results/**', agentStateDir: stateDir, ...extra });
  }

  /** A checkpoint of the checkout, kept in `store`. */
  async function createAndStore(store: LocalStore, sequence: number): Promise<CreatedCheckpoint> {
    const created = await create(sequence);
    await store.save({ dir: created.dir, lineage: LINEAGE, sequence, attempt: 1, createdAt: created.manifest.createdAt });
    return created;
  }

  /** A checkpoint of the checkout after the agent wrote `progress.txt` and an output with `content`. */
  async function checkpointWith(content: string, sequence: number, extra: { signingKey?: string } = {}): Promise<CreatedCheckpoint> {
    await writeFile(path.join(checkout, 'progress.txt'), content);
    await mkdir(path.join(checkout, 'results'), { recursive: true });
    await writeFile(path.join(checkout, 'results', `${content}.txt`), `${content} output\n`);
    await mkdir(path.dirname(path.join(stateDir, SESSION_FILE)), { recursive: true });
    await writeFile(path.join(stateDir, SESSION_FILE), `${content} session\n`);
    return create(sequence, extra);
  }

  it('stores an unchanged file once: the next save reads and stores only what changed', async () => {
    await mkdir(path.join(checkout, 'results'), { recursive: true });
    await writeFile(path.join(checkout, 'results', 'weights.bin'), randomBytes(9 * 1024 * 1024));
    // 7 MB: two chunks, of which an append changes only the second.
    await writeFile(path.join(checkout, 'results', 'train.log'), 'step 1\n'.repeat(1_000_000));
    await mkdir(path.dirname(path.join(stateDir, SESSION_FILE)), { recursive: true });
    await writeFile(path.join(stateDir, SESSION_FILE), '{"turn":1}\n');
    const store = new LocalStore(path.join(ws.root, 'store'));
    const first = await create(1);
    const firstRef = await store.save({ dir: first.dir, lineage: LINEAGE, sequence: 1, attempt: 1, createdAt: first.manifest.createdAt });
    // Files written within a second of their read are read again next time (their stat may not change).
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const warm = await create(2);
    await store.save({ dir: warm.dir, lineage: LINEAGE, sequence: 2, attempt: 1, createdAt: warm.manifest.createdAt });

    await writeFile(path.join(checkout, 'results', 'train.log'), 'step 2\n', { flag: 'a' });
    await writeFile(path.join(stateDir, SESSION_FILE), '{"turn":2}\n', { flag: 'a' });
    const third = await create(3);
    const thirdRef = await store.save({ dir: third.dir, lineage: LINEAGE, sequence: 3, attempt: 1, createdAt: third.manifest.createdAt });
    // The appended log is read again (7 MB); the 9 MiB of unchanged weights are not.
    expect(third.stats.bytesRead).toBeLessThan(7_100_000);
    expect(thirdRef.newBytes).toBeLessThan((firstRef.newBytes ?? 0) / 20);
    // The appended log kept its unchanged leading chunk.
    const listing = async (created: CreatedCheckpoint, role: AreaRole) => readListing(created.dir, (await readManifest(created.dir)).areas.find((area) => area.role === role)?.tree ?? '');
    const log = async (created: CreatedCheckpoint) => (await listing(created, 'paths')).entries.find((entry) => entry.path === 'results/train.log');
    const [before, after] = [await log(first), await log(third)];
    if (before?.kind !== 'file' || after?.kind !== 'file') throw new Error('train.log listed');
    expect(after.segments[0]).toEqual(before.segments[0]);
    expect(after.segments.at(-1)).not.toEqual(before.segments.at(-1));

    await freshCheckout();
    await rm(stateDir, { recursive: true });
    const warnings: string[] = [];
    const restored = await restoreLatest(store, LINEAGE, { workspace: checkout, tempDir: staging, agentStateDir: stateDir, checkpointPaths: 'results/**', warn: (message) => warnings.push(message) });
    expect(warnings).toEqual([]);
    expect(restored?.manifest.sequence).toBe(3);
    expect((await readFile(path.join(checkout, 'results', 'train.log'), 'utf8')).endsWith('step 1\nstep 2\n')).toBe(true);
    expect(await readFile(path.join(stateDir, SESSION_FILE), 'utf8')).toBe('{"turn":1}\n{"turn":2}\n');
  });

  it('re-reads only the tail of an appended log, and stores a file rewritten in place whole again', async () => {
    await mkdir(path.join(checkout, 'results'), { recursive: true });
    const file = path.join(checkout, 'results', 'metrics.csv');
    // Two full 4 MiB chunks and a partial third.
    const head = Buffer.from('step,loss\n'.repeat(900_000));
    await writeFile(file, head);
    const store = new LocalStore(path.join(ws.root, 'store'));
    const save = (sequence: number): Promise<CreatedCheckpoint> => createAndStore(store, sequence);
    await save(1);
    await writeFile(file, '9,0.25\n', { flag: 'a' });
    const appended = await save(2);
    // Only the partial chunk is hashed and stored again; the full ones are checked by their CRC-32.
    expect(appended.stats.bytesRead).toBeLessThan(head.length - 8 * 1024 * 1024 + 100);
    // Rewritten on the same inode, one byte changed in the first chunk, and grown: the CRC catches it.
    const handle = await open(file, 'r+');
    await handle.write(Buffer.from('S'), 0, 1, 0);
    await handle.close();
    await writeFile(file, '10,0.24\n', { flag: 'a' });
    const rewritten = await save(3);
    expect(rewritten.stats.bytesRead).toBeGreaterThan(head.length);
    const want = await readFile(file);

    await freshCheckout();
    const warnings: string[] = [];
    const restored = await restoreLatest(store, LINEAGE, { workspace: checkout, tempDir: staging, checkpointPaths: 'results/**', warn: (message) => warnings.push(message) });
    expect(warnings).toEqual([]);
    expect(restored?.manifest.sequence).toBe(3);
    expect((await readFile(file)).equals(want)).toBe(true);
  });

  it('stores only what was appended to a log since the last save, catches a rewritten tail and a secret across the seam', async () => {
    await mkdir(path.join(checkout, 'results'), { recursive: true });
    const file = path.join(checkout, 'results', 'train.log');
    // One full 4 MiB chunk and a 1.5 MiB partial one.
    await writeFile(file, Buffer.from('epoch 1 loss 0.5\n'.repeat(340_000)));
    const store = new LocalStore(path.join(ws.root, 'store'));
    const save = async (sequence: number): Promise<CreatedCheckpoint> => {
      const created = await create(sequence, { secrets: [SECRET] });
      await store.save({ dir: created.dir, lineage: LINEAGE, sequence, attempt: 1, createdAt: created.manifest.createdAt });
      return created;
    };
    const segmentsOf = async (created: CreatedCheckpoint) => {
      const area = (await readManifest(created.dir)).areas.find((entry) => entry.role === 'paths');
      const entry = (await readListing(created.dir, area?.tree ?? '')).entries.find((listed) => listed.path === 'results/train.log');
      if (entry?.kind !== 'file') throw new Error('train.log listed');
      return entry.segments;
    };
    const first = await save(1);
    expect(await segmentsOf(first)).toHaveLength(2);
    let pieced = first;
    for (let step = 2; step <= 4; step++) {
      const line = `epoch ${step} loss 0.4\n`.repeat(50);
      await writeFile(file, line, { flag: 'a' });
      const next = await save(step);
      // Neither the full chunk nor the earlier tail is read for the store again, nor compressed.
      expect(next.stats.bytesRead).toBe(line.length);
      expect(next.stats.bytesNew).toBeLessThan(16 * 1024);
      // The chunk, the tail of the first save, one piece per append since.
      expect(await segmentsOf(next)).toHaveLength(step + 1);
      pieced = next;
    }
    const want = await readFile(file);
    // A byte of the kept tail rewritten in place and the file grown: the tail is read and stored whole.
    const handle = await open(file, 'r+');
    await handle.write(Buffer.from('E'), 0, 1, 4 * 1024 * 1024 + 100);
    await handle.close();
    await writeFile(file, 'epoch 5 loss 0.3\n', { flag: 'a' });
    const rewritten = await save(5);
    expect(rewritten.stats.bytesRead).toBeGreaterThan(1_500_000);
    expect(await segmentsOf(rewritten)).toHaveLength(2);
    // Half a secret at the end of the stored tail, its other half appended: the file is left out.
    await writeFile(file, SECRET.slice(0, 10), { flag: 'a' });
    await save(6);
    await writeFile(file, SECRET.slice(10), { flag: 'a' });
    const leaked = await save(7);
    expect(leaked.excluded).toContainEqual({ area: 'paths', path: 'results/train.log' });

    await freshCheckout();
    // The file as the fourth checkpoint kept it, in four segments, restored from its own folder.
    const restored = await restoreCheckpoint({ dir: pieced.dir, workspace: checkout, lineage: LINEAGE, checkpointPaths: 'results/**' });
    expect(restored.manifest.sequence).toBe(4);
    expect((await readFile(file)).equals(want)).toBe(true);
  });

  it('reuses a chunk stored under another file only when its bytes are equal, whatever the chunk index claims', async () => {
    await mkdir(path.join(checkout, 'results'), { recursive: true });
    const chunk = Buffer.from('epoch,loss,accuracy\n'.repeat(220_000)).subarray(0, 4 * 1024 * 1024);
    await writeFile(path.join(checkout, 'results', 'a.bin'), Buffer.concat([chunk, Buffer.from('tail a\n')]));
    const store = new LocalStore(path.join(ws.root, 'store'));
    const save = (sequence: number): Promise<CreatedCheckpoint> => createAndStore(store, sequence);
    await save(1);
    // The same 4 MiB at the head of another file: found by its CRC, compared, not stored again.
    await writeFile(path.join(checkout, 'results', 'b.bin'), Buffer.concat([chunk, Buffer.from('tail b\n')]));
    const copied = await save(2);
    expect(copied.stats.bytesNew).toBeLessThan(64 * 1024);
    // An index entry that points the next chunk's key at another chunk's object (as a CRC-32
    // collision would): the bytes differ, so the chunk is stored as it is.
    const other = Buffer.from(chunk).fill('x', 0, 1024);
    const cacheFile = path.join(staging, 'stat-cache.json');
    const cached = JSON.parse(await readFile(cacheFile, 'utf8')) as { chunks: Record<string, string> };
    const [wrong] = Object.values(cached.chunks);
    expect(wrong).toBeDefined();
    cached.chunks[chunkKey(zlib.crc32(other), other.length)] = wrong ?? '';
    await writeFile(cacheFile, JSON.stringify(cached));
    await writeFile(path.join(checkout, 'results', 'c.bin'), other);
    const forged = await save(3);
    expect(forged.stats.bytesNew).toBeGreaterThan(0);

    await freshCheckout();
    const warnings: string[] = [];
    await restoreLatest(store, LINEAGE, { workspace: checkout, tempDir: staging, checkpointPaths: 'results/**', warn: (message) => warnings.push(message) });
    expect(warnings).toEqual([]);
    expect((await readFile(path.join(checkout, 'results', 'c.bin'))).equals(other)).toBe(true);
    expect((await readFile(path.join(checkout, 'results', 'b.bin'))).subarray(0, chunk.length).equals(chunk)).toBe(true);
  });

  it('bundles only the commits since the last checkpoint, and refuses a checkpoint whose earlier bundle is gone', async () => {
    await gitIn(checkout, 'checkout', '-q', '-b', 'agent/chain');
    const store = new LocalStore(path.join(ws.root, 'store'));
    const saves: CreatedCheckpoint[] = [];
    for (let sequence = 1; sequence <= 4; sequence++) {
      // Sequence 3 makes no commit: its checkpoint keeps the bundles it had.
      if (sequence !== 3) {
        await writeFile(path.join(checkout, `step-${sequence}.txt`), randomBytes(20_000).toString('base64'));
        await gitIn(checkout, 'add', '-A');
        await gitIn(checkout, 'commit', '-q', '-m', `step ${sequence}`);
      }
      saves.push(await createAndStore(store, sequence));
    }
    const [first, second, third, fourth] = saves.map((created) => created.manifest.workspace);
    expect(first?.bundleChain).toBeUndefined();
    expect(second?.bundleChain).toEqual([first?.bundle]);
    expect(third).toMatchObject({ bundle: second?.bundle, bundleChain: second?.bundleChain });
    expect(fourth?.bundleChain).toEqual([first?.bundle, second?.bundle]);
    // Each later bundle holds one commit, not the history again.
    expect(fourth?.bundle?.size).toBeLessThan((first?.bundle?.size ?? 0) * 1.5);
    const head = await gitIn(checkout, 'rev-parse', 'HEAD');

    await freshCheckout();
    const warnings: string[] = [];
    const restore = () => restoreLatest(store, LINEAGE, { workspace: checkout, tempDir: staging, checkpointPaths: 'results/**', warn: (message) => warnings.push(message) });
    expect((await restore())?.manifest.sequence).toBe(4);
    expect(warnings).toEqual([]);
    expect(await gitIn(checkout, 'rev-parse', 'HEAD')).toBe(head);
    expect(await gitIn(checkout, 'log', '--format=%s', '-4')).toBe('step 4\nstep 2\nstep 1\nbase');

    // The first bundle's object lost from checkpoint 4 (evicted): 4 is refused, 3 restores.
    const firstObject = first?.bundle?.segments[0]?.[0] ?? '';
    await rm(path.join(ws.root, 'store', lineageHash(LINEAGE), formatSequence(4), OBJECTS_DIR, firstObject));
    await freshCheckout();
    expect((await restore())?.manifest.sequence).toBe(3);
    expect(warnings.join('\n')).toMatch(/sequence 4.*is missing/);
    expect(await gitIn(checkout, 'log', '--format=%s', '-3')).toBe('step 2\nstep 1\nbase');
  });

  it('never stores a secret that a file holds for a moment while saves run (the scan race)', async () => {
    await mkdir(path.join(checkout, 'results'), { recursive: true });
    const log = path.join(checkout, 'results', 'train.log');
    const clean = 'loss 0.1\n'.repeat(50_000);
    const leaky = `${'loss 0.1\n'.repeat(25_000)}x-api-key: ${SECRET}\n${'loss 0.1\n'.repeat(25_000)}`;
    await writeFile(log, clean);
    let writing = true;
    const writer = (async () => {
      // Rewrites the log as fast as it can, with and without the key.
      for (let round = 0; writing; round++) await writeFile(log, round % 2 === 0 ? leaky : clean);
    })();
    let stored = 0;
    let left = 0;
    try {
      for (let sequence = 1; sequence <= 12; sequence++) {
        const created = await create(sequence, { secrets: [SECRET] });
        expect((await checkpointBytes(created.dir)).includes(SECRET)).toBe(false);
        const paths = await readListing(created.dir, created.manifest.areas.find((area) => area.role === 'paths')?.tree ?? '').catch(() => undefined);
        if (paths?.entries.some((entry) => entry.path === 'results/train.log')) stored += 1;
        if (created.excluded.some((file) => file.path === 'results/train.log')) left += 1;
        await rm(created.dir, { recursive: true });
      }
    } finally {
      writing = false;
      await writer;
    }
    // Each save took whichever version it read, whole: stored when clean, left out when not.
    expect(stored + left).toBe(12);
  });

  it('leaves out only the file whose name holds a secret', async () => {
    await mkdir(path.join(checkout, 'results', 'run'), { recursive: true });
    await writeFile(path.join(checkout, 'results', 'run', `${SECRET}.txt`), 'named after the key\n');
    await writeFile(path.join(checkout, 'results', 'run', 'ok.txt'), 'fine\n');
    const created = await create(1, { secrets: [SECRET] });
    expect((await checkpointBytes(created.dir)).includes(SECRET)).toBe(false);
    const paths = await readListing(created.dir, created.manifest.areas.find((area) => area.role === 'paths')?.tree ?? '');
    expect(paths.entries.map((entry) => entry.path).sort()).toEqual(['results', 'results/run', 'results/run/ok.txt']);
    expect(created.excluded.map((file) => file.area)).toContain('paths');
  });

  describe('all-or-nothing restores', () => {
    let store: LocalStore;
    let warnings: string[];
    const folder = (sequence: number): string => path.join(store.root, lineageHash(LINEAGE), formatSequence(sequence));

    beforeEach(async () => {
      store = new LocalStore(path.join(ws.root, 'store'));
      warnings = [];
      const older = await checkpointWith('v1', 1);
      await store.save({ dir: older.dir, lineage: LINEAGE, sequence: 1, attempt: 1, createdAt: older.manifest.createdAt });
    });

    async function restore(options: { signingKey?: string } = {}): Promise<Awaited<ReturnType<typeof restoreLatest>>> {
      await freshCheckout();
      await rm(stateDir, { recursive: true, force: true });
      return restoreLatest(store, LINEAGE, { workspace: checkout, agentStateDir: stateDir, tempDir: staging, checkpointPaths: 'results/**', warn: (message) => warnings.push(message), ...options });
    }

    /** Adds a file to one area's listing of a stored checkpoint, with `stored` as its object's bytes, and re-seals the manifest. */
    async function plant(dir: string, role: AreaRole, file: string, stored: Buffer, size: number): Promise<void> {
      const manifest = await readManifest(dir);
      const area = manifest.areas.find((candidate) => candidate.role === role);
      if (area === undefined) throw new Error(`no ${role} area`);
      const listing = await readListing(dir, area.tree);
      const { createHash } = await import('node:crypto');
      const id = createHash('sha256').update(stored).digest('hex');
      await writeFile(path.join(dir, OBJECTS_DIR, id), stored);
      listing.entries.push({ kind: 'file', path: file, mode: 0o644, size, segments: [[id, 0, size]] });
      const encoded = await encodeObject(Buffer.from(JSON.stringify(listing)));
      await writeFile(path.join(dir, OBJECTS_DIR, encoded.id), joined(encoded));
      const areas = manifest.areas.map((candidate) => (candidate.role === role ? { ...candidate, tree: encoded.id } : candidate));
      const objects = [...manifest.objects, { id, size: stored.length }, { id: encoded.id, size: encoded.size }];
      const parsed = parseManifest(serializeManifest({ ...manifest, areas, objects }));
      if (!parsed.ok) throw new Error(parsed.reason);
      await writeFile(path.join(dir, 'manifest.json'), serializeManifest(parsed.manifest));
    }

    it('undoes a restore that fails halfway, leaves a clean checkout, and restores the older checkpoint', async () => {
      const newer = await checkpointWith('v2', 2);
      await store.save({ dir: newer.dir, lineage: LINEAGE, sequence: 2, attempt: 1, createdAt: newer.manifest.createdAt });
      // An object whose hash is right but whose zstd payload is not: found only while writing, after the work tree changed.
      await plant(folder(2), 'paths', 'results/zz-broken.bin', Buffer.concat([Buffer.from([1]), randomBytes(64)]), 64);
      const restored = await restore();
      expect(restored?.manifest.sequence).toBe(1);
      expect(warnings).toEqual([expect.stringMatching(/^refused checkpoint [0-9a-f]{16}\/000002 \(sequence 2, local store\): .*object does not decode.*; the checkout was reset to [0-9a-f]{12}$/)]);
      expect(await readFile(path.join(checkout, 'progress.txt'), 'utf8')).toBe('v1');
      expect((await readdir(path.join(checkout, 'results'))).sort()).toEqual(['v1.txt']);
      expect(await gitIn(checkout, 'status', '--porcelain', '--untracked-files=all')).toBe('?? progress.txt');
      expect(await readFile(path.join(stateDir, SESSION_FILE), 'utf8')).toBe('v1 session\n');
    });

    it('refuses a checkpoint larger than the free disk before writing anything', async () => {
      const newer = await checkpointWith('v2', 2);
      await store.save({ dir: newer.dir, lineage: LINEAGE, sequence: 2, attempt: 1, createdAt: newer.manifest.createdAt });
      // 1 PB claimed by one listing entry: refused on the sizes alone.
      await plant(folder(2), 'paths', 'results/huge.bin', Buffer.from([0, 1, 2, 3]), 2 ** 50);
      const restored = await restore();
      expect(restored?.manifest.sequence).toBe(1);
      expect(warnings).toEqual([expect.stringMatching(/\(sequence 2, local store\): it needs .* and the disk has .* free/)]);
    });

    it('with checkpoint_signing_key, refuses unsigned and wrongly signed checkpoints and uses the newest signed one', async () => {
      const signed = await checkpointWith('v2', 2, { signingKey: 'the-right-key-0123456789' });
      await store.save({ dir: signed.dir, lineage: LINEAGE, sequence: 2, attempt: 1, createdAt: signed.manifest.createdAt });
      const other = await checkpointWith('v3', 3, { signingKey: 'another-key-0123456789ab' });
      await store.save({ dir: other.dir, lineage: LINEAGE, sequence: 3, attempt: 1, createdAt: other.manifest.createdAt });
      const restored = await restore({ signingKey: 'the-right-key-0123456789' });
      expect(restored?.manifest.sequence).toBe(2);
      expect(warnings).toEqual([expect.stringMatching(/000003 .*its signature does not match checkpoint_signing_key/)]);
      warnings.length = 0;
      // Editing a signed manifest (here: pointing the outputs at another listing) breaks its signature.
      await plant(folder(2), 'paths', 'results/planted.txt', Buffer.concat([Buffer.from([0]), Buffer.from('planted\n')]), 8);
      await rm(folder(3), { recursive: true });
      const fallback = await restore({ signingKey: 'the-right-key-0123456789' });
      expect(fallback).toBeUndefined();
      expect(warnings).toEqual([expect.stringMatching(/000002 .*signature does not match/), expect.stringMatching(/000001 .*it is not signed and checkpoint_signing_key is set/)]);
    });

    it('refuses a crafted listing of 10 million entries without building it', async () => {
      const newer = await checkpointWith('v2', 2);
      const manifest = await readManifest(newer.dir);
      const listing = Buffer.from(`{"version":1,"deleted":[],"entries":[${Array.from({ length: 2_000_001 }, () => '{"kind":"directory","path":"d","mode":493}').join(',')}]}`);
      const encoded = await encodeObject(listing);
      await writeFile(path.join(newer.dir, OBJECTS_DIR, encoded.id), joined(encoded));
      const areas = manifest.areas.map((area) => (area.role === 'paths' ? { ...area, tree: encoded.id } : area));
      await writeFile(path.join(newer.dir, 'manifest.json'), serializeManifest({ ...manifest, areas, objects: [...manifest.objects, { id: encoded.id, size: encoded.size }] }));
      await freshCheckout();
      const attempt = restoreCheckpoint({ dir: newer.dir, workspace: checkout, lineage: LINEAGE });
      await expect(attempt).rejects.toBeInstanceOf(CheckpointRejected);
      await expect(attempt).rejects.toMatchObject({ kind: 'manifest', reason: expect.stringMatching(/experiment paths listing is invalid: entries: Too big/) as unknown });
      expect(await gitIn(checkout, 'status', '--porcelain', '--untracked-files=all')).toBe('');
    });
  });
});
