// Checkpoint cases: full save, restore, the no-change check, the save after a few edits, a lineage
// of five checkpoints, and peak memory with 1 GB of outputs; against tar | zstd -3 of the same files.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import { z } from 'zod';
import { createCheckpoint, LocalStore, readValidManifest, restoreLatest, workspaceFingerprint, type Lineage } from '../src/checkpoint/index.js';
import { checkWorkspaceState, type WorkTreeStatus } from '../src/checkpoint/fingerprint.js';
import { ObjectFolder } from '../src/checkpoint/object-folder.js';
import { expandCheckpointPaths } from '../src/checkpoint/paths-archive.js';
import { secretNeedles } from '../src/checkpoint/secret-scan.js';
import { StatCache } from '../src/checkpoint/stat-cache.js';
import { storeTree } from '../src/checkpoint/tree-writer.js';
import { snapshotWorkspace } from '../src/checkpoint/workspace-snapshot.js';
import { generateWorkspace, git, seeded, TextMaker, type GeneratedWorkspace } from './generate.js';
import { command, folderSize, formatBytes, formatMs, log, MB, median, quote, sh, timed, type CaseResult, type Row } from './lib.js';

const LINEAGE: Lineage = { repository: 'octo/bench', workflow: 'agent.yml', job: 'agent', checkpointId: 'bench', runId: '1' };
// The action always knows at least the API key: the save scans for it.
const SECRETS = ['sk-ant-bench-0123456789abcdef0123456789abcdef'];

interface Setup {
  readonly root: string;
  readonly ws: GeneratedWorkspace;
  /** The store and staging folder of the current lineage (replaced for each full save). */
  store: LocalStore;
  staging: string;
  /** NUL-separated list of the files the baseline archives (relative to the work tree). */
  readonly listFile: string;
  readonly archive: string;
}

interface Saved {
  readonly ms: number;
  /** CPU time of this process (every thread: zstd runs on the pool), git's children not counted. */
  readonly cpuMs: number;
  readonly sizeBytes: number;
  readonly newBytes: number;
  readonly warnings: readonly string[];
}

async function save(setup: Setup, sequence: number, workTreeStatus?: WorkTreeStatus): Promise<Saved> {
  const { ws, store, staging } = setup;
  const cpu = process.cpuUsage();
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
      workTreeStatus: () => workTreeStatus,
    });
    try {
      const ref = await store.save({ dir: created.dir, lineage: LINEAGE, sequence, attempt: 1, createdAt: created.manifest.createdAt });
      return { sizeBytes: ref.sizeBytes, newBytes: ref.newBytes ?? ref.sizeBytes, warnings: created.warnings };
    } finally {
      await rm(created.dir, { recursive: true, force: true });
    }
  });
  const used = process.cpuUsage(cpu);
  return { ms: result.ms, cpuMs: (used.user + used.system) / 1000, ...result.value };
}

/** The CPU time `times` reports for a script's children (user + system), in ms. */
function childrenCpuMs(timesOutput: string): number {
  const line = timesOutput.trim().split('\n').at(-1) ?? '';
  return [...line.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, match) => sum + (Number(match[1]) * 60 + Number(match[2])) * 1000, 0);
}

/** A fresh lineage: empty store and staging folder, so the next save is a full one. */
async function freshLineage(setup: Setup, name: string): Promise<void> {
  const store = path.join(setup.root, `store-${name}`);
  const staging = path.join(setup.root, `staging-${name}`);
  await rm(store, { recursive: true, force: true });
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  setup.store = new LocalStore(store);
  setup.staging = staging;
}

async function baselineSave(setup: Setup): Promise<{ ms: number; cpuMs: number; sizeBytes: number }> {
  await rm(setup.archive, { force: true });
  const { ms, stdout } = await sh(`tar -C ${quote(setup.ws.work)} --null -T ${quote(setup.listFile)} -cf - | zstd -3 -q -T1 -o ${quote(setup.archive)}; times`);
  return { ms, cpuMs: childrenCpuMs(stdout), sizeBytes: (await stat(setup.archive)).size };
}

