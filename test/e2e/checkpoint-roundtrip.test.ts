// Checkpoint and restore on real git repositories with the system git and tar.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, readlink, rename, rm, stat, symlink, writeFile, lstat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCheckpoint, restoreCheckpoint, type CreatedCheckpoint } from '../../src/checkpoint/checkpoint.js';
import { checkWorkspaceState, workspaceFingerprint } from '../../src/checkpoint/fingerprint.js';
import type { Lineage } from '../../src/checkpoint/store.js';
import { areaPaths, checkpointBytes, checkpointSize, readListing } from '../support/checkpoint-format.js';
import { createWorkspace, GIT_IDENTITY, type Workspace } from '../support/workspace.js';

const run = promisify(execFile);
const LINEAGE: Lineage = { repository: 'octo/demo', workflow: 'agent.yml', job: 'agent', checkpointId: 'default', runId: '4242' };

/** git in any folder, with the test identity (the library itself runs without one). */
async function gitIn(dir: string, ...args: string[]): Promise<string> {
  return (await gitRaw(dir, ...args)).replace(/\n$/, '');
}

async function gitRaw(dir: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', args, { cwd: dir, env: { ...process.env, ...GIT_IDENTITY }, maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}

/** Every path under `dir` (minus .git and `skip`), with type, permission bits, and content hash or link target. */
async function describeTree(dir: string, skip: (rel: string) => boolean = () => false): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const visit = async (rel: string): Promise<void> => {
    for (const name of (await readdir(path.join(dir, rel))).sort()) {
      const child = rel ? `${rel}/${name}` : name;
      if (child === '.git' || skip(child)) continue;
      const full = path.join(dir, child);
      const info = await lstat(full);
      if (info.isSymbolicLink()) out[child] = `link -> ${await readlink(full)}`;
      else if (info.isDirectory()) {
        out[child] = `dir ${(info.mode & 0o777).toString(8)}`;
        await visit(child);
      } else out[child] = `file ${(info.mode & 0o777).toString(8)} ${createHash('sha256').update(await readFile(full)).digest('hex')}`;
    }
  };
  await visit('');
  return out;
}

/** What a snapshot must leave alone in the user's repository. */
async function repoState(dir: string): Promise<Record<string, string>> {
  return {
    index: createHash('sha256').update(await readFile(path.join(dir, '.git', 'index'))).digest('hex'),
    refs: await gitIn(dir, 'for-each-ref'),
    stash: await gitIn(dir, 'stash', 'list'),
    status: await gitIn(dir, 'status', '--porcelain=v2', '--untracked-files=all'),
    head: await gitIn(dir, 'rev-parse', 'HEAD'),
    objects: await gitIn(dir, 'count-objects', '-v'),
  };
}

