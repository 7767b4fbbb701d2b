import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
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

  /** A checkpoint folder with a manifest and one data file. */
  async function folder(sequence: number, attempt = 1): Promise<string> {
    const dir = path.join(root, `src-${sequence}-${attempt}`);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'manifest.json'), JSON.stringify({ schemaVersion: 1, sequence, attempt, createdAt: `2026-01-01T00:00:0${sequence % 10}.000Z` }));
    await writeFile(path.join(dir, 'workspace.bundle'), `bundle ${sequence}`);
    return dir;
  }

  async function save(sequence: number, lineage = LINEAGE, attempt = 1): ReturnType<LocalStore['save']> {
    return store.save({ dir: await folder(sequence, attempt), lineage, sequence, attempt, createdAt: `2026-01-01T00:00:0${sequence % 10}.000Z` });
  }

  it('saves, lists newest first, and fetches a copy', async () => {
    const saved = await save(2);
    expect(saved).toEqual({ key: `${lineageHash(LINEAGE)}/000002`, sequence: 2, attempt: 1, createdAt: '2026-01-01T00:00:02.000Z', sizeBytes: expect.any(Number) as unknown, store: 'local' });
    await save(10);
    await save(1);
    await save(5, OTHER);
    const refs = await store.list(LINEAGE);
    expect(refs.map((ref) => ref.sequence)).toEqual([10, 2, 1]);
    expect(refs[1]).toEqual(saved);

    const into = path.join(root, 'fetched');
    await store.fetch(saved, into);
    expect((await readdir(into)).sort()).toEqual(['manifest.json', 'workspace.bundle']);
    expect(await readFile(path.join(into, 'workspace.bundle'), 'utf8')).toBe('bundle 2');
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
    expect((await readdir(path.join(store.root, lineageHash(LINEAGE)))).sort()).toEqual(['000001']);
  });

  it('prunes all but the newest, and temp folders only once stale', async () => {
    for (const sequence of [1, 2, 3, 4]) await save(sequence);
    const lineageDir = path.join(store.root, lineageHash(LINEAGE));
    await mkdir(path.join(lineageDir, '.tmp-000009-fresh'));
    await mkdir(path.join(lineageDir, '.tmp-000008-stale'));
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(path.join(lineageDir, '.tmp-000008-stale'), old, old);
    expect(await store.prune(LINEAGE, 2)).toBe(2);
    expect((await readdir(lineageDir)).sort()).toEqual(['.tmp-000009-fresh', '000003', '000004']);
    expect(await store.prune(LINEAGE, 5)).toBe(0);
    expect(await store.prune({ ...LINEAGE, runId: 'none' }, 1)).toBe(0);
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
