// `durable-agent checkpoints list|show|restore|prune` and `durable-agent checkpoint`, on checkpoints
// the real action took while the real Claude Code worked through a scripted task.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest, type CheckpointManifest } from '../../src/checkpoint/index.js';
import { cliHome } from '../../src/home-layout.js';
import { readRunContext } from '../../src/run-context.js';
import { startActionsEmulator, type ActionsEmulator } from '../support/actions-emulator.js';
import { startModelApi, type ModelApi } from '../support/model-api.js';
import { agentTestEnv, CLAUDE, hostEnvironment, REPO_ROOT, runAction, type ActionResult } from '../support/run-action.js';
import { createWorkspace, type Workspace } from '../support/workspace.js';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const STEPS = 5;
const KEY = /^[0-9a-f]{16}\/\d{6}$/;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { cwd: options.cwd, env: options.env ?? hostEnvironment() });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

interface JsonRow {
  lineageHash: string;
  lineage: { repository: string; checkpointId: string; runId: string } | null;
  key: string;
  sequence: number;
  attempt: number | null;
  createdAt: string | null;
  sizeBytes: number | null;
  store: string;
}

/** The work tree's files (not .git) with their contents, to compare two checkouts. */
function tree(root: string, dir = ''): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(path.join(root, dir))) {
    if (dir === '' && name === '.git') continue;
    const rel = path.join(dir, name);
    if (statSync(path.join(root, rel)).isDirectory()) Object.assign(files, tree(root, rel));
    else files[rel] = readFileSync(path.join(root, rel), 'utf8');
  }
  return files;
}

function manifestAt(store: string, key: string): CheckpointManifest {
  const parsed = parseManifest(readFileSync(path.join(store, ...key.split('/'), 'manifest.json'), 'utf8'));
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.manifest;
}

const baseInputs = {
  agent: 'claude',
  prompt: 'Work through the task step by step.',
  anthropic_api_key: 'sk-test',
  path_to_claude_code_executable: CLAUDE,
  claude_args: '--allowedTools Bash',
  checkpoint_store: 'local',
  checkpoint_min_gap: '0s',
  checkpoint_interval: '1h',
  keep_checkpoints: '50',
};

// The lineage the action's checkpoints belong to, as a run in Actions would see it.
const ACTION_LINEAGE_ENV = { GITHUB_REPOSITORY: 'octo/demo', GITHUB_WORKFLOW: 'agent', GITHUB_JOB: 'agent', GITHUB_RUN_ID: '1001' };