async function freshClone(setup: Setup, name: string): Promise<string> {
  const dir = path.join(setup.root, name);
  await rm(dir, { recursive: true, force: true });
  await git(setup.root, 'clone', '-q', setup.ws.origin, dir);
  return dir;
}

async function restoreOurs(setup: Setup, clone: string): Promise<number> {
  const temp = await mkdtemp(path.join(setup.root, 'restore-'));
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


/** Changes about 10% of the output bytes: one weights file rewritten, the training log appended. */
async function changeTenPercent(setup: Setup, round: number): Promise<number> {
  const random = seeded(`lineage round ${round}`);
  const outputs = path.join(setup.ws.work, 'results', 'run-001');
  const weights = path.join(outputs, 'checkpoints', `step-${(round % 8) + 1}000.ckpt`);
  const size = (await stat(weights)).size;
  await writeFile(weights, random.bytes(size));
  const text = new TextMaker(random).text(3 * MB);
  await writeFile(path.join(outputs, 'train.log'), text, { flag: 'a' });
  return size + Buffer.byteLength(text);
}

const childResult = z.object({ saveMs: z.number(), restoreMs: z.number(), saveRssBytes: z.number(), maxRssBytes: z.number(), storedBytes: z.number() });

/** 1 GB of outputs (weights, incompressible; a log) in a small repository, saved and restored by a child process. */
async function largeOutputs(root: string): Promise<z.infer<typeof childResult>> {
  const work = path.join(root, 'big');
  await mkdir(path.join(work, 'results'), { recursive: true });
  await git(work, 'init', '-q', '-b', 'main');
  await writeFile(path.join(work, '.gitignore'), 'results/\n');
  await writeFile(path.join(work, 'train.py'), 'print("training")\n');
  await git(work, 'add', '-A');
  await git(work, '-c', 'user.name=bench', '-c', 'user.email=bench@example.com', 'commit', '-q', '-m', 'base');
  const base = (await command('git', ['rev-parse', 'HEAD'], { cwd: work })).stdout.trim();
  const random = seeded('one gigabyte');
  for (let file = 0; file < 8; file++) {
    const out = path.join(work, 'results', `weights-${file}.bin`);
    for (let written = 0; written < 120 * MB; written += 8 * MB) await writeFile(out, random.bytes(8 * MB), { flag: 'a' });
  }
  await writeFile(path.join(work, 'results', 'train.log'), new TextMaker(random).text(40 * MB));
  const clone = path.join(root, 'big-clone');
  await git(root, 'clone', '-q', work, clone);
  const staging = path.join(root, 'big-staging');
  await mkdir(staging, { recursive: true });
  // Bundled from this checkout into its own tmp/ (node_modules may be a link shared by several
  // checkouts: a bundle in its .cache would be another checkout's code half the time).
  const entry = path.resolve('tmp', 'run-ts', 'checkpoint-child.mjs');
  await build({ entryPoints: [path.resolve('bench', 'checkpoint-child.ts')], outfile: entry, bundle: true, packages: 'external', format: 'esm', platform: 'node', target: 'node24', logLevel: 'warning' });
  const resultFile = path.join(root, 'big-result.json');
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [entry, work, base, clone, staging, path.join(root, 'big-store'), resultFile], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.once('error', reject);
      child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`checkpoint child exited ${code ?? 'by a signal'}: ${stderr.slice(-2000)}`))));
    });
    return childResult.parse(JSON.parse(await readFile(resultFile, 'utf8')));
  } finally {
    for (const dir of [work, clone, staging, path.join(root, 'big-store')]) await rm(dir, { recursive: true, force: true });
  }
}

