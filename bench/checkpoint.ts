// Cases 1–4: checkpoint save, restore, the no-change check and the save after a few edits, on the
// generated workspace, against tar | zstd -3 of the same files.
import { copyFile, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createArchive, destinationProblem, extractArchive, readArchiveEntries } from '../src/checkpoint/archive.js';
import { sha256File } from '../src/checkpoint/files.js';
import { createCheckpoint, LocalStore, readValidManifest, restoreLatest, workspaceFingerprint, type Lineage } from '../src/checkpoint/index.js';
import { CHECKPOINT_FILES, fileOfRole } from '../src/checkpoint/manifest.js';
import { expandCheckpointPaths } from '../src/checkpoint/paths-archive.js';
import { secretNeedles } from '../src/checkpoint/secret-scan.js';
import { checkWorkspace, restoreWorkspace, snapshotWorkspace } from '../src/checkpoint/workspace-snapshot.js';
import { generateWorkspace, git, seeded, TextMaker, type GeneratedWorkspace } from './generate.js';
import { command, formatBytes, formatMs, log, median, quote, sh, timed, type CaseResult, type Row } from './lib.js';

const LINEAGE: Lineage = { repository: 'octo/bench', workflow: 'agent.yml', job: 'agent', checkpointId: 'bench', runId: '1' };
// The action always knows at least the API key: the save scans for it.
const SECRETS = ['sk-ant-bench-0123456789abcdef0123456789abcdef'];

interface Setup {
  readonly root: string;
  readonly ws: GeneratedWorkspace;
  readonly store: LocalStore;
  readonly staging: string;
  /** NUL-separated list of the files the baseline archives (relative to the work tree). */
  readonly listFile: string;
  readonly archive: string;
}

async function save(setup: Setup, sequence: number): Promise<{ ms: number; sizeBytes: number; warnings: readonly string[] }> {
  const { ws, store, staging } = setup;
  const result = await timed(async () => {
    const created = await createCheckpoint({
      workspace: ws.work,
      baseCommit: ws.base,
      stagingDir: staging,
      lineage: LINEAGE,
      sequence,
      attempt: 1,
      agent: 'claude',
      sessionId: '5b0c6f1e-8a47-4c1f-9a55-0d6c2f1e7b3a',
      checkpointPaths: ws.checkpointPaths,
      secrets: SECRETS,
    });
    try {
      const ref = await store.save({ dir: created.dir, lineage: LINEAGE, sequence, attempt: 1, createdAt: created.manifest.createdAt });
      return { sizeBytes: ref.sizeBytes, warnings: created.warnings };
    } finally {
      await rm(created.dir, { recursive: true, force: true });
    }
  });
  return { ms: result.ms, ...result.value };
}

async function baselineSave(setup: Setup): Promise<{ ms: number; sizeBytes: number }> {
  await rm(setup.archive, { force: true });
  const { ms } = await sh(`tar -C ${quote(setup.ws.work)} --null -T ${quote(setup.listFile)} -cf - | zstd -3 -q -T1 -o ${quote(setup.archive)}`);
  return { ms, sizeBytes: (await stat(setup.archive)).size };
}

async function freshClone(setup: Setup, name: string): Promise<string> {
  const dir = path.join(setup.root, name);
  await rm(dir, { recursive: true, force: true });
  await git(setup.root, 'clone', '-q', setup.ws.origin, dir);
  return dir;
}