describe('durable-agent checkpoints (CLI) on checkpoints the action took', () => {
  let ws: Workspace;
  let api: ModelApi;
  let store: string;
  let action: ActionResult;
  let rows: JsonRow[];
  let base: string;
  let counter = 0;
  const scratch = (name: string): string => path.join(ws.root, `${name}-${++counter}`);

  beforeAll(async () => {
    ws = await createWorkspace();
    // Experiment outputs: ignored by git, kept through checkpoint_paths.
    writeFileSync(path.join(ws.repo, '.gitignore'), 'results/\n');
    await ws.git('add', '-A');
    await ws.git('commit', '-q', '-m', 'ignore results');
    base = (await ws.git('rev-parse', 'HEAD')).trim();
    mkdirSync(path.join(ws.repo, 'results'));
    writeFileSync(path.join(ws.repo, 'results', 'metrics.json'), '{"loss": 0.25}\n');
    store = path.join(ws.root, 'checkpoints');
    api = await startModelApi({ script: { steps: STEPS } });
    action = await runAction(ws, { ...baseInputs, checkpoint_dir: store, checkpoint_paths: 'results/**' }, { env: agentTestEnv(ws, api.url) });
    expect(action.outputs.conclusion, action.stdout.slice(-5000)).toBe('success');
    const listed = await cli(['checkpoints', 'list', '--checkpoint-dir', store, '--all', '--json'], { cwd: ws.repo });
    expect(listed.code, listed.stderr).toBe(0);
    rows = JSON.parse(listed.stdout) as JsonRow[];
  }, 240_000);

  afterAll(async () => {
    await api.close();
    await ws.dispose();
  });

  it('lists every checkpoint of the store with --all: sequences, sizes, keys', async () => {
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(Number(action.outputs.checkpoints_saved)).toBe(rows.length);
    const sequences = rows.map((row) => row.sequence);
    expect(sequences).toEqual([...sequences].sort((a, b) => b - a));
    expect(new Set(sequences).size).toBe(rows.length);
    for (const row of rows) {
      expect(row.key).toMatch(KEY);
      expect(row.store).toBe('local');
      expect(row.attempt).toBe(1);
      expect(row.lineage?.repository).toBe('octo/demo');
      const folder = path.join(store, ...row.key.split('/'));
      // The manifest and the objects it links to (each stored once in the lineage, linked per checkpoint).
      const objects = path.join(folder, 'objects');
      const bytes = statSync(path.join(folder, 'manifest.json')).size + readdirSync(objects).reduce((sum, name) => sum + statSync(path.join(objects, name)).size, 0);
      expect(row.sizeBytes).toBe(bytes);
    }
    expect(action.outputs.checkpoint_key).toBe(rows[0]?.key);

    const text = await cli(['checkpoints', 'list', '--checkpoint-dir', store, '--all'], { cwd: ws.repo });
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines.find((line) => line.startsWith('LINEAGE'))).toMatch(/^LINEAGE\s+SEQ\s+TIME\s+SIZE\s+ATTEMPT\s+STORE\s+KEY$/);
    for (const row of rows) {
      const line = lines.find((candidate) => candidate.endsWith(row.key));
      expect(line, text.stdout).toMatch(new RegExp(`^${row.lineageHash.slice(0, 8)} agent run 1001\\s+${row.sequence}\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ\\s+[\\d.]+ (B|KiB|MiB)\\s+1\\s+local\\s+`));
    }
    expect(text.stdout).toContain(`${rows[0]?.lineageHash ?? '?'}  octo/demo / agent / agent / agent / run 1001`);
  });

  it("lists this job's lineage without --all, the way a run here would find it", async () => {
    const env = { ...hostEnvironment(), ...ACTION_LINEAGE_ENV };
    const mine = await cli(['checkpoints', 'list', '--checkpoint-dir', store, '--json'], { cwd: ws.repo, env });
    expect(mine.code, mine.stderr).toBe(0);
    expect((JSON.parse(mine.stdout) as JsonRow[]).map((row) => row.key)).toEqual(rows.map((row) => row.key));

    const other = await cli(['checkpoints', 'list', '--checkpoint-dir', store, '--checkpoint-id', 'other'], { cwd: ws.repo, env });
    expect(other.code, other.stderr).toBe(0);
    expect(other.stdout).toMatch(/^No checkpoints of lineage octo\/demo \/ agent \/ agent \/ other \/ run 1001/);
    // Outside Actions the lineage is the local checkout's: the action's are not it.
    const local = await cli(['checkpoints', 'list', '--checkpoint-dir', store], { cwd: ws.repo });
    expect(local.stdout).toContain(`No checkpoints of lineage local:${ws.repo} / local / local / agent / run local`);
  });

  it('shows a manifest: lineage, sequence, attempt, session, base/head/branch, files with sizes', async () => {
    const newest = rows[0];
    if (!newest) throw new Error('no checkpoint');
    const manifest = manifestAt(store, newest.key);
    const shown = await cli(['checkpoints', 'show', newest.key, '--checkpoint-dir', store], { cwd: ws.repo });
    expect(shown.code, shown.stderr).toBe(0);
    const out = shown.stdout;
    expect(out).toContain(`Checkpoint ${newest.key} (local store, ${path.join(store, ...newest.key.split('/'))})`);
    expect(out).toMatch(new RegExp(`^Lineage:\\s+octo/demo / agent / agent / agent / run 1001 \\(hash ${newest.lineageHash}\\)$`, 'm'));
    expect(out).toMatch(new RegExp(`^Sequence:\\s+${newest.sequence}$`, 'm'));
    expect(out).toMatch(/^Run attempt:\s+1$/m);
    expect(out).toMatch(/^Agent:\s+claude$/m);
    expect(manifest.sessionId).toMatch(/\S/);
    expect(out).toMatch(new RegExp(`^Session:\\s+${manifest.sessionId ?? 'none'}$`, 'm'));
    expect(out).toMatch(new RegExp(`^Base:\\s+${base}$`, 'm'));
    expect(out).toMatch(new RegExp(`^Head:\\s+${manifest.workspace.head} on branch main$`, 'm'));
    expect(out).toMatch(/^Paths:\s+results\/\*\*$/m);
    expect(out).toMatch(/^Totals:\s+\$\d+\.\d{4}, \d+ turns$/m);
    expect(out).toMatch(/^Attempts \(1\):\n {2}run attempt 1, attempt 1 \(fresh\): success/m);
    for (const area of manifest.areas) expect(out).toMatch(new RegExp(`^ {2}${area.role}\\s+${area.files} files\\s+[\\d.]+ (B|KiB|MiB)\\s+listing ${area.tree.slice(0, 16)}`, 'm'));
    expect(out).toMatch(/^Check:\s+ok/m);

    const raw = await cli(['checkpoints', 'show', newest.key, '--checkpoint-dir', store, '--json'], { cwd: ws.repo });
    expect(raw.code).toBe(0);
    expect(raw.stdout).toBe(readFileSync(path.join(store, ...newest.key.split('/'), 'manifest.json'), 'utf8'));
  });

  it('restores the newest checkpoint into a new folder: a clone at base, then the work tree the action ended with', async () => {
    const newest = rows[0];
    if (!newest) throw new Error('no checkpoint');
    const manifest = manifestAt(store, newest.key);
    const into = scratch('restored');
    const restored = await cli(['checkpoints', 'restore', newest.key, '--into', into, '--checkpoint-dir', store, '--extra-dir', scratch('extra')], { cwd: ws.repo });
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain(`Cloned ${ws.repo} into ${into} at the base commit ${base.slice(0, 12)}`);
    expect(restored.stdout).toContain(`Restored checkpoint ${newest.key} (sequence ${newest.sequence}, run attempt 1`);
    expect(restored.stdout).toMatch(/experiment outputs: results\/\*\* into /);
    expect(restored.stdout).toMatch(/agent state: not restored \(give --agent-state DIR\)/);
    expect(tree(into)).toEqual(tree(ws.repo));
    expect(readFileSync(path.join(into, 'progress.txt'), 'utf8').split('\n').filter(Boolean)).toEqual(Array.from({ length: STEPS }, (_, i) => `step-${i + 1}`));
    expect(readFileSync(path.join(into, 'results', 'metrics.json'), 'utf8')).toBe('{"loss": 0.25}\n');
    const git = (...args: string[]) => promisify(execFile)('git', ['-C', into, ...args]).then(({ stdout }) => stdout.trim());
    expect(await git('rev-parse', 'HEAD')).toBe(manifest.workspace.head);
    expect(await git('symbolic-ref', 'HEAD')).toBe('refs/heads/main');
  });

  it('refuses an unsigned checkpoint when DURABLE_AGENT_SIGNING_KEY is set, and writes nothing', async () => {
    const newest = rows[0];
    if (!newest) throw new Error('no checkpoint');
    const into = scratch('signed');
    const env = { ...hostEnvironment(), DURABLE_AGENT_SIGNING_KEY: 'a-signing-key-of-32-characters!!' };
    const refused = await cli(['checkpoints', 'restore', newest.key, '--into', into, '--checkpoint-dir', store, '--extra-dir', scratch('extra')], { cwd: ws.repo, env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refused: .*sign/i);
    expect(existsSync(path.join(into, 'progress.txt'))).toBe(false);
  });

  it('restores an older checkpoint with the progress it had then, and only with --agent-state the agent state', async () => {
    const final = readFileSync(path.join(ws.repo, 'progress.txt'), 'utf8');
    const older = [...rows].reverse().find((row) => row.sequence < (rows[0]?.sequence ?? 0) && manifestAt(store, row.key).workspace.changes !== null);
    if (!older) throw new Error(`no older checkpoint with progress among ${rows.map((row) => row.key).join(', ')}`);
    const into = scratch('older');
    const stateDir = scratch('state');
    // A sequence number names a checkpoint of this job's lineage.
    const restored = await cli(['checkpoints', 'restore', String(older.sequence), '--checkpoint-dir', store, '--into', into, '--agent-state', stateDir, '--extra-dir', scratch('extra')], {
      cwd: ws.repo,
      env: { ...hostEnvironment(), ...ACTION_LINEAGE_ENV },
    });
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain(`Restored checkpoint ${older.key} (sequence ${older.sequence}`);
    expect(restored.stdout).toContain(`agent state: ${stateDir}`);
    const progress = readFileSync(path.join(into, 'progress.txt'), 'utf8');
    // An older checkpoint holds a prefix of the final progress (all of it when the agent was
    // already done by the time that checkpoint was taken: saves trail the agent).
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.length).toBeLessThanOrEqual(final.length);
    expect(final.startsWith(progress)).toBe(true);
    expect(readdirSync(stateDir).length).toBeGreaterThan(0);
  });

  it('restores into the current checkout, refusing to overwrite uncommitted work unless --force', async () => {
    const checkout = scratch('checkout');
    await promisify(execFile)('git', ['clone', '-q', ws.repo, checkout]);
    writeFileSync(path.join(checkout, 'mine.txt'), 'uncommitted\n');
    const newest = rows[0]?.key ?? '';
    const refused = await cli(['checkpoints', 'restore', newest, '--checkpoint-dir', store, '--extra-dir', scratch('extra')], { cwd: checkout });
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(
      `durable-agent: ${checkout} has uncommitted changes the restore would overwrite (1 path(s), such as mine.txt): commit or stash them, restore --into a new folder, or give --force`,
    );
    expect(existsSync(path.join(checkout, 'progress.txt'))).toBe(false);
    const forced = await cli(['checkpoints', 'restore', newest, '--checkpoint-dir', store, '--extra-dir', scratch('extra'), '--force'], { cwd: checkout });
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(path.join(checkout, 'progress.txt'), 'utf8')).toBe(readFileSync(path.join(ws.repo, 'progress.txt'), 'utf8'));
  });

  it('refuses a corrupt checkpoint with the reason, and creates nothing', async () => {
    const copy = scratch('corrupt-store');
    cpSync(store, copy, { recursive: true });
    const newest = rows[0]?.key ?? '';
    // The largest object of the newest checkpoint (cpSync copied the hard links as separate files).
    const objects = path.join(copy, ...newest.split('/'), 'objects');
    const largest = readdirSync(objects).sort((a, b) => statSync(path.join(objects, b)).size - statSync(path.join(objects, a)).size)[0] ?? '';
    const bytes = readFileSync(path.join(objects, largest));
    const at = Math.floor(bytes.length / 2);
    bytes[at] = (bytes[at] ?? 0) ^ 0xff;
    writeFileSync(path.join(objects, largest), bytes);

    const into = scratch('never');
    const restored = await cli(['checkpoints', 'restore', newest, '--into', into, '--checkpoint-dir', copy], { cwd: ws.repo });
    expect(restored.code).toBe(1);
    expect(restored.stderr.trim()).toBe(`durable-agent: cannot restore checkpoint ${newest}: refused: object ${largest.slice(0, 12)}… does not match its sha256 (integrity)`);
    expect(existsSync(into)).toBe(false);

    const shown = await cli(['checkpoints', 'show', newest, '--checkpoint-dir', copy], { cwd: ws.repo });
    expect(shown.code).toBe(1);
    expect(shown.stdout).toMatch(/^Check:\s+FAILED: object [0-9a-f]{12}… does not match its sha256 \(integrity\)$/m);
  });

  it('prunes to the newest N of every lineage', async () => {
    const copy = scratch('prune-store');
    cpSync(store, copy, { recursive: true });
    const dry = await cli(['checkpoints', 'prune', '--keep', '2', '--all', '--dry-run', '--checkpoint-dir', copy], { cwd: ws.repo });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`would delete ${rows.length - 2} of ${rows.length} checkpoint(s)`);
    const pruned = await cli(['checkpoints', 'prune', '--keep', '2', '--all', '--checkpoint-dir', copy], { cwd: ws.repo });
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toContain(`deleted ${rows.length - 2} of ${rows.length} checkpoint(s); kept 2: sequence ${rows[0]?.sequence ?? '?'}, ${rows[1]?.sequence ?? '?'}`);
    const listed = await cli(['checkpoints', 'list', '--all', '--json', '--checkpoint-dir', copy], { cwd: ws.repo });
    expect((JSON.parse(listed.stdout) as JsonRow[]).map((row) => row.key)).toEqual(rows.slice(0, 2).map((row) => row.key));
    expect(readdirSync(path.join(copy, rows[0]?.lineageHash ?? '')).sort()).toEqual([...rows.slice(0, 2).map((row) => row.key.split('/')[1] ?? ''), 'objects'].sort());
  });

  it('says clearly what is wrong with a key or a flag', async () => {
    const malformed = await cli(['checkpoints', 'show', 'not-a-key', '--checkpoint-dir', store], { cwd: ws.repo });
    expect(malformed.code).toBe(2);
    expect(malformed.stderr.trim().split('\n')).toHaveLength(1);
    expect(malformed.stderr).toMatch(/^durable-agent: 'not-a-key' is not a checkpoint key: give <lineage hash>\/<sequence>/);

    const missing = await cli(['checkpoints', 'restore', '0123456789abcdef/000042', '--checkpoint-dir', store], { cwd: ws.repo });
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(`durable-agent: no checkpoint 0123456789abcdef/000042 in the local store ${store}`);

    for (const [args, message] of [
      [['list', '--store', 's3'], "--store: 's3' is not one of local, cache, artifact"],
      [['list', '--store', 'cache'], "--store: 'cache' can only be reached from inside a GitHub Actions job (GITHUB_ACTIONS=true and ACTIONS_RUNTIME_TOKEN set)"],
      [['prune', '--all'], '--keep: required (how many of the newest checkpoints to keep)'],
      [['prune', '--keep', 'two'], "--keep: 'two' is not a whole number from 0 to 999999"],
      [['list', '--checkpoint-id', 'a b'], "--checkpoint-id: 'a b' is not made of letters, digits, . _ - (at most 100)"],
      [['show'], 'checkpoints show: give the checkpoint KEY (as `checkpoints list` prints it)'],
      [['frobnicate'], "checkpoints: unknown command 'frobnicate' (one of list, show, restore, prune)"],
    ] as const) {
      const result = await cli(['checkpoints', ...args], { cwd: ws.repo });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.trim()).toBe(`durable-agent: ${message}`);
    }
    const unknownFlag = await cli(['checkpoints', 'list', '--bogus'], { cwd: ws.repo });
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknownFlag.stderr).toContain("'--bogus'");

    const notRepo = await cli(['checkpoints', 'restore', rows[0]?.key ?? '', '--into', scratch('x'), '--checkpoint-dir', store], { cwd: ws.root });
    expect(notRepo.code).toBe(1);
    expect(notRepo.stderr).toMatch(/a clone of the repository is needed, and .* is not in a git checkout/);
  });

  it('prints help for each command', async () => {
    for (const [args, flags] of [
      [['checkpoints', '--help'], ['list', 'show KEY', 'restore KEY', 'prune --keep N', '--store', '--checkpoint-dir']],
      [['checkpoints', 'list', '--help'], ['--all', '--json', '--store', '--checkpoint-dir', '--checkpoint-id', '--home']],
      [['checkpoints', 'show', '--help'], ['--json', 'KEY']],
      [['checkpoints', 'restore', '--help'], ['--into', '--agent-state', '--extra-dir', '--force']],
      [['checkpoints', 'prune', '--help'], ['--keep', '--all', '--dry-run']],
      [['checkpoint', '--help'], ['DURABLE_AGENT_CHECKPOINT_REQUEST']],
      [['--help'], ['checkpoints', 'checkpoint', 'run']],
    ] as const) {
      const result = await cli([...args], { cwd: ws.repo });
      expect(result.code, args.join(' ')).toBe(0);
      for (const flag of flags) expect(result.stdout, args.join(' ')).toContain(flag);
    }
  });
});