export async function checkpointCases(root: string, reps: number): Promise<CaseResult> {
  log('generating the workspace (5,000 files, 150 MB of outputs)…');
  const generated = await timed(() => generateWorkspace(path.join(root, 'ws')));
  const ws = generated.value;
  log(`generated in ${formatMs(generated.ms)}`);
  const setup: Setup = { root, ws, store: new LocalStore(path.join(root, 'store')), staging: path.join(root, 'staging'), listFile: path.join(root, 'baseline-files'), archive: path.join(root, 'baseline.tar.zst') };
  // The baseline saves what a plain archive of the workspace would: every file of the work tree
  // (tracked and untracked, not ignored) and the experiment outputs.
  const workTree = (await command('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ws.work })).stdout.split('\0').filter(Boolean);
  const present: string[] = [];
  for (const rel of workTree) if (await stat(path.join(ws.work, rel)).then(() => true, () => false)) present.push(rel);
  const outputs = (await command('find', ['results', '-type', 'f'], { cwd: ws.work })).stdout.split('\n').filter(Boolean);
  await writeFile(setup.listFile, [...present, ...outputs].map((rel) => `${rel}\0`).join(''));

  // 1. Full save: ours (createCheckpoint + LocalStore.save into an empty store, no stat cache) and tar | zstd -3, alternating.
  log(`case 1: full checkpoint save ×${reps}`);
  const saveOurs: number[] = [];
  const saveBase: number[] = [];
  const cpuOurs: number[] = [];
  const cpuBase: number[] = [];
  let oursSize = 0;
  let baseSize = 0;
  let sequence = 0;
  const warnings = new Set<string>();
  for (let rep = 0; rep < reps; rep++) {
    const runOurs = async (): Promise<void> => {
      await freshLineage(setup, 'main');
      sequence = 1;
      const result = await save(setup, sequence);
      saveOurs.push(result.ms);
      cpuOurs.push(result.cpuMs);
      oursSize = result.sizeBytes;
      for (const warning of result.warnings) warnings.add(warning);
    };
    const runBase = async (): Promise<void> => {
      const result = await baselineSave(setup);
      saveBase.push(result.ms);
      cpuBase.push(result.cpuMs);
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

  // 2. Restore into a fresh clone: restoreLatest (fetch, every check, write) and zstd -d | tar -x.
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

  // 4. A save after 10 files changed (8 tracked, 2 outputs appended), continuing the full save's lineage.
  log(`case 4: save after 10 changed files ×${reps}`);
  const incremental: number[] = [];
  const incrementalCpu: number[] = [];
  const incrementalBytes: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    await editFiles(setup, rep);
    if (rep === 0 && (await workspaceFingerprint(ws.work, ws.checkpointPaths)) === unchanged) throw new Error('the fingerprint missed 10 changed files');
    sequence += 1;
    const result = await save(setup, sequence);
    incremental.push(result.ms);
    incrementalCpu.push(result.cpuMs);
    incrementalBytes.push(result.newBytes);
  }

  // 4, as the scheduler takes it with the agent held at a turn boundary: the no-change check, then
  // the save on the check's status and stats; against the check and a save that runs its own.
  const shared: number[] = [];
  const separate: number[] = [];
  for (let rep = 0; rep < reps * 2; rep++) {
    await editFiles(setup, reps + rep);
    sequence += 1;
    const share = rep % 2 === 0;
    const { ms } = await timed(async () => {
      const check = await checkWorkspaceState(ws.work, ws.checkpointPaths);
      return save(setup, sequence, share ? check.status : undefined);
    });
    (share ? shared : separate).push(ms);
  }

  // 5. A lineage of five checkpoints with 10% of the output bytes changing between them.
  log('case 5: a lineage of 5 checkpoints, 10% of the outputs changing between them');
  await freshLineage(setup, 'lineage');
  const first = await save(setup, 1);
  let changed = 0;
  for (let round = 0; round < 4; round++) {
    changed += await changeTenPercent(setup, round);
    await save(setup, round + 2);
  }
  const lineageBytes = (await folderSize(path.join(setup.store.root))).bytes;
  // Hard links count once: the store's objects folder holds every byte; the checkpoint folders link to it.
  const objectBytes = (await folderSize(path.join(setup.store.root, (await setup.store.list(LINEAGE))[0]?.key.split('/')[0] ?? '', 'objects'))).bytes;

  // 6. 1 GB of outputs: the save's and the restore's peak memory, in a child process.
  log('case 6: 1 GB of outputs, peak RSS of a save and a restore');
  const big = await largeOutputs(root);

  const rows: Row[] = [
    {
      id: '1a',
      name: 'checkpoint save (full): time',
      unit: 'ms',
      ours: fullSave,
      baseline: median(saveBase),
      baselineLabel: 'tar|zstd -3',
      target: { compare: 'ratio', limit: 1.3 },
      samples: { ours: saveOurs, baseline: saveBase },
      notes: [
        'ours = createCheckpoint (git status + bundle of the agent commits, every changed/untracked file and results/ read once, scanned for one secret, packed or chunked, zstd -3 on the thread pool, sha256) + LocalStore.save into an empty store; baseline = tar of every work-tree file (tracked and untracked) and results/ through zstd -3',
        `CPU time (median; the wall-clock ratio moves with the machine's load): ours ${formatMs(median(cpuOurs))} (this process, every thread; git not counted), baseline ${formatMs(median(cpuBase))} (tar + zstd), ${(median(cpuOurs) / Math.max(1, median(cpuBase))).toFixed(2)}×`,
        ...warnings,
      ],
    },
    { id: '1b', name: 'checkpoint save (full): size', unit: 'bytes', ours: oursSize, baseline: baseSize, baselineLabel: 'tar|zstd -3', target: { compare: 'ratio', limit: 1.1 } },
    {
      id: '2',
      name: 'restore into a fresh clone',
      unit: 'ms',
      ours: median(restoreOursMs),
      baseline: median(restoreBaseMs),
      baselineLabel: 'zstd -d|tar -x',
      target: { compare: 'ratio', limit: 1.1 },
      samples: { ours: restoreOursMs, baseline: restoreBaseMs },
      notes: ['ours = restoreLatest (link the objects, sha256 of every object alongside the git checks, checks against the target tree, unbundle + read-tree, packs decoded once a few ahead of the writer, files written synchronously); both into a fresh clone at the base commit'],
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
    { id: '3b', name: 'no-change check vs full save', unit: 'ms', ours: median(fingerprintMs), baseline: fullSave, baselineLabel: 'our full save', target: { compare: 'ratio', limit: 0.1 } },
    {
      id: '4a',
      name: 'save after 10 files changed: time',
      unit: 'ms',
      ours: median(incremental),
      baseline: fullSave,
      baselineLabel: 'our full save',
      target: { compare: 'ratio', limit: 0.05 },
      samples: { ours: incremental, baseline: saveOurs },
      notes: [
        'unchanged files are known by their stat (device, inode, size, mode, mtime, ctime in ns) from the previous save; only the 10 changed files are read, and the two appended logs are read whole to check the CRC-32 of every chunk and of the tail stored before (about 20 MB), then only the bytes appended since are scanned, hashed and packed',
        `CPU time (median): ${formatMs(median(incrementalCpu))}, ${(median(incrementalCpu) / Math.max(1, median(cpuOurs))).toFixed(3)}× a full save's`,
        `no-change check + save, as at a turn boundary (alternating, median): ${formatMs(median(shared))} with the check's status shared, ${formatMs(median(separate))} with a second status in the save`,
      ],
    },
    { id: '4b', name: 'save after 10 files changed: bytes stored', unit: 'bytes', ours: median(incrementalBytes), baseline: oursSize, baselineLabel: 'one full checkpoint', target: { compare: 'ratio', limit: 0.01 } },
    {
      id: '4c',
      name: 'lineage of 5 checkpoints, 10% changing',
      unit: 'bytes',
      ours: objectBytes,
      baseline: first.sizeBytes,
      baselineLabel: 'one full checkpoint',
      target: { compare: 'ratio', limit: 1.5 },
      notes: [`${formatBytes(changed)} of outputs rewritten or appended over 4 rounds; the store folder (hard links counted per link) is ${formatBytes(lineageBytes)}`],
    },
    {
      id: '4d',
      name: '1 GB outputs: peak RSS of a save',
      unit: 'MB',
      ours: big.saveRssBytes / MB,
      baseline: 200,
      baselineLabel: 'target',
      target: { compare: 'value', limit: 200, strict: true },
      notes: [`save ${formatMs(big.saveMs)}, restore ${formatMs(big.restoreMs)}, ${formatBytes(big.storedBytes)} stored`],
    },
    { id: '4e', name: '1 GB outputs: peak RSS of save + restore', unit: 'MB', ours: big.maxRssBytes / MB, baseline: 200, baselineLabel: 'target', target: { compare: 'value', limit: 200, strict: true } },
  ];
  return {
    rows,
    facts: [...ws.facts, `baseline archive: ${present.length + outputs.length} files; checkpoint: ${formatBytes(oursSize)}, baseline: ${formatBytes(baseSize)}`],
    profile: () => checkpointProfile(setup),
  };
}

/** The parts of a save and of a restore, timed on their own with the same inputs, and the compressor alone. */
async function checkpointProfile(setup: Setup): Promise<string[]> {
  const { ws } = setup;
  const needles = secretNeedles(SECRETS);
  const lines: string[] = [];
  const step = async <T>(label: string, body: () => Promise<T>): Promise<T> => {
    const { ms, value } = await timed(body);
    lines.push(`  ${label.padEnd(66)} ${formatMs(ms).padStart(9)}`);
    return value;
  };
  const dir = await mkdtemp(path.join(setup.root, 'profile-'));
  try {
    lines.push('full save, step by step:');
    const scratch = path.join(dir, 'scratch');
    await mkdir(scratch);
    const snapshot = await step('snapshotWorkspace: git status, secret scan of commits, bundle', () =>
      snapshotWorkspace({ workspace: ws.work, baseCommit: ws.base, bundleFile: path.join(dir, 'a.bundle'), tempDir: scratch, needles }),
    );
    const expanded = await step('expandCheckpointPaths (walk results/)', () => expandCheckpointPaths(ws.work, ws.checkpointPaths));
    const stats = { files: 0, bytesRead: 0, bytesNew: 0, objectsNew: 0 };
    const context = { objects: new ObjectFolder(path.join(dir, 'objects')), needles, cache: new StatCache('x'), stats };
    await step(`storeTree of the ${snapshot.changes.length} work-tree changes (read, scan, pack, zstd, write)`, () => storeTree(context, snapshot.top, snapshot.changes));
    await step('storeTree of results/ (read, scan, chunk, zstd, write)', () => storeTree(context, ws.work, expanded.entries));
    await step('  same again, every object already present (read, scan, zstd, sha256)', () => storeTree(context, ws.work, expanded.entries));
    const zstdBytes = await step('  for comparison: tar -cf - results | zstd -3', async () => Number((await sh(`tar -cf - results | zstd -3 -q -T1 | wc -c`, { cwd: ws.work })).stdout.trim()));
    await step('  for comparison: tar -cf - results > /dev/null (no compression)', () => sh(`tar -cf - results | cat > /dev/null`, { cwd: ws.work }));
    lines.push(`  stored: ${formatBytes(stats.bytesNew)} in ${stats.objectsNew} objects (results/ through zstd -3: ${formatBytes(zstdBytes)}); baseline .tar.zst ${formatBytes((await stat(setup.archive)).size)}`);

    lines.push('restore, step by step:');
    await freshLineage(setup, 'profile');
    await save(setup, 1);
    const [ref] = await setup.store.list(LINEAGE);
    if (ref === undefined) throw new Error('no checkpoint in the store');
    const fetched = path.join(dir, 'fetched');
    await step('LocalStore.fetch (hard links)', () => setup.store.fetch(ref, fetched));
    await step('readValidManifest (sha256 of every object)', () => readValidManifest(fetched, LINEAGE));
    const clone = await freshClone(setup, 'restore-profile');
    await step('restoreLatest, all of it', () => restoreOurs(setup, clone));
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