describe('checkpoint round trip on real repositories', () => {
  let ws: Workspace;
  let origin: string;
  let base: string;
  let agentDir: string;
  let staging: string;

  beforeAll(async () => {
    // The library must work on a runner without a git identity or global config.
    const empty = path.join(process.env.TMPDIR ?? '/tmp', `durable-empty-gitconfig-${process.pid}`);
    await writeFile(empty, '');
    vi.stubEnv('GIT_CONFIG_GLOBAL', empty);
    vi.stubEnv('GIT_CONFIG_NOSYSTEM', '1');
  });

  beforeEach(async () => {
    ws = await createWorkspace();
    origin = ws.repo;
    const files: Record<string, string | Buffer> = {
      '.gitignore': 'results/\n*.ckpt\nnode_modules/\n',
      'src/a.txt': 'alpha\n',
      'src/b.txt': 'bravo\n',
      'rename-me.txt': 'to be renamed\n',
      'delete-me.txt': 'to be deleted\n',
      'bin.dat': randomBytes(4096),
      'script.sh': '#!/bin/sh\necho hi\n',
      'dir with space/ünïcode file.txt': 'names survive\n',
    };
    for (const [file, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(origin, file)), { recursive: true });
      await writeFile(path.join(origin, file), content);
    }
    await ws.git('add', '-A');
    await ws.git('commit', '-q', '-m', 'base');
    base = (await ws.git('rev-parse', 'HEAD')).trim();
    agentDir = path.join(ws.root, 'checkout');
    staging = path.join(ws.runnerTemp, 'staging');
    await mkdir(staging, { recursive: true });
  });

  afterEach(async () => {
    await ws.dispose();
  });

  /** The checkout actions/checkout would make: a clone of the origin at the base commit. */
  async function cloneAt(dir: string, depth: number | undefined): Promise<void> {
    await run('git', ['clone', '-q', ...(depth ? ['--depth', String(depth)] : []), `file://${origin}`, dir]);
  }

  /** What an agent leaves behind: commits on a new branch, then every kind of uncommitted change. */
  async function agentWorks(dir: string): Promise<void> {
    const write = (file: string, content: string | Buffer): Promise<void> =>
      mkdir(path.dirname(path.join(dir, file)), { recursive: true }).then(() => writeFile(path.join(dir, file), content));
    // A stash the snapshot must not touch.
    await write('src/a.txt', 'stashed change\n');
    await gitIn(dir, 'stash', '-q');
    await gitIn(dir, 'checkout', '-q', '-b', 'agent/work');
    await write('src/a.txt', 'alpha, edited and committed by the agent\n');
    await write('committed.txt', 'new file in an agent commit\n');
    await gitIn(dir, 'add', '-A');
    await gitIn(dir, 'commit', '-q', '-m', 'agent commit');
    // Uncommitted: staged and unstaged edits, rename, deletion, binary, mode, untracked, symlink.
    await write('src/b.txt', 'bravo staged\n');
    await gitIn(dir, 'add', 'src/b.txt');
    await write('src/b.txt', 'bravo staged, then edited again\n');
    await gitIn(dir, 'mv', 'rename-me.txt', 'renamed.txt');
    await rm(path.join(dir, 'delete-me.txt'));
    await write('bin.dat', Buffer.concat([Buffer.from([0, 255, 0, 13, 10]), randomBytes(8192)]));
    await chmod(path.join(dir, 'script.sh'), 0o755);
    await write('new-untracked.txt', 'untracked, not ignored\n');
    await write('deep/new/dir/file.txt', 'untracked in new folders\n');
    await symlink('src/a.txt', path.join(dir, 'link-to-a'));
    // Ignored outputs: some declared as experiment paths, one not.
    await write('results/metrics.json', '{"loss": 0.1}\n');
    await write('results/sub/weights.bin', randomBytes(100_000));
    await symlink('weights.bin', path.join(dir, 'results/sub/latest'));
    await mkdir(path.join(dir, 'results/empty'), { recursive: true });
    await write('model.ckpt', randomBytes(2048));
    await write('node_modules/ignored.js', 'not declared, not saved\n');
  }

  it.each([
    { label: 'depth-1 clones (as actions/checkout makes them)', depth: 1 },
    { label: 'full clones', depth: undefined },
  ])('restores a fresh checkout byte for byte: $label', async ({ depth }) => {
    await cloneAt(agentDir, depth);
    await agentWorks(agentDir);
    const extraDir = path.join(ws.root, 'extra');
    await mkdir(path.join(extraDir, 'nested'), { recursive: true });
    await writeFile(path.join(extraDir, 'nested', 'state.json'), '{"step": 7}\n');

    const before = await repoState(agentDir);
    const started = performance.now();
    const created = await createCheckpoint({
      workspace: agentDir,
      baseCommit: base,
      stagingDir: staging,
      lineage: LINEAGE,
      sequence: 3,
      attempt: 1,
      agent: 'claude',
      sessionId: 'session-1',
      checkpointPaths: 'results/**\n*.ckpt',
      extraDir,
      attempts: [{ runAttempt: 1, number: 1, startedAt: '2026-05-01T12:00:00.000Z', durationMs: 1000, mode: 'fresh' as const, outcome: 'transient' as const, reason: 'server_error', apiRetries: 0 }],
      totals: { costUsd: 0.25, turns: 7 },
    });
    const snapshotMs = performance.now() - started;
    expect(await repoState(agentDir)).toEqual(before);

    const manifest = created.manifest;
    expect(manifest.workspace).toMatchObject({ base, head: before.head, branch: 'agent/work', path: agentDir, omitted: null });
    expect(manifest.workspace.changes).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.workspace.bundle).not.toBeNull();
    expect(manifest.areas.map((area) => area.role).sort()).toEqual(['extra', 'paths']);
    expect(manifest).toMatchObject({ sequence: 3, attempt: 1, sessionId: 'session-1', totals: { costUsd: 0.25, turns: 7 }, extraDir });

    const original = path.join(ws.root, 'original');
    await rename(agentDir, original);
    await rm(extraDir, { recursive: true });
    await cloneAt(agentDir, depth);

    const restoreStarted = performance.now();
    const result = await restoreCheckpoint({ dir: created.dir, workspace: agentDir, lineage: LINEAGE, extraDir, checkpointPaths: 'results/**\n*.ckpt' });
    const restoreMs = performance.now() - restoreStarted;
    expect(result.workspace).toBe('restored');
    expect(result.restored).toEqual(['paths', 'extra']);
    expect(result.notes).toEqual([]);

    const notDeclared = (rel: string): boolean => rel === 'node_modules' || rel.startsWith('node_modules/');
    expect(await describeTree(agentDir)).toEqual(await describeTree(original, notDeclared));
    expect(await describeTree(extraDir)).toEqual({ nested: 'dir 755', 'nested/state.json': expect.stringMatching(/^file 644 /) as unknown });
    expect(await gitIn(agentDir, 'rev-parse', 'HEAD')).toBe(before.head);
    expect(await gitIn(agentDir, 'symbolic-ref', 'HEAD')).toBe('refs/heads/agent/work');
    expect(await gitIn(agentDir, 'log', '--format=%s', '-2')).toBe('agent commit\nbase');
    // The index is at HEAD: every difference shows as a work-tree change.
    expect(await gitIn(agentDir, 'diff', '--cached', '--name-only')).toBe('');
    expect(await gitIn(agentDir, 'status', '--porcelain', '--untracked-files=all')).toBe(
      [
        ' M bin.dat',
        ' D delete-me.txt',
        ' D rename-me.txt',
        ' M script.sh',
        ' M src/b.txt',
        '?? deep/new/dir/file.txt',
        '?? link-to-a',
        '?? new-untracked.txt',
        '?? renamed.txt',
      ].join('\n'),
    );
    console.log(
      `[checkpoint timing] ${depth ? 'depth-1' : 'full'} clone: snapshot ${snapshotMs.toFixed(0)} ms, restore ${restoreMs.toFixed(0)} ms, ` +
        `checkpoint ${await checkpointSize(created.dir)} bytes in ${manifest.objects.length} objects`,
    );
  });

  it('records a clean checkout without a bundle and restores HEAD and branch', async () => {
    await cloneAt(agentDir, 1);
    await gitIn(agentDir, 'checkout', '-q', '-b', 'agent/empty');
    const created = await createCheckpoint({ workspace: agentDir, baseCommit: base, stagingDir: staging, lineage: LINEAGE, sequence: 0, attempt: 1, agent: 'claude' });
    expect(created.manifest.workspace).toMatchObject({ head: base, changes: null, bundle: null, branch: 'agent/empty' });
    expect(created.manifest.areas).toEqual([]);
    await rm(agentDir, { recursive: true });
    await cloneAt(agentDir, 1);
    // A tracked file an earlier step changed is put back as the checkpoint recorded it, and the
    // branch the checkout was on does not move.
    const checkedOut = await gitIn(agentDir, 'symbolic-ref', 'HEAD');
    await writeFile(path.join(agentDir, 'src/a.txt'), 'changed before the restore\n');
    await restoreCheckpoint({ dir: created.dir, workspace: agentDir, lineage: LINEAGE });
    expect(await gitIn(agentDir, 'symbolic-ref', 'HEAD')).toBe('refs/heads/agent/empty');
    expect(await gitIn(agentDir, 'status', '--porcelain')).toBe('');
    expect(await gitIn(agentDir, 'rev-parse', checkedOut)).toBe(base);
  });

  it('keeps a detached HEAD with agent commits and no work-tree changes', async () => {
    await cloneAt(agentDir, undefined);
    await gitIn(agentDir, 'checkout', '-q', '--detach');
    await writeFile(path.join(agentDir, 'src/a.txt'), 'detached work\n');
    await gitIn(agentDir, 'commit', '-q', '-am', 'detached commit');
    const head = await gitIn(agentDir, 'rev-parse', 'HEAD');
    const created = await createCheckpoint({ workspace: agentDir, baseCommit: base, stagingDir: staging, lineage: LINEAGE, sequence: 0, attempt: 1, agent: 'opencode' });
    expect(created.manifest.workspace).toMatchObject({ head, changes: null, branch: null });
    expect(created.manifest.workspace.bundle).not.toBeNull();
    await rm(agentDir, { recursive: true });
    await cloneAt(agentDir, 1);
    await restoreCheckpoint({ dir: created.dir, workspace: agentDir, lineage: LINEAGE });
    expect(await gitIn(agentDir, 'rev-parse', 'HEAD')).toBe(head);
    await expect(gitIn(agentDir, 'symbolic-ref', '-q', 'HEAD')).rejects.toThrow();
    expect(await readFile(path.join(agentDir, 'src/a.txt'), 'utf8')).toBe('detached work\n');
  });

  it('saves a Claude-like and an OpenCode-like state folder without credentials and restores the rest in place', async () => {
    await cloneAt(agentDir, 1);
    const claudeDir = path.join(ws.root, 'home', 'claude-config');
    const mangled = agentDir.replace(/[^A-Za-z0-9]/g, '-');
    const claudeFiles: Record<string, string> = {
      [`projects/${mangled}/0b7c-session.jsonl`]: '{"type":"user","message":"hi"}\n{"type":"assistant","message":"hello"}\n',
      '.claude.json': '{"numStartups": 3}\n',
      'todos/0b7c-session.json': '[]\n',
      'shell-snapshots/snapshot-bash.sh': 'export PATH=/usr/bin\n',
      '.credentials.json': '{"claudeAiOauth": {"accessToken": "sk-ant-oat-credential"}}\n',
      'statsig/cache.log': 'excluded by the caller\n',
    };
    const opencodeDir = path.join(ws.root, 'home', 'opencode-data');
    const opencodeFiles: Record<string, string | Buffer> = {
      'opencode/opencode.db': Buffer.concat([Buffer.from('SQLite format 3\0'), randomBytes(4096)]),
      'opencode/opencode.db-wal': randomBytes(8192),
      'opencode/opencode.db-shm': randomBytes(32768),
      'opencode/auth.json': '{"local": {"type": "api", "key": "opencode-credential"}}\n',
      'opencode/storage/session/ses_1.json': '{"id": "ses_1"}\n',
      'opencode/snapshot/ab12/HEAD': 'ref: refs/heads/main\n',
      'opencode/log/aws-credentials-helper.txt': 'also a credentials file by name\n',
    };
    for (const [root, files] of [
      [claudeDir, claudeFiles],
      [opencodeDir, opencodeFiles],
    ] as const) {
      for (const [file, content] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(root, file)), { recursive: true });
        await writeFile(path.join(root, file), content);
      }
    }

    const saved: CreatedCheckpoint[] = [];
    for (const [stateDir, exclude] of [
      [claudeDir, ['statsig/**']],
      [opencodeDir, []],
    ] as const) {
      saved.push(
        await createCheckpoint({ workspace: agentDir, baseCommit: base, stagingDir: staging, lineage: LINEAGE, sequence: 1, attempt: 1, agent: 'x', agentStateDir: stateDir, agentStateExclude: exclude }),
      );
    }
    const [claude, opencode] = saved;
    if (!claude || !opencode) throw new Error('two checkpoints expected');
    const entries = async (created: CreatedCheckpoint): Promise<string[]> =>
      areaPaths(created.dir, 'agent-state');
    // Session data only: no settings (.claude.json), nothing Claude Code sources (shell-snapshots), no logs or git snapshots.
    expect(await entries(claude)).toEqual(['projects', `projects/${mangled}`, `projects/${mangled}/0b7c-session.jsonl`, 'todos', 'todos/0b7c-session.json']);
    expect(await entries(opencode)).toEqual([
      'opencode',
      'opencode/opencode.db',
      'opencode/opencode.db-shm',
      'opencode/opencode.db-wal',
      'opencode/storage',
      'opencode/storage/session',
      'opencode/storage/session/ses_1.json',
    ]);
    for (const created of saved) {
      const bytes = await checkpointBytes(created.dir);
      expect(bytes.includes('sk-ant-oat-credential')).toBe(false);
      expect(bytes.includes('opencode-credential')).toBe(false);
    }

    // A fresh runner: the state folders are gone, except credentials the action writes before restoring.
    for (const [stateDir, created] of [
      [claudeDir, claude],
      [opencodeDir, opencode],
    ] as const) {
      const expected = await describeTree(stateDir, (rel) => /credentials|auth\.json|statsig|\.claude\.json|shell-snapshots|opencode\/(?:log|snapshot)/.test(rel));
      await rm(stateDir, { recursive: true });
      await mkdir(path.join(stateDir, 'opencode'), { recursive: true });
      await writeFile(path.join(stateDir, 'opencode', 'auth.json'), 'fresh credentials\n');
      const result = await restoreCheckpoint({ dir: created.dir, workspace: agentDir, lineage: LINEAGE, agentStateDir: stateDir });
      expect(result.restored).toEqual(['agent-state']);
      const restored = await describeTree(stateDir, (rel) => rel === 'opencode/auth.json' || (stateDir === claudeDir && rel === 'opencode'));
      expect(restored).toEqual(expected);
      expect(await readFile(path.join(stateDir, 'opencode', 'auth.json'), 'utf8')).toBe('fresh credentials\n');
    }
  });

  it('does not restore the agent state or extra folder unless told where', async () => {
    await cloneAt(agentDir, 1);
    const stateDir = path.join(ws.root, 'state');
    await mkdir(path.join(stateDir, 'todos'), { recursive: true });
    await writeFile(path.join(stateDir, 'todos', 'session.json'), '{}\n');
    const created = await createCheckpoint({ workspace: agentDir, baseCommit: base, stagingDir: staging, lineage: LINEAGE, sequence: 1, attempt: 1, agent: 'claude', agentStateDir: stateDir });
    await rm(stateDir, { recursive: true });
    const result = await restoreCheckpoint({ dir: created.dir, workspace: agentDir, lineage: LINEAGE });
    expect(result.restored).toEqual([]);
    expect(result.notes).toEqual(['not restored: agent state (no agentStateDir given)']);
    await expect(stat(stateDir)).rejects.toThrow();
  });

  describe('secrets', () => {
    const SECRET = 'sk-ant-api03-SECRETVALUE-0123456789';

    it('leaves out every file holding a secret, reports it by path, and no checkpoint byte holds it', async () => {
      await cloneAt(agentDir, 1);
      await writeFile(path.join(agentDir, 'src/a.txt'), `alpha plus ${SECRET}\n`);
      await writeFile(path.join(agentDir, 'leaked.env'), `ANTHROPIC_API_KEY=${SECRET}\n`);
      await writeFile(path.join(agentDir, 'clean.txt'), 'nothing to hide\n');
      await mkdir(path.join(agentDir, 'results'));
      await writeFile(path.join(agentDir, 'results/log.txt'), `request with x-api-key: ${SECRET}\n`);
      await writeFile(path.join(agentDir, 'results/ok.txt'), 'fine\n');
      const stateDir = path.join(ws.root, 'state');
      await mkdir(path.join(stateDir, 'opencode'), { recursive: true });
      await mkdir(path.join(stateDir, 'projects', '-repo'), { recursive: true });
      await mkdir(path.join(stateDir, 'plans'), { recursive: true });
      await writeFile(path.join(stateDir, 'projects/-repo/session.jsonl'), `{"tool_result":"${JSON.stringify(`key "${SECRET}"`).slice(1, -1)}"}\n`);
      await writeFile(path.join(stateDir, 'opencode/opencode.db'), 'db');
      await writeFile(path.join(stateDir, 'opencode/opencode.db-wal'), `wal ${SECRET}`);
      await writeFile(path.join(stateDir, 'opencode/opencode.db-shm'), 'shm');
      await writeFile(path.join(stateDir, 'plans/notes.md'), 'keep me\n');

      const created = await createCheckpoint({
        workspace: agentDir,
        baseCommit: base,
        stagingDir: staging,
        lineage: LINEAGE,
        sequence: 1,
        attempt: 2,
        agent: 'claude',
        checkpointPaths: 'results/**',
        agentStateDir: stateDir,
        secrets: [SECRET, '', 'x'],
        attempts: [{ runAttempt: 1, number: 1, startedAt: '2026-05-01T12:00:00.000Z', durationMs: 1000, mode: 'fresh' as const, outcome: 'transient' as const, reason: `401 for key ${SECRET}`, apiRetries: 0 }],
      });
      expect(created.excluded).toEqual([
        { area: 'workspace', path: 'leaked.env' },
        { area: 'workspace', path: 'src/a.txt' },
        { area: 'paths', path: 'results/log.txt' },
        { area: 'agent-state', path: 'opencode/opencode.db-wal' },
        { area: 'agent-state', path: 'projects/-repo/session.jsonl' },
        { area: 'manifest', path: 'manifest.json' },
      ]);
      expect(created.warnings).toEqual(
        expect.arrayContaining(["left out 'opencode/opencode.db' together with its SQLite database 'opencode/opencode.db'"]) as unknown,
      );
      expect(created.manifest.attempts).toMatchObject([{ reason: '401 for key ***' }]);
      expect((await checkpointBytes(created.dir)).includes(SECRET)).toBe(false);

      // The bundle's objects, unpacked into a fresh clone, do not hold it either.
      await rm(agentDir, { recursive: true });
      await cloneAt(agentDir, 1);
      await rm(stateDir, { recursive: true });
      await restoreCheckpoint({ dir: created.dir, workspace: agentDir, lineage: LINEAGE, agentStateDir: stateDir });
      const { stdout } = await run('git', ['cat-file', '--batch-all-objects', '--batch'], { cwd: agentDir, maxBuffer: 64 * 1024 * 1024, encoding: 'buffer' });
      expect(stdout.includes(SECRET)).toBe(false);
      expect(await readFile(path.join(agentDir, 'src/a.txt'), 'utf8')).toBe('alpha\n');
      expect(await readFile(path.join(agentDir, 'clean.txt'), 'utf8')).toBe('nothing to hide\n');
      await expect(stat(path.join(agentDir, 'leaked.env'))).rejects.toThrow();
      await expect(stat(path.join(agentDir, 'results/log.txt'))).rejects.toThrow();
      expect(await readFile(path.join(agentDir, 'results/ok.txt'), 'utf8')).toBe('fine\n');
      expect((await readdir(stateDir)).sort()).toEqual(['opencode', 'plans', 'projects']);
      expect(await readdir(path.join(stateDir, 'plans'))).toEqual(['notes.md']);
      expect(await readdir(path.join(stateDir, 'opencode'))).toEqual([]);
    });

    it('leaves the workspace out when the secret is in the agent\'s own commits', async () => {
      await cloneAt(agentDir, 1);
      await writeFile(path.join(agentDir, 'config.txt'), `token=${SECRET}\n`);
      await gitIn(agentDir, 'add', 'config.txt');
      await gitIn(agentDir, 'commit', '-q', '-m', 'oops');
      await gitIn(agentDir, 'rm', '-q', 'config.txt');
      await gitIn(agentDir, 'commit', '-q', '-m', 'remove it again');
      const created = await createCheckpoint({ workspace: agentDir, baseCommit: base, stagingDir: staging, lineage: LINEAGE, sequence: 1, attempt: 1, agent: 'claude', secrets: [SECRET] });
      expect(created.manifest.workspace.omitted).toMatch(/secret/);
      expect(created.manifest.areas).toEqual([]);
      expect(created.manifest.workspace).toMatchObject({ bundle: null, changes: null });
      expect(created.excluded).toEqual([{ area: 'workspace', path: 'config.txt' }]);
      expect((await checkpointBytes(created.dir)).includes(SECRET)).toBe(false);
    });
  });

  it('fingerprints change with every kind of change and only then', async () => {
    await cloneAt(agentDir, 1);
    await mkdir(path.join(agentDir, 'results'));
    await writeFile(path.join(agentDir, 'results/out.txt'), 'one\n');
    const paths = 'results/**';
    const fingerprint = (): Promise<string> => workspaceFingerprint(agentDir, paths);
    const seen = new Set<string>();
    const expectNew = async (): Promise<void> => {
      const value = await fingerprint();
      expect(seen.has(value)).toBe(false);
      seen.add(value);
      expect(await fingerprint()).toBe(value);
    };
    await expectNew();
    const indexBefore = await readFile(path.join(agentDir, '.git', 'index'));
    await writeFile(path.join(agentDir, 'src/a.txt'), 'edit 1\n');
    await expectNew();
    // Fingerprinting must not refresh (rewrite) the user's index.
    expect((await readFile(path.join(agentDir, '.git', 'index'))).equals(indexBefore)).toBe(true);
    // A second edit of an already modified file: same status line, different size.
    await writeFile(path.join(agentDir, 'src/a.txt'), 'edit number 2\n');
    await expectNew();
    await writeFile(path.join(agentDir, 'results/out.txt'), 'two, longer\n');
    await expectNew();
    await writeFile(path.join(agentDir, 'untracked.txt'), 'u\n');
    await expectNew();
    await gitIn(agentDir, 'mv', 'rename-me.txt', 'renamed file.txt');
    await expectNew();
    await gitIn(agentDir, 'commit', '-q', '-am', 'commit');
    await expectNew();
  });

  it("saves on the no-change check's status as on its own, and takes its own once HEAD moved", async () => {
    await cloneAt(agentDir, 1);
    await writeFile(path.join(agentDir, 'src/a.txt'), 'edited\n');
    await writeFile(path.join(agentDir, 'untracked file.txt'), 'new\n');
    await rm(path.join(agentDir, 'rename-me.txt'));
    const save = async (sequence: number, workTreeStatus?: Awaited<ReturnType<typeof checkWorkspaceState>>['status']): Promise<CreatedCheckpoint> => {
      const stagingDir = path.join(staging, String(sequence));
      await mkdir(stagingDir, { recursive: true });
      return createCheckpoint({ workspace: agentDir, baseCommit: base, stagingDir, lineage: LINEAGE, sequence, attempt: 1, agent: 'claude', workTreeStatus: () => workTreeStatus });
    };
    const check = await checkWorkspaceState(agentDir);
    expect(check.status?.output).toContain('untracked file.txt');
    // What the work-tree listing names (pack ids depend on the order reads finish in).
    const listed = async (created: CreatedCheckpoint): Promise<unknown> => {
      const id = created.manifest.workspace.changes;
      if (id === null) return null;
      const tree = await readListing(created.dir, id);
      return { entries: tree.entries.map((entry) => ({ ...entry, ...(entry.kind === 'file' ? { segments: entry.segments.length } : {}) })), deleted: tree.deleted };
    };
    const shared = await save(1, check.status);
    const own = await save(2);
    expect(await listed(shared)).toEqual(await listed(own));
    expect(await listed(shared)).toMatchObject({ deleted: ['rename-me.txt'] });
    // A commit after the check: the check's status (relative to the old HEAD) is not used.
    await gitIn(agentDir, 'commit', '-q', '-am', 'agent commit');
    const after = await save(3, check.status);
    const fresh = await save(4);
    expect(after.manifest.workspace.head).not.toBe(shared.manifest.workspace.head);
    expect(await listed(after)).toEqual(await listed(fresh));
    expect(await listed(after)).toMatchObject({ deleted: [] });
  });

  it('times a larger repository', async () => {
    // 3,000 tracked files, 300 edited, 30 new; 20 MB of incompressible experiment output.
    for (let index = 0; index < 3000; index++) {
      const file = path.join(origin, 'many', String(index % 30), `file-${index}.txt`);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, `${'line\n'.repeat(50)}${index}\n`);
    }
    await ws.git('add', '-A');
    await ws.git('commit', '-q', '-m', 'many files');
    base = (await ws.git('rev-parse', 'HEAD')).trim();
    await cloneAt(agentDir, 1);
    for (let index = 0; index < 3000; index += 10) await writeFile(path.join(agentDir, 'many', String(index % 30), `file-${index}.txt`), `edited ${index}\n`);
    for (let index = 0; index < 30; index++) await writeFile(path.join(agentDir, `new-${index}.txt`), randomBytes(1024).toString('hex'));
    await mkdir(path.join(agentDir, 'results'));
    for (let index = 0; index < 4; index++) await writeFile(path.join(agentDir, 'results', `shard-${index}.bin`), randomBytes(5 * 1024 * 1024));
    const fingerprintStarted = performance.now();
    await workspaceFingerprint(agentDir, 'results/**');
    const fingerprintMs = performance.now() - fingerprintStarted;

    const started = performance.now();
    const created = await createCheckpoint({ workspace: agentDir, baseCommit: base, stagingDir: staging, lineage: LINEAGE, sequence: 1, attempt: 1, agent: 'claude', checkpointPaths: 'results/**', secrets: ['not-in-any-file-1234'] });
    const snapshotMs = performance.now() - started;
    const original = path.join(ws.root, 'original');
    await rename(agentDir, original);
    await cloneAt(agentDir, 1);
    const restoreStarted = performance.now();
    await restoreCheckpoint({ dir: created.dir, workspace: agentDir, lineage: LINEAGE });
    const restoreMs = performance.now() - restoreStarted;
    expect(await describeTree(agentDir)).toEqual(await describeTree(original));
    console.log(
      `[checkpoint timing] 3,000 files (330 changed) + 20 MB outputs: fingerprint ${fingerprintMs.toFixed(0)} ms, snapshot ${snapshotMs.toFixed(0)} ms, restore ${restoreMs.toFixed(0)} ms, ` +
        `checkpoint ${(created.sizeBytes / 1024 / 1024).toFixed(1)} MB in ${created.manifest.objects.length} objects`,
    );
  });
});