describe('durable-agent checkpoint', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await createWorkspace();
  });
  afterAll(async () => {
    await ws.dispose();
  });

  it('creates the request file the environment names, and prints one line', async () => {
    const file = path.join(ws.root, 'checkpoint-request');
    const result = await cli(['checkpoint'], { cwd: ws.repo, env: { ...hostEnvironment(), DURABLE_AGENT_CHECKPOINT_REQUEST: file } });
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(file)).toBe(true);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(result.stdout).toMatch(/^Checkpoint requested/);
  });

  it('fails with exit 2 outside durable-agent', async () => {
    const result = await cli(['checkpoint'], { cwd: ws.repo });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe('durable-agent: checkpoint: DURABLE_AGENT_CHECKPOINT_REQUEST is not set; run this from inside an agent that durable-agent started');
  });

  it('asks the running action for a checkpoint when the agent runs it', async () => {
    // The scripted step's command is `echo step-N >> <markFile>`: the mark file's name carries the
    // request, so the agent itself runs `durable-agent checkpoint` after each step.
    const api = await startModelApi({ script: { steps: 2, markFile: `progress.txt && node ${CLI} checkpoint` } });
    try {
      // With a long gap, only a request (or the end) takes a checkpoint during the run.
      const result = await runAction(ws, { ...baseInputs, checkpoint_dir: path.join(ws.root, 'store'), checkpoint_min_gap: '1h' }, { env: agentTestEnv(ws, api.url) });
      expect(result.outputs.conclusion, result.stdout.slice(-5000)).toBe('success');
      expect(await ws.marks()).toEqual(['step-1', 'step-2']);
      expect(result.stdout).toMatch(/Checkpoint \d+ saved \(requested by the agent\)/);
    } finally {
      await api.close();
    }
  });
});