async function restoreOurs(setup: Setup, clone: string): Promise<number> {
  const temp = await mkdtemp(path.join(setup.staging, 'restore-'));
  try {
    const warnings: string[] = [];
    const { ms, value } = await timed(() => restoreLatest(setup.store, LINEAGE, { workspace: clone, tempDir: temp, checkpointPaths: setup.ws.checkpointPaths, warn: (message) => warnings.push(message) }));
    if (value === undefined) throw new Error(`the checkpoint was not restored: ${warnings.join('; ')}`);
    return ms;
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

async function statusOf(dir: string): Promise<string> {
  return (await command('git', ['status', '--porcelain=v1', '--untracked-files=all'], { cwd: dir })).stdout;
}

/** What one rep of the restore produced must equal the original work tree (status and outputs). */
async function checkRestored(setup: Setup, clone: string, label: string): Promise<void> {
  const [want, got] = await Promise.all([statusOf(setup.ws.work), statusOf(clone)]);
  // The restore leaves every change unstaged (index at HEAD): compare the set of paths.
  const paths = (status: string): string => status.split('\n').map((line) => line.slice(3)).sort().join('\n');
  if (paths(want) !== paths(got)) throw new Error(`${label} restore: git status differs from the original work tree`);
  const sums = async (dir: string): Promise<string> => (await sh('find results -type f -print0 | sort -z | xargs -0 md5sum | md5sum', { cwd: dir })).stdout;
  if ((await sums(setup.ws.work)) !== (await sums(clone))) throw new Error(`${label} restore: results/ differs from the original`);
}

/** Edits `count` files: tracked text files, plus appends to two experiment outputs. */
async function editFiles(setup: Setup, round: number): Promise<string[]> {
  const random = seeded(`edit round ${round}`);
  const text = new TextMaker(random);
  const tracked = setup.ws.editable.slice(round * 8, round * 8 + 8);
  for (const rel of tracked) await writeFile(path.join(setup.ws.work, rel), text.text(500 + random.int(2000)), { flag: 'a' });
  for (const rel of setup.ws.appendableOutputs) await writeFile(path.join(setup.ws.work, rel), text.text(10_000), { flag: 'a' });
  return [...tracked, ...setup.ws.appendableOutputs];
}

export async function checkpointCases(root: string, reps: number): Promise<CaseResult> {
  log('generating the workspace (5,000 files, 150 MB of outputs)…');
  const generated = await timed(() => generateWorkspace(path.join(root, 'ws')));
  const ws = generated.value;
  log(`generated in ${formatMs(generated.ms)}`);
  const staging = path.join(root, 'staging');
  await mkdir(staging, { recursive: true });
  const setup: Setup = { root, ws, store: new LocalStore(path.join(root, 'store')), staging, listFile: path.join(root, 'baseline-files'), archive: path.join(root, 'baseline.tar.zst') };
  // The baseline saves what a plain archive of the workspace would: every file of the work tree
  // (tracked and untracked, not ignored) and the experiment outputs.
  const workTree = (await command('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ws.work })).stdout.split('\0').filter(Boolean);
  const present: string[] = [];
  for (const rel of workTree) if (await stat(path.join(ws.work, rel)).then(() => true, () => false)) present.push(rel);
  const outputs = (await command('find', ['results', '-type', 'f'], { cwd: ws.work })).stdout.split('\n').filter(Boolean);
  await writeFile(setup.listFile, [...present, ...outputs].map((rel) => `${rel}\0`).join(''));

  // 1. Save: ours (createCheckpoint + LocalStore.save) and tar | zstd -3, alternating.
  log(`case 1: checkpoint save ×${reps}`);
  const saveOurs: number[] = [];
  const saveBase: number[] = [];
  let oursSize = 0;
  let baseSize = 0;
  let sequence = 0;
  const warnings = new Set<string>();
  for (let rep = 0; rep < reps; rep++) {
    const runOurs = async (): Promise<void> => {
      sequence += 1;
      const result = await save(setup, sequence);
      saveOurs.push(result.ms);
      oursSize = result.sizeBytes;
      for (const warning of result.warnings) warnings.add(warning);
      // Keep the newest only: each checkpoint holds the 150 MB of outputs.
      await setup.store.prune(LINEAGE, 1);
    };
    const runBase = async (): Promise<void> => {
      const result = await baselineSave(setup);
      saveBase.push(result.ms);
      baseSize = result.sizeBytes;
    };
    if (rep % 2 === 0) {
      await runOurs();
      await runBase();
    } else {
      await runBase();
      await runOurs();
    }
  }
  const fullSave = median(saveOurs);

  // 2. Restore into a fresh clone: restoreLatest (fetch, validate, restore) and zstd -d | tar -x.
  log(`case 2: restore ×${reps}`);
  const restoreOursMs: number[] = [];
  const restoreBaseMs: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const runOurs = async (): Promise<void> => {
      const clone = await freshClone(setup, 'restore-ours');
      restoreOursMs.push(await restoreOurs(setup, clone));
      if (rep === 0) await checkRestored(setup, clone, 'our');
      await rm(clone, { recursive: true, force: true });
    };
    const runBase = async (): Promise<void> => {
      const clone = await freshClone(setup, 'restore-baseline');
      const { ms } = await sh(`zstd -d -q -c ${quote(setup.archive)} | tar -C ${quote(clone)} -xf -`);
      restoreBaseMs.push(ms);
      await rm(clone, { recursive: true, force: true });
    };
    if (rep % 2 === 0) {
      await runOurs();
      await runBase();
    } else {
      await runBase();
      await runOurs();
    }
  }

  // 3. The no-change check, against plain `git status` of the same tree.
  const checks = Math.max(10, reps * 2);
  log(`case 3: no-change check ×${checks}`);
  const fingerprints = new Set<string>();
  await workspaceFingerprint(ws.work, ws.checkpointPaths);
  const fingerprintMs: number[] = [];
  const statusMs: number[] = [];
  for (let rep = 0; rep < checks; rep++) {
    const { ms, value } = await timed(() => workspaceFingerprint(ws.work, ws.checkpointPaths));
    fingerprintMs.push(ms);
    fingerprints.add(value);
    statusMs.push((await command('git', ['status', '--porcelain=v2', '-z', '--untracked-files=all'], { cwd: ws.work, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' } })).ms);
  }
  if (fingerprints.size !== 1) throw new Error('the fingerprint of an unchanged workspace changed');
  const unchanged = [...fingerprints][0] ?? '';

  // 4. A save after 10 files changed (8 tracked, 2 outputs appended).
  log(`case 4: save after 10 changed files ×${reps}`);
  const incremental: number[] = [];
  let incrementalSize = 0;
  for (let rep = 0; rep < reps; rep++) {
    await editFiles(setup, rep);
    if (rep === 0 && (await workspaceFingerprint(ws.work, ws.checkpointPaths)) === unchanged) throw new Error('the fingerprint missed 10 changed files');
    sequence += 1;
    const result = await save(setup, sequence);
    incremental.push(result.ms);
    incrementalSize = result.sizeBytes;
  }
  await setup.store.prune(LINEAGE, 1);

  const rows: Row[] = [
    {
      id: '1a',
      name: 'checkpoint save: time',
      unit: 'ms',
      ours: fullSave,
      baseline: median(saveBase),
      baselineLabel: 'tar|zstd -3',
      target: { compare: 'ratio', limit: 1.3 },
      samples: { ours: saveOurs, baseline: saveBase },
      notes: [
        'ours = createCheckpoint (git bundle of the work against the base commit, tar.gz of results/, scan for one secret) + LocalStore.save; baseline = tar of every work-tree file (tracked and untracked) and results/ through zstd -3',
        ...warnings,
      ],
    },
    {
      id: '1b',
      name: 'checkpoint save: size',
      unit: 'bytes',
      ours: oursSize,
      baseline: baseSize,
      baselineLabel: 'tar|zstd -3',
      target: { compare: 'ratio', limit: 1.1 },
    },
    {
      id: '2',
      name: 'restore into a fresh clone',
      unit: 'ms',
      ours: median(restoreOursMs),
      baseline: median(restoreBaseMs),
      baselineLabel: 'zstd -d|tar -x',
      target: { compare: 'ratio', limit: 1.3 },
      samples: { ours: restoreOursMs, baseline: restoreBaseMs },
      notes: ['ours = restoreLatest (fetch, checks, unbundle + read-tree, extract); both into a fresh clone at the base commit, where the baseline rewrites every file and ours only what changed'],
    },
    {
      id: '3a',
      name: 'no-change check',
      unit: 'ms',
      ours: median(fingerprintMs),
      baseline: median(statusMs),
      baselineLabel: 'git status',
      target: { compare: 'value', limit: 150 },
      samples: { ours: fingerprintMs, baseline: statusMs },
    },
    {
      id: '3b',
      name: 'no-change check vs full save',
      unit: 'ms',
      ours: median(fingerprintMs),
      baseline: fullSave,
      baselineLabel: 'our full save',
      target: { compare: 'ratio', limit: 0.1 },
    },
    {
      id: '4',
      name: 'save after 10 files changed',
      unit: 'ms',
      ours: median(incremental),
      baseline: fullSave,
      baselineLabel: 'our full save',
      target: { compare: 'ratio', limit: 0.3 },
      samples: { ours: incremental, baseline: saveOurs },
      notes: [
        `no incremental save exists: every save rebuilds the bundle against the base commit and re-archives all of results/ (${formatBytes(incrementalSize)} per checkpoint after the edits vs ${formatBytes(oursSize)} for the first)`,
      ],
    },
  ];
  return {
    rows,
    facts: [...ws.facts, `baseline archive: ${present.length + outputs.length} files; checkpoint: ${formatBytes(oursSize)}, baseline: ${formatBytes(baseSize)}`],
    profile: () => checkpointProfile(setup),
  };
}

/** Each step of a save and of a restore, timed on its own with the same inputs, plus the compressors alone. */
async function checkpointProfile(setup: Setup): Promise<string[]> {
  const { ws, staging } = setup;
  const needles = secretNeedles(SECRETS);
  const lines: string[] = [];
  const step = async <T>(label: string, body: () => Promise<T>): Promise<T> => {
    const { ms, value } = await timed(body);
    lines.push(`  ${label.padEnd(66)} ${formatMs(ms).padStart(9)}`);
    return value;
  };
  const dir = await mkdtemp(path.join(staging, 'profile-'));
  try {
    lines.push('save, step by step (what createCheckpoint + LocalStore.save do):');
    const scratch = path.join(dir, 'scratch');
    await mkdir(scratch);
    await step('snapshotWorkspace: git add -A on an index copy, secret scan, bundle', () =>
      snapshotWorkspace({ workspace: ws.work, baseCommit: ws.base, bundleFile: path.join(dir, 'a.bundle'), tempDir: scratch, needles }),
    );
    await step('  same, without secrets (no rev-list/cat-file scan)', () =>
      snapshotWorkspace({ workspace: ws.work, baseCommit: ws.base, bundleFile: path.join(dir, 'b.bundle'), tempDir: scratch, needles: [] }),
    );
    const expanded = await step('expandCheckpointPaths (walk results/)', () => expandCheckpointPaths(ws.work, ws.checkpointPaths));
    const archive = path.join(dir, CHECKPOINT_FILES.paths);
    await step('createArchive: scan each output for secrets, then tar -czf', () => createArchive(ws.work, expanded.entries, archive, needles));
    await step('  same, without secrets (tar -czf only)', () => createArchive(ws.work, expanded.entries, path.join(dir, 'b.tar.gz'), []));
    const zstdBytes = await step('  for comparison: tar -cf - results | zstd -3', async () => Number((await sh(`tar -cf - results | zstd -3 -q -T1 | wc -c`, { cwd: ws.work })).stdout.trim()));
    await step('  for comparison: tar -cf - results > /dev/null (no compression)', () => sh(`tar -cf - results | cat > /dev/null`, { cwd: ws.work }));
    await step('sha256 of the bundle and the archive', async () => {
      await sha256File(path.join(dir, 'a.bundle'));
      await sha256File(archive);
    });
    const folder = path.join(dir, 'folder');
    await mkdir(folder);
    await copyFile(path.join(dir, 'a.bundle'), path.join(folder, CHECKPOINT_FILES.workspace));
    await copyFile(archive, path.join(folder, CHECKPOINT_FILES.paths));
    await step('LocalStore.save-like copy of the folder', async () => {
      const into = path.join(dir, 'copy');
      await mkdir(into);
      for (const name of await readdir(folder)) await copyFile(path.join(folder, name), path.join(into, name));
    });
    lines.push(`  sizes: bundle ${formatBytes((await stat(path.join(dir, 'a.bundle'))).size)}, paths.tar.gz ${formatBytes((await stat(archive)).size)} (results/ through zstd -3: ${formatBytes(zstdBytes)}); baseline .tar.zst ${formatBytes((await stat(setup.archive)).size)}`);

    lines.push('restore, step by step (what restoreLatest does):');
    const refs = await setup.store.list(LINEAGE);
    const ref = refs[0];
    if (ref === undefined) throw new Error('no checkpoint in the store');
    const fetched = path.join(dir, 'fetched');
    await step('LocalStore.fetch (copy)', () => setup.store.fetch(ref, fetched));
    const manifest = await step('readValidManifest (sha256 of every file)', () => readValidManifest(fetched, LINEAGE));
    const clone = await freshClone(setup, 'restore-profile');
    const bundle = fileOfRole(manifest, 'workspace');
    const bundleFile = bundle && path.join(fetched, bundle.name);
    await step('checkWorkspace (git bundle verify, list-heads)', () => checkWorkspace(clone, manifest.workspace, bundleFile));
    const pathsFile = path.join(fetched, CHECKPOINT_FILES.paths);
    const entries = await step('readArchiveEntries (gunzip + tar headers in JS)', () => readArchiveEntries(pathsFile));
    await step('destinationProblem (lstat of parents)', () => destinationProblem(clone, entries));
    await step('restoreWorkspace (unbundle, read-tree -u --reset, reset)', () => restoreWorkspace(clone, manifest.workspace, bundleFile));
    await step('destinationProblem again', () => destinationProblem(clone, entries));
    await step('extractArchive (tar -xzf)', () => extractArchive(pathsFile, clone));
    await rm(clone, { recursive: true, force: true });

    lines.push('no-change check, step by step:');
    await step('git status --porcelain=v2 -z --untracked-files=all', () => command('git', ['status', '--porcelain=v2', '-z', '--untracked-files=all'], { cwd: ws.work, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' } }));
    await step('expandCheckpointPaths (walk results/)', () => expandCheckpointPaths(ws.work, ws.checkpointPaths));
    await step('workspaceFingerprint (all of it)', () => workspaceFingerprint(ws.work, ws.checkpointPaths));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return lines;
}
