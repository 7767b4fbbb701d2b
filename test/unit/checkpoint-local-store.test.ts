import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lineageHash } from '../../src/checkpoint/lineage.js';
import { LocalStore } from '../../src/checkpoint/local-store.js';
import type { Lineage } from '../../src/checkpoint/store.js';

const LINEAGE: Lineage = { repository: 'octo/demo', workflow: 'agent.yml', job: 'agent', checkpointId: 'default', runId: '7' };
const OTHER: Lineage = { ...LINEAGE, checkpointId: 'leg-2' };

describe('LocalStore', () => {
  let root: string;
  let store: LocalStore;

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'local-store-'));
    store = new LocalStore(path.join(root, 'store'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const objectOf = (content: string): { id: string; bytes: Buffer } => {
    const bytes = Buffer.from(content);
    return { id: createHash('sha256').update(bytes).digest('hex'), bytes };
  };

  /** A checkpoint folder: a manifest naming its objects, one of its own and one every checkpoint shares. */
  async function folder(sequence: number, attempt = 1, shared = 'shared object'): Promise<string> {
    const dir = path.join(root, `src-${sequence}-${attempt}`);
    await mkdir(path.join(dir, 'objects'), { recursive: true });
    const objects = [objectOf(`object ${sequence}`), objectOf(shared)];
    for (const object of objects) await writeFile(path.join(dir, 'objects', object.id), object.bytes);
    const listed = objects.map((object) => ({ id: object.id, size: object.bytes.length }));
    await writeFile(path.join(dir, 'manifest.json'), JSON.stringify({ schemaVersion: 2, sequence, attempt, createdAt: `2026-01-01T00:00:0${sequence % 10}.000Z`, objects: listed }));
    return dir;
  }

  /** Saves a fresh folder and deletes it afterwards, as the scheduler does. */
  async function save(sequence: number, lineage = LINEAGE, attempt = 1): ReturnType<LocalStore['save']> {
    const dir = await folder(sequence, attempt);
    try {
      return await store.save({ dir, lineage, sequence, attempt, createdAt: `2026-01-01T00:00:0${sequence % 10}.000Z` });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('saves, lists newest first, and fetches a copy', async () => {
    const saved = await save(2);
    expect(saved).toEqual({ key: `${lineageHash(LINEAGE)}/000002`, sequence: 2, attempt: 1, createdAt: '2026-01-01T00:00:02.000Z', sizeBytes: expect.any(Number) as unknown, newBytes: expect.any(Number) as unknown, store: 'local' });
    await save(10);
    await save(1);
    await save(5, OTHER);
    const refs = await store.list(LINEAGE);
    expect(refs.map((ref) => ref.sequence)).toEqual([10, 2, 1]);
    expect(refs[1]).toEqual({ ...saved, newBytes: undefined });

    const into = path.join(root, 'fetched');
    await store.fetch(saved, into);
    expect((await readdir(into)).sort()).toEqual(['manifest.json', 'objects']);
    expect(await readFile(path.join(into, 'objects', objectOf('object 2').id), 'utf8')).toBe('object 2');
    await expect(store.fetch(saved, into)).rejects.toThrow(/is not empty/);
    expect((await store.list(OTHER)).map((ref) => ref.sequence)).toEqual([5]);
    expect(await store.list({ ...LINEAGE, runId: 'none' })).toEqual([]);
  });

  it('ignores half-written temp folders and folders without a manifest', async () => {
    await save(1);
    const lineageDir = path.join(store.root, lineageHash(LINEAGE));
    await mkdir(path.join(lineageDir, '.tmp-000002-abc123'));
    await writeFile(path.join(lineageDir, '.tmp-000002-abc123', 'manifest.json'), '{}');
    await mkdir(path.join(lineageDir, '000003'));
    await writeFile(path.join(lineageDir, '000003', 'workspace.bundle'), 'no manifest');
    await writeFile(path.join(lineageDir, 'stray.txt'), '');
    expect((await store.list(LINEAGE)).map((ref) => ref.sequence)).toEqual([1]);
  });

  it('ignores an absurd sequence with a warning, so it neither hides nor blocks checkpoints', async () => {
    const warnings: string[] = [];
    store = new LocalStore(path.join(root, 'store'), (message) => warnings.push(message));
    await save(1);
    const lineageDir = path.join(store.root, lineageHash(LINEAGE));
    await mkdir(path.join(lineageDir, '99999999999999999999'));
    await writeFile(path.join(lineageDir, '99999999999999999999', 'manifest.json'), '{}');
    expect((await store.list(LINEAGE)).map((ref) => ref.sequence)).toEqual([1]);
    expect(warnings).toEqual([expect.stringContaining("ignored the folder '99999999999999999999'")]);
    await save(2);
    expect((await store.list(LINEAGE)).map((ref) => ref.sequence)).toEqual([2, 1]);
  });

  it('stores an object once per lineage and counts only new bytes', async () => {
    const first = await save(1);
    const second = await save(2);
    expect(second.newBytes).toBeLessThan(first.newBytes ?? 0);
    const shared = path.join(store.root, lineageHash(LINEAGE), 'objects', objectOf('shared object').id);
    // The lineage's copy and one hard link per checkpoint folder: one inode, stored once.
    expect((await stat(shared)).nlink).toBe(3);
  });

  it('prune sweeps the objects no kept checkpoint needs and never one that a kept checkpoint needs', async () => {
    for (const sequence of [1, 2, 3]) await save(sequence);
    await store.prune(LINEAGE, 1);
    const objects = path.join(store.root, lineageHash(LINEAGE), 'objects');
    expect((await readdir(objects)).sort()).toEqual([objectOf('object 3').id, objectOf('shared object').id].sort());
    const into = path.join(root, 'fetched');
    const [kept] = await store.list(LINEAGE);
    if (kept === undefined) throw new Error('one checkpoint kept');
    await store.fetch(kept, into);
    expect(await readFile(path.join(into, 'objects', objectOf('shared object').id), 'utf8')).toBe('shared object');
  });

  it('lists a folder whose manifest does not parse, so that the restore can say why it refuses it', async () => {
    await save(1);
    const dir = path.join(store.root, lineageHash(LINEAGE), '000002');
    await mkdir(dir);
    await writeFile(path.join(dir, 'manifest.json'), '{"attempt": ');
    const refs = await store.list(LINEAGE);
    expect(refs.map((ref) => [ref.sequence, ref.attempt])).toEqual([
      [2, 0],
      [1, 1],
    ]);
    expect(refs[0]?.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('leaves nothing behind when a save fails, and refuses to overwrite a sequence', async () => {
    await save(1);
    await expect(save(1)).rejects.toThrow(/cannot save checkpoint 000001 .*already exists/);
    await expect(store.save({ dir: path.join(root, 'missing'), lineage: LINEAGE, sequence: 4, attempt: 1, createdAt: '' })).rejects.toThrow(/cannot save checkpoint 000004 .*ENOENT/);
    expect((await readdir(path.join(store.root, lineageHash(LINEAGE)))).sort()).toEqual(['000001', 'objects']);
  });

  it('prunes all but the newest, and temp folders only once stale', async () => {
    for (const sequence of [1, 2, 3, 4]) await save(sequence);
    const lineageDir = path.join(store.root, lineageHash(LINEAGE));
    await mkdir(path.join(lineageDir, '.tmp-000009-fresh'));
    await mkdir(path.join(lineageDir, '.tmp-000008-stale'));
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(path.join(lineageDir, '.tmp-000008-stale'), old, old);
    expect(await store.prune(LINEAGE, 2)).toBe(2);
    expect((await readdir(lineageDir)).sort()).toEqual(['.tmp-000009-fresh', '000003', '000004', 'objects']);
    expect(await store.prune(LINEAGE, 5)).toBe(0);
    expect(await store.prune({ ...LINEAGE, runId: 'none' }, 1)).toBe(0);
  });

  it('walks every lineage, the one saved to last first, naming one only from a manifest of its own folder', async () => {
    expect(await store.lineages()).toEqual([]);
    await save(1);
    await save(5, OTHER);
    const withLineage = async (key: string, lineage: Lineage): Promise<void> => {
      const manifest = path.join(store.folderOf(key), 'manifest.json');
      await writeFile(manifest, JSON.stringify({ ...(JSON.parse(await readFile(manifest, 'utf8')) as object), lineage }));
    };
    await withLineage(`${lineageHash(LINEAGE)}/000001`, LINEAGE);
    // A manifest in OTHER's folder that claims LINEAGE does not name OTHER's folder.
    await withLineage(`${lineageHash(OTHER)}/000005`, LINEAGE);
    await mkdir(path.join(store.root, 'not-a-lineage'));
    await mkdir(path.join(store.root, 'abcdef0123456789'));
    const lineages = await store.lineages();
    expect(lineages.map((entry) => [entry.hash, entry.lineage, entry.refs.map((ref) => ref.sequence)])).toEqual([
      [lineageHash(OTHER), undefined, [5]],
      [lineageHash(LINEAGE), LINEAGE, [1]],
    ]);
    expect(await store.describe(`${lineageHash(OTHER)}/5`)).toEqual(lineages[0]?.refs[0]);
    expect(await store.describe(`${lineageHash(OTHER)}/000006`)).toBeUndefined();
  });

  it('rejects malformed keys instead of opening other folders', async () => {
    await expect(store.fetch({ key: '../../etc', sequence: 1, attempt: 1, createdAt: '', sizeBytes: 0, store: 'local' }, path.join(root, 'x'))).rejects.toThrow(/malformed key/);
  });

  it('throws a clear error when the folder is not writable', async () => {
    const locked = path.join(root, 'locked');
    await mkdir(locked);
    // chmod does not stop root; the immutable attribute does.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) execFileSync('chattr', ['+i', locked]);
    else await chmod(locked, 0o555);
    try {
      const lockedStore = new LocalStore(locked);
      await expect(lockedStore.save({ dir: await folder(1), lineage: LINEAGE, sequence: 1, attempt: 1, createdAt: '' })).rejects.toThrow(
        new RegExp(`^local store: cannot save checkpoint 000001 in ${locked}/${lineageHash(LINEAGE)}: (EPERM|EACCES) `),
      );
    } finally {
      if (asRoot) execFileSync('chattr', ['-i', locked]);
      else await chmod(locked, 0o755);
    }
  });

  it('throws a clear error when the store path is a file', async () => {
    await writeFile(path.join(root, 'a-file'), '');
    const fileStore = new LocalStore(path.join(root, 'a-file', 'store'));
    await expect(fileStore.save({ dir: await folder(1), lineage: LINEAGE, sequence: 1, attempt: 1, createdAt: '' })).rejects.toThrow(/^local store: cannot save checkpoint 000001 in .*: ENOTDIR /);
  });
});