describe('durable-agent checkpoints inside Actions (cache and artifact stores, emulated)', () => {
  let ws: Workspace;
  let api: ModelApi;
  let actions: ActionsEmulator;
  beforeAll(async () => {
    ws = await createWorkspace();
    api = await startModelApi({ script: { steps: 3 } });
    actions = await startActionsEmulator({ repository: 'octo/demo' });
  });
  afterAll(async () => {
    await api.close();
    await actions.close();
    await ws.dispose();
  });

  it('lists, shows and restores what the action saved, by default from the cache and artifacts', async () => {
    // A run id of its own: the cache staging folder is named after the lineage, shared by tests running at once.
    const runId = 200_000 + Math.floor(Math.random() * 800_000);
    const jobEnv = (): Record<string, string> => ({ ...actions.clientEnv({ runId, attempt: 1, workflow: 'agent', job: 'agent' }) });
    const result = await runAction(ws, { ...baseInputs, checkpoint_store: 'both' }, { env: { ...agentTestEnv(ws, api.url), ...jobEnv() } });
    expect(result.outputs.conclusion, result.stdout.slice(-5000)).toBe('success');
    // A later step of the same job.
    const env = { ...hostEnvironment(), ...jobEnv(), GITHUB_ACTIONS: 'true', RUNNER_TEMP: ws.runnerTemp };

    const listed = await cli(['checkpoints', 'list', '--json'], { cwd: ws.repo, env });
    expect(listed.code, listed.stderr).toBe(0);
    const rows = JSON.parse(listed.stdout) as JsonRow[];
    const cacheRows = rows.filter((row) => row.store === 'cache');
    const artifactRows = rows.filter((row) => row.store === 'artifact');
    expect(cacheRows.length).toBeGreaterThanOrEqual(1);
    expect(cacheRows[0]?.key).toMatch(/^durable-agent-v2-[0-9a-f]{16}-m-\d{6}$/);
    // Only the job's last checkpoint becomes an artifact (artifact_every_checkpoint is off).
    expect(artifactRows.map((row) => row.key)).toEqual([`durable-agent-agent-a1-${String(cacheRows[0]?.sequence).padStart(6, '0')}`]);
    expect(artifactRows[0]?.sizeBytes).toBeGreaterThan(0);

    const table = await cli(['checkpoints', 'list'], { cwd: ws.repo, env });
    expect(table.stdout).toMatch(/in the cache store and the artifact store:/);

    const shown = await cli(['checkpoints', 'show', cacheRows[0]?.key ?? ''], { cwd: ws.repo, env });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`^Sequence:\\s+${cacheRows[0]?.sequence ?? '?'}$`, 'm'));
    expect(shown.stdout).toMatch(/^Check:\s+ok/m);
    const fromArtifact = await cli(['checkpoints', 'show', artifactRows[0]?.key ?? '', '--json'], { cwd: ws.repo, env });
    expect(fromArtifact.code, fromArtifact.stderr).toBe(0);
    expect(fromArtifact.stdout).toContain('"schemaVersion": 2');

    const into = path.join(ws.root, 'restored');
    const restored = await cli(['checkpoints', 'restore', 'latest', '--into', into, '--extra-dir', path.join(ws.root, 'extra')], { cwd: ws.repo, env });
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain(`Restored checkpoint ${cacheRows[0]?.key ?? '?'}`);
    expect(tree(into)).toEqual(tree(ws.repo));

    const local = await cli(['checkpoints', 'list', '--all'], { cwd: ws.repo, env });
    expect(local.code).toBe(2);
    expect(local.stderr.trim()).toBe('durable-agent: --all: only the local store can list every lineage (the cache and artifact stores work one lineage at a time)');
  });
});

describe('durable-agent checkpoints after durable-agent run, with no flags', () => {
  let ws: Workspace;
  let api: ModelApi;
  /** The same user for the run and the commands after it: the default home follows HOME. */
  const userEnv = (): Record<string, string> => ({ ...hostEnvironment(), HOME: ws.home });
  beforeAll(async () => {
    ws = await createWorkspace();
    api = await startModelApi({ script: { steps: 2 } });
  });
  afterAll(async () => {
    await api.close();
    // `run` and these commands share the default home in the user's state folder (under ws.home here).
    rmSync(cliHome(ws.repo, readRunContext(userEnv()).user), { recursive: true, force: true });
    await ws.dispose();
  });

  it('finds what the run saved where the run put it, and names the latest by sequence', async () => {
    const env = { ...hostEnvironment(), ...agentTestEnv(ws, api.url), ANTHROPIC_API_KEY: 'sk-cli-test' };
    const run = await cli(['run', '--prompt', 'Do the task.', '--checkpoint-min-gap', '0s', '--', '--allowedTools', 'Bash'], { cwd: ws.repo, env });
    expect(run.code, run.stderr).toBe(0);
    const key = /^checkpoint_key=(\S+)$/m.exec(run.stdout)?.[1];
    expect(key).toMatch(KEY);

    const listed = await cli(['checkpoints', 'list'], { cwd: ws.repo, env: userEnv() });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(`Checkpoints of lineage local:${ws.repo} / local / local / agent / run local`);
    expect(listed.stdout).toContain(`in the local store ${path.join(cliHome(ws.repo, readRunContext(userEnv()).user), 'durable-agent', 'checkpoints')}:`);
    expect(listed.stdout).toContain(key);

    const latest = await cli(['checkpoints', 'show', 'latest'], { cwd: ws.repo, env: userEnv() });
    expect(latest.code, latest.stderr).toBe(0);
    expect(latest.stdout.split('\n')[0]).toMatch(new RegExp(`^Checkpoint ${key ?? '?'} \\(local store, `));
  });
});
