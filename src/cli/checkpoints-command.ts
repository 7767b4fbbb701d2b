// `durable-agent checkpoints list|show|restore|prune`: the checkpoints a run kept, for a person.
// Where they are and which lineage is "this folder's" follow `durable-agent run` (and, inside
// Actions, the action), so that the defaults find what a run in the same place saved.
import { lstat, mkdir, mkdtemp, readdir, readFile, realpath, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { defaultHome } from './home.js';
import { parseArgs } from 'node:util';
import {
  CheckpointRejected,
  LocalStore,
  MANIFEST_FILE,
  formatSequence,
  lineageHash,
  newestFirst,
  parseManifest,
  parseSequenceLabel,
  readValidManifest,
  restoreCheckpoint,
  type CheckpointManifest,
  type CheckpointRef,
  type Lineage,
  type Store,
} from '../checkpoint/index.js';
import { git, gitSucceeds } from '../checkpoint/exec.js';
import { checkpointHooks, lineageFor } from '../checkpoint/job.js';
import { describeCheckpointFolder } from '../checkpoint/local-store.js';
import { createStoreSet } from '../checkpoint/store-set.js';
import { terminalLog } from '../report/log.js';
import { formatBytes } from '../report/summary.js';
import { formatDuration } from '../settings/duration.js';
import { readSettings, SettingsError, type Settings } from '../settings/settings.js';

/** A failure that is not the caller's typing: one line on stderr, exit 1. */
export class CommandFailed extends Error {
  override name = 'CommandFailed';
}

const STORE_CHOICES = ['local', 'cache', 'artifact'] as const;
type StoreChoice = (typeof STORE_CHOICES)[number] | 'both';

const WHERE_HELP = `Where to look (every command):
  --store local|cache|artifact      default: the Actions cache and artifacts inside a GitHub Actions
                                    job (GITHUB_ACTIONS=true and ACTIONS_RUNTIME_TOKEN set), else local
  --checkpoint-dir DIR              the local store (default: <home>/durable-agent/checkpoints, as run)
  --checkpoint-id ID                the lineage's id (default as run: the job, else "agent")
  --resume-from run|branch          the lineage of this run or of the branch (default run)
  --working-directory DIR           the folder run worked in (default: current folder)
  --home DIR                        run's --home (default: a folder per working directory in the
                                    OS temp folder)
  -h, --help                        this help`;

const KEY_HELP = `KEY is what \`checkpoints list\` prints: <lineage hash>/<sequence> in the local store, the cache
key, or the artifact name; or a sequence number or "latest" of this folder's lineage.`;

export const CHECKPOINTS_HELP = `Usage: durable-agent checkpoints <command> [options]

The checkpoints durable-agent keeps (workspace, experiment outputs, agent state): look at them,
restore one to look at or continue by hand, delete old ones.

Commands:
  list               checkpoints of this folder's lineage (--all: every lineage in the local store)
  show KEY           one checkpoint's manifest and files
  restore KEY        a checkpoint's workspace, experiment outputs and extra folder
  prune --keep N     delete all but the newest N checkpoints

${KEY_HELP}

${WHERE_HELP}

\`durable-agent checkpoints <command> --help\` tells each command's options.
Exit status: 0 on success, 1 when it failed, 2 for bad arguments.`;

export const LIST_HELP = `Usage: durable-agent checkpoints list [--all] [--json] [options]

Lists checkpoints, newest first: lineage (short hash, checkpoint id, run), sequence, time (UTC),
size, run attempt, store and key. Without --all, only the lineage a run here would resume.

Options:
  --all                             every lineage in the local store folder
  --json                            one JSON array instead of the table

${WHERE_HELP}`;

export const SHOW_HELP = `Usage: durable-agent checkpoints show KEY [--json] [options]

Prints one checkpoint's manifest (lineage, sequence, attempt, time, agent, session, base/head/branch,
totals, attempt history) and its files with sizes, and checks the files against the manifest.

${KEY_HELP}

Options:
  --json                            the manifest.json as stored

${WHERE_HELP}

Exit status: 1 also when a file does not match the manifest (the checkpoint would be refused).`;

export const RESTORE_HELP = `Usage: durable-agent checkpoints restore KEY [--into DIR] [options]

Restores a checkpoint's workspace (HEAD and branch at the agent's commit, the work tree as it was,
untracked files included), experiment outputs and extra folder, after checking every file against
the manifest. A checkpoint that fails a check is refused and nothing is changed.

${KEY_HELP}

Options:
  --into DIR                        restore into DIR instead of the current checkout; an empty or
                                    new DIR first becomes a clone of the current repository at the
                                    checkpoint's base commit
  --agent-state DIR                 also restore the agent's state (its sessions) into DIR
  --extra-dir DIR                   where the extra folder ($DURABLE_AGENT_CHECKPOINT_DIR) goes
                                    (default: where run would give it to an agent working there)
  --force                           restore into a checkout with uncommitted changes, or move a
                                    branch that has commits the checkpoint lacks

${WHERE_HELP}`;

export const PRUNE_HELP = `Usage: durable-agent checkpoints prune --keep N [--all] [--dry-run] [options]

Deletes all but the newest N checkpoints of this folder's lineage (--all: of every lineage in the
local store). The artifact store deletes only artifacts of the current run attempt.

Options:
  --keep N                          how many of the newest to keep (0 deletes them all)
  --all                             every lineage in the local store folder
  --dry-run                         say what would be deleted, delete nothing

${WHERE_HELP}`;

const HELPS = { list: LIST_HELP, show: SHOW_HELP, restore: RESTORE_HELP, prune: PRUNE_HELP } as const;
type Subcommand = keyof typeof HELPS;

const COMMON_OPTIONS = {
  store: { type: 'string' },
  'checkpoint-dir': { type: 'string' },
  'checkpoint-id': { type: 'string' },
  'resume-from': { type: 'string' },
  'working-directory': { type: 'string' },
  home: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const OPTIONS = {
  list: { ...COMMON_OPTIONS, all: { type: 'boolean' }, json: { type: 'boolean' } },
  show: { ...COMMON_OPTIONS, json: { type: 'boolean' } },
  restore: { ...COMMON_OPTIONS, into: { type: 'string' }, 'agent-state': { type: 'string' }, 'extra-dir': { type: 'string' }, force: { type: 'boolean' } },
  prune: { ...COMMON_OPTIONS, keep: { type: 'string' }, all: { type: 'boolean' }, 'dry-run': { type: 'boolean' } },
} as const;

/** The settings inputs these commands read, by the flag that gives them (for error messages). */
const FLAG_OF_INPUT: Readonly<Record<string, string>> = {
  checkpoint_dir: '--checkpoint-dir',
  checkpoint_id: '--checkpoint-id',
  resume_from: '--resume-from',
  working_directory: '--working-directory',
};

export async function checkpointsCommand(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined) {
    process.stderr.write(`durable-agent: checkpoints: a command is needed\n\n${CHECKPOINTS_HELP}\n`);
    return 2;
  }
  if (sub === '-h' || sub === '--help' || sub === 'help') {
    process.stdout.write(`${CHECKPOINTS_HELP}\n`);
    return 0;
  }
  if (!isSubcommand(sub)) throw new SettingsError(`checkpoints: unknown command '${sub}' (one of list, show, restore, prune)`);
  const { values, positionals } = parseArgs({ args: rest, options: OPTIONS[sub], allowPositionals: true, strict: true });
  const flags: Record<string, unknown> = values;
  if (flags.help === true) {
    process.stdout.write(`${HELPS[sub]}\n`);
    return 0;
  }
  const text = (name: string): string | undefined => {
    const value = flags[name];
    return typeof value === 'string' ? value : undefined;
  };
  const on = (name: string): boolean => flags[name] === true;
  // @actions/core writes its log (::debug:: lines) to stdout, where this command's result goes
  // (--json is parsed): while the command runs, everything else written there goes to stderr.
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = process.stderr.write.bind(process.stderr);
  try {
    const ctx = openContext(text, env, (line) => write(`${line}\n`));
    return await dispatch(sub, ctx, text, on, positionals);
  } finally {
    process.stdout.write = write;
  }
}

function dispatch(sub: Subcommand, ctx: Context, text: (name: string) => string | undefined, on: (name: string) => boolean, positionals: readonly string[]): Promise<number> {
  switch (sub) {
    case 'list':
      noPositionals(sub, positionals);
      return listCommand(ctx, { all: on('all'), json: on('json') });
    case 'show':
      return showCommand(ctx, oneKey(sub, positionals), { json: on('json') });
    case 'restore':
      return restoreCommand(ctx, oneKey(sub, positionals), {
        into: nonEmpty('--into', text('into')),
        agentStateDir: nonEmpty('--agent-state', text('agent-state')),
        extraDir: nonEmpty('--extra-dir', text('extra-dir')),
        force: on('force'),
      });
    case 'prune': {
      noPositionals(sub, positionals);
      return pruneCommand(ctx, { keep: parseKeep(text('keep')), all: on('all'), dryRun: on('dry-run') });
    }
  }
}

function isSubcommand(name: string): name is Subcommand {
  return Object.hasOwn(HELPS, name);
}

function noPositionals(sub: string, positionals: readonly string[]): void {
  if (positionals.length > 0) throw new SettingsError(`checkpoints ${sub}: unexpected argument '${positionals[0] ?? ''}'`);
}

function oneKey(sub: string, positionals: readonly string[]): string {
  const [key, extra] = positionals;
  if (key === undefined) throw new SettingsError(`checkpoints ${sub}: give the checkpoint KEY (as \`checkpoints list\` prints it)`);
  if (extra !== undefined) throw new SettingsError(`checkpoints ${sub}: unexpected argument '${extra}' (one KEY only)`);
  return key;
}

function nonEmpty(flag: string, value: string | undefined): string | undefined {
  if (value !== undefined && value.trim() === '') throw new SettingsError(`${flag}: needs a folder`);
  return value;
}

function parseKeep(value: string | undefined): number {
  if (value === undefined) throw new SettingsError('--keep: required (how many of the newest checkpoints to keep)');
  if (!/^\d{1,6}$/.test(value.trim())) throw new SettingsError(`--keep: '${value}' is not a whole number from 0 to 999999`);
  return Number(value.trim());
}

// ---------------------------------------------------------------------------------------------
// Where the checkpoints are, and which lineage is this folder's

interface Context {
  /** Writes one line of the command's result to stdout. */
  readonly out: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly settings: Settings;
  /** `--home` as given, to place the extra folder of a restore elsewhere the same way. */
  readonly homeFlag: string | undefined;
  readonly choice: StoreChoice;
  /** The stores the command looks in, in the order a restore would try them (the cache's depends on the lineage). */
  readonly stores: (lineage: Lineage) => readonly Store[];
  readonly localStore: () => LocalStore;
  readonly actionsStore: (name: 'cache' | 'artifact', lineage: Lineage) => Store;
}

function isStoreChoice(value: string): value is (typeof STORE_CHOICES)[number] {
  return (STORE_CHOICES as readonly string[]).includes(value);
}

/** The folder `durable-agent run` uses for a working directory when no --home is given. */

function openContext(flag: (name: string) => string | undefined, env: NodeJS.ProcessEnv, out: (line: string) => void): Context {
  const storeFlag = flag('store');
  if (storeFlag !== undefined && !isStoreChoice(storeFlag)) {
    throw new SettingsError(`--store: '${storeFlag}' is not one of ${STORE_CHOICES.join(', ')}`);
  }
  const inActions = env.GITHUB_ACTIONS === 'true' && Boolean(env.ACTIONS_RUNTIME_TOKEN);
  // A folder given for the local store says where to look, inside Actions too.
  const choice: StoreChoice = storeFlag ?? (inActions && flag('checkpoint-dir') === undefined ? 'both' : 'local');
  if (choice !== 'local' && !inActions) {
    throw new SettingsError(`--store: '${choice}' can only be reached from inside a GitHub Actions job (GITHUB_ACTIONS=true and ACTIONS_RUNTIME_TOKEN set)`);
  }
  const workingDirectory = path.resolve(flag('working-directory') ?? '.');
  const home = flag('home') ?? defaultHome(workingDirectory);
  let settings: Settings;
  try {
    settings = readSettings(
      (name) => {
        // Settings insist on a task; these commands never start an agent.
        if (name === 'prompt') return 'checkpoints';
        if (name === 'checkpoint_store') return choice;
        if (name === 'github_token') return env.GITHUB_TOKEN;
        const flagName = FLAG_OF_INPUT[name];
        return flagName === undefined ? undefined : flag(flagName.slice(2));
      },
      { baseDir: process.cwd(), tempDir: home, job: env.GITHUB_JOB },
    );
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    // Name the flag, and the value when the settings' message leaves it out.
    throw new SettingsError(
      error.message.replace(/^(\w+): (?!')/gm, (match, input: string) => {
        const flagName = FLAG_OF_INPUT[input];
        return flagName === undefined ? match : `${flagName}: '${flag(flagName.slice(2)) ?? ''}' `;
      }).replace(/^(\w+):/gm, (match, input: string) => `${FLAG_OF_INPUT[input] ?? input}:`),
    );
  }
  const log = terminalLog(process.stderr);
  const actionsStores = (store: StoreChoice, lineage: Lineage): readonly Store[] =>
    createStoreSet({ ...settings, checkpoint: { ...settings.checkpoint, store } }, env, log, lineage).restoreOrder;
  const localStore = (): LocalStore => new LocalStore(settings.checkpoint.dir);
  return {
    out,
    env,
    settings,
    homeFlag: flag('home'),
    choice,
    stores: (lineage) => (choice === 'local' ? [localStore()] : actionsStores(choice, lineage)),
    localStore,
    actionsStore: (name, lineage) => {
      if (!inActions) throw new SettingsError(`the ${name} store can only be reached from inside a GitHub Actions job (GITHUB_ACTIONS=true and ACTIONS_RUNTIME_TOKEN set)`);
      const [store] = actionsStores(name, lineage);
      if (store === undefined) throw new Error(`no ${name} store`);
      return store;
    },
  };
}

/** The lineage a run here would save to and resume, as the run computes it. */
async function currentLineage(ctx: Context): Promise<Lineage> {
  const { settings, env } = ctx;
  let workspace = settings.workingDirectory;
  // Only a local lineage names the checkout; inside Actions the repository does.
  if (env.GITHUB_REPOSITORY === undefined) {
    try {
      workspace = await git(settings.workingDirectory, ['rev-parse', '--show-toplevel']);
    } catch {
      throw new CommandFailed(
        `${settings.workingDirectory} is not in a git checkout, so it has no lineage: run this in the checkout a run worked in (or give --working-directory), or use --all`,
      );
    }
  }
  return lineageFor(settings, env, workspace);
}

export function describeLineage(lineage: Lineage): string {
  return `${lineage.repository} / ${lineage.workflow} / ${lineage.job} / ${lineage.checkpointId} / run ${lineage.runId}`;
}

function actionsStoresName(choice: StoreChoice): string {
  return choice === 'both' ? 'the cache and artifact stores work' : `the ${choice} store works`;
}

function storeWhere(store: Store): string {
  return store instanceof LocalStore ? `the local store ${store.root}` : `the ${store.name} store`;
}

// ---------------------------------------------------------------------------------------------
// The local store, read whole

export interface LocalLineage {
  readonly hash: string;
  /** From a manifest of the folder; undefined when none could be read. */
  readonly lineage: Lineage | undefined;
  /** Newest first. */
  readonly refs: readonly CheckpointRef[];
}

/** Every lineage in a local store folder: `<root>/<lineage hash>/<sequence>/manifest.json`. */
export async function walkLocalStore(root: string): Promise<LocalLineage[]> {
  let hashes: string[];
  try {
    hashes = (await readdir(root, { withFileTypes: true })).filter((entry) => entry.isDirectory() && /^[0-9a-f]{16}$/.test(entry.name)).map((entry) => entry.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const lineages: LocalLineage[] = [];
  for (const hash of hashes) {
    const refs: CheckpointRef[] = [];
    let lineage: Lineage | undefined;
    for (const name of await readdir(path.join(root, hash))) {
      const sequence = parseSequenceLabel(name);
      if (sequence === undefined) continue;
      const described = await describeCheckpointFolder(path.join(root, hash, name), `${hash}/${name}`, sequence);
      if (described === undefined) continue;
      refs.push(described.ref);
      // A manifest that names another lineage than its folder is not trusted to name this one.
      if (lineage === undefined && described.lineage !== undefined && lineageHash(described.lineage) === hash) lineage = described.lineage;
    }
    if (refs.length > 0) lineages.push({ hash, lineage, refs: newestFirst(refs) });
  }
  const newest = (entry: LocalLineage): string => entry.refs.reduce((latest, ref) => (ref.createdAt > latest ? ref.createdAt : latest), '');
  return lineages.sort((a, b) => newest(b).localeCompare(newest(a)) || a.hash.localeCompare(b.hash));
}

// ---------------------------------------------------------------------------------------------
// Pure formatting (unit-tested)

export interface CheckpointRow {
  readonly lineageHash: string;
  readonly lineage: Lineage | undefined;
  readonly ref: CheckpointRef;
}

/** `2026-05-01 12:34:56Z`; `-` when the store does not know (a cache entry before it is fetched). */
export function formatTime(iso: string): string {
  if (iso === '') return '-';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

export function lineageCell(hash: string, lineage: Lineage | undefined): string {
  return lineage === undefined ? `${hash.slice(0, 8)} ?` : `${hash.slice(0, 8)} ${lineage.checkpointId} run ${lineage.runId}`;
}

export function formatCheckpointTable(rows: readonly CheckpointRow[]): string {
  const header = ['LINEAGE', 'SEQ', 'TIME', 'SIZE', 'ATTEMPT', 'STORE', 'KEY'];
  const alignRight = new Set([1, 3, 4]);
  const cells = rows.map(({ lineageHash: hash, lineage, ref }) => [
    lineageCell(hash, lineage),
    String(ref.sequence),
    formatTime(ref.createdAt),
    ref.sizeBytes > 0 ? formatBytes(ref.sizeBytes) : '-',
    ref.attempt > 0 ? String(ref.attempt) : '-',
    ref.store,
    ref.key,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((row) => (row[column] ?? '').length)));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        if (column === row.length - 1) return cell;
        return alignRight.has(column) ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [header, ...cells].map(line).join('\n');
}

/** A row for --json: unknowns (a cache entry's time, size, attempt before download) are null. */
export function jsonRow({ lineageHash: hash, lineage, ref }: CheckpointRow): Record<string, unknown> {
  return {
    lineageHash: hash,
    lineage: lineage ?? null,
    key: ref.key,
    sequence: ref.sequence,
    attempt: ref.attempt > 0 ? ref.attempt : null,
    createdAt: ref.createdAt === '' ? null : ref.createdAt,
    sizeBytes: ref.sizeBytes > 0 ? ref.sizeBytes : null,
    store: ref.store,
  };
}

/** One entry of the manifest's attempt history (what the pipeline records), in a line. */
export function formatAttemptEntry(entry: Readonly<Record<string, unknown>>): string {
  const num = (name: string): number | undefined => {
    const value = entry[name];
    return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
  };
  const str = (name: string): string | undefined => {
    const value = entry[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const number = num('number');
  const mode = str('mode');
  const outcome = str('outcome');
  if (number === undefined || outcome === undefined) return JSON.stringify(entry);
  const runAttempt = num('runAttempt');
  const reason = str('reason');
  const parts = [
    `${runAttempt === undefined ? '' : `run attempt ${runAttempt}, `}attempt ${number}${mode === undefined ? '' : ` (${mode})`}: ${outcome}${reason === undefined || reason === outcome ? '' : ` (${reason})`}`,
  ];
  const startedAt = str('startedAt');
  if (startedAt !== undefined) parts.push(`started ${formatTime(startedAt)}`);
  const durationMs = num('durationMs');
  if (durationMs !== undefined) parts.push(`took ${formatDuration(durationMs)}`);
  const turns = num('turns');
  if (turns !== undefined) parts.push(`${turns} turns`);
  const cost = num('costUsd');
  if (cost !== undefined) parts.push(`$${cost.toFixed(4)}`);
  const apiRetries = num('apiRetries');
  if (apiRetries !== undefined && apiRetries > 0) parts.push(`${apiRetries} API retries`);
  return parts.join(', ');
}

export interface ShowContext {
  readonly key: string;
  readonly store: string;
  /** Folder of a local checkpoint. */
  readonly location?: string | undefined;
  /** The integrity check's outcome: undefined when it passed, else the reason. */
  readonly problem: string | undefined;
  /** Bytes of the manifest file itself. */
  readonly manifestBytes: number;
}

export function formatManifest(manifest: CheckpointManifest, about: ShowContext): string {
  const { workspace } = manifest;
  const lines: string[] = [];
  const field = (label: string, value: string): void => {
    lines.push(`${`${label}:`.padEnd(14)}${value}`);
  };
  lines.push(`Checkpoint ${about.key} (${about.store} store${about.location === undefined ? '' : `, ${about.location}`})`);
  field('Lineage', `${describeLineage(manifest.lineage)} (hash ${lineageHash(manifest.lineage)})`);
  field('Sequence', String(manifest.sequence));
  field('Run attempt', String(manifest.attempt));
  field('Created', formatTime(manifest.createdAt));
  field('Agent', manifest.agent);
  field('Session', manifest.sessionId ?? '(none)');
  field('Work tree', workspace.path);
  field('Base', workspace.base);
  field('Head', `${workspace.head}${workspace.branch === null ? ' (detached)' : ` on branch ${workspace.branch}`}`);
  if (workspace.omitted !== null) field('Workspace', `not saved: ${workspace.omitted}`);
  else field('Snapshot', workspace.snapshot ?? '(none: the work tree was clean at head)');
  if (manifest.checkpointPaths.trim() !== '') field('Paths', manifest.checkpointPaths.trim().split('\n').map((line) => line.trim()).join(', '));
  if (manifest.extraDir !== null) field('Extra folder', manifest.extraDir);
  if (manifest.agentStateDir !== null) field('Agent state', manifest.agentStateDir);
  field('Totals', `$${manifest.totals.costUsd.toFixed(4)}, ${manifest.totals.turns} turns`);
  lines.push(`Attempts (${manifest.attempts.length}):`);
  for (const entry of manifest.attempts) lines.push(`  ${formatAttemptEntry(entry)}`);
  lines.push('Files:');
  const rows = [
    ...manifest.files.map((file) => [file.name, file.role, formatBytes(file.sizeBytes), `sha256 ${file.sha256.slice(0, 16)}…`]),
    [MANIFEST_FILE, 'manifest', formatBytes(about.manifestBytes), ''],
  ];
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  for (const row of rows) {
    lines.push(`  ${(row[0] ?? '').padEnd(widths[0] ?? 0)}  ${(row[1] ?? '').padEnd(widths[1] ?? 0)}  ${(row[2] ?? '').padStart(widths[2] ?? 0)}  ${row[3] ?? ''}`.trimEnd());
  }
  const total = manifest.files.reduce((sum, file) => sum + file.sizeBytes, about.manifestBytes);
  lines.push(`  total ${formatBytes(total)}`);
  if (manifest.excluded.length > 0) {
    lines.push('Left out (held a secret value):');
    for (const excluded of manifest.excluded) lines.push(`  ${excluded.area}: ${excluded.path}`);
  }
  field('Check', about.problem === undefined ? 'ok (every file matches its size and sha256)' : `FAILED: ${about.problem}`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Finding one checkpoint by key

export type ParsedKey =
  | { readonly kind: 'local'; readonly key: string; readonly hash: string; readonly sequence: number }
  | { readonly kind: 'cache'; readonly key: string; readonly hash: string; readonly sequence: number }
  | { readonly kind: 'artifact'; readonly key: string; readonly attempt: number; readonly sequence: number }
  | { readonly kind: 'sequence'; readonly sequence: number }
  | { readonly kind: 'latest' };

/** What a KEY argument names; undefined when it is none of the forms. */
export function parseCheckpointKey(text: string): ParsedKey | undefined {
  const value = text.trim();
  if (value === 'latest') return { kind: 'latest' };
  if (/^\d{1,15}$/.test(value)) return { kind: 'sequence', sequence: Number(value) };
  const local = /^([0-9a-f]{16})\/(\d{1,15})$/.exec(value);
  if (local?.[1] !== undefined && local[2] !== undefined) {
    const sequence = Number(local[2]);
    return { kind: 'local', key: `${local[1]}/${formatSequence(sequence)}`, hash: local[1], sequence };
  }
  const cache = /^durable-agent-v1-([0-9a-f]{16})-(\d{6,15})$/.exec(value);
  if (cache?.[1] !== undefined && cache[2] !== undefined) return { kind: 'cache', key: value, hash: cache[1], sequence: Number(cache[2]) };
  const artifact = /^durable-agent-.+-a(\d{1,9})-(\d{6,15})$/.exec(value);
  if (artifact?.[1] !== undefined && artifact[2] !== undefined) return { kind: 'artifact', key: value, attempt: Number(artifact[1]), sequence: Number(artifact[2]) };
  return undefined;
}

interface Located {
  readonly ref: CheckpointRef;
  readonly store: Store;
  /** The checkpoint's own folder, when the store is a local folder (read in place). */
  readonly folder: string | undefined;
}

async function locate(ctx: Context, key: string): Promise<Located> {
  const parsed = parseCheckpointKey(key);
  if (parsed === undefined) {
    throw new SettingsError(
      `'${key}' is not a checkpoint key: give <lineage hash>/<sequence> (local store), a cache key, an artifact name, a sequence number or 'latest' (see \`checkpoints list\`)`,
    );
  }
  switch (parsed.kind) {
    case 'local': {
      const store = ctx.localStore();
      const folder = path.join(store.root, parsed.hash, formatSequence(parsed.sequence));
      const described = await describeCheckpointFolder(folder, parsed.key, parsed.sequence);
      if (described === undefined) throw new CommandFailed(`no checkpoint ${parsed.key} in ${storeWhere(store)}`);
      return { ref: described.ref, store, folder };
    }
    case 'cache': {
      const lineage = await currentLineage(ctx);
      // A cache entry is only found through the staging folder of its own lineage.
      if (lineageHash(lineage) !== parsed.hash) {
        throw new CommandFailed(
          `${parsed.key} belongs to lineage ${parsed.hash}, not to this job's (${lineageHash(lineage)}, ${describeLineage(lineage)}): give the --checkpoint-id and --resume-from the run used`,
        );
      }
      return { ref: { key: parsed.key, sequence: parsed.sequence, attempt: 0, createdAt: '', sizeBytes: 0, store: 'cache' }, store: ctx.actionsStore('cache', lineage), folder: undefined };
    }
    case 'artifact':
      return {
        ref: { key: parsed.key, sequence: parsed.sequence, attempt: parsed.attempt, createdAt: '', sizeBytes: 0, store: 'artifact' },
        store: ctx.actionsStore('artifact', await currentLineage(ctx)),
        folder: undefined,
      };
    case 'sequence':
    case 'latest': {
      const lineage = await currentLineage(ctx);
      let found: { ref: CheckpointRef; store: Store } | undefined;
      const stores = ctx.stores(lineage);
      for (const store of stores) {
        const refs = await store.list(lineage);
        const match = parsed.kind === 'latest' ? refs[0] : refs.find((ref) => ref.sequence === parsed.sequence);
        if (match !== undefined && (found === undefined || match.sequence > found.ref.sequence)) found = { ref: match, store };
        if (found !== undefined && parsed.kind === 'sequence') break;
      }
      const what = parsed.kind === 'latest' ? 'no checkpoint' : `no checkpoint with sequence ${parsed.sequence}`;
      if (found === undefined) throw new CommandFailed(`${what} of lineage ${describeLineage(lineage)} in ${stores.map(storeWhere).join(' or ')}`);
      const folder = found.store instanceof LocalStore ? path.join(found.store.root, ...found.ref.key.split('/')) : undefined;
      return { ...found, folder };
    }
  }
}

/** Runs `body` on the checkpoint's folder: the local one in place, another store's fetched into a temp folder. */
async function withCheckpointFolder<T>(located: Located, body: (dir: string) => Promise<T>): Promise<T> {
  if (located.folder !== undefined) return body(located.folder);
  const temp = await mkdtemp(path.join(os.tmpdir(), 'durable-agent-checkpoint-'));
  try {
    try {
      await located.store.fetch(located.ref, temp);
    } catch (error) {
      throw new CommandFailed(`cannot fetch ${located.ref.key} from the ${located.store.name} store: ${(error as Error).message}`);
    }
    return await body(temp);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

async function readManifestText(dir: string, key: string): Promise<{ text: string; manifest: CheckpointManifest }> {
  let text: string;
  try {
    text = await readFile(path.join(dir, MANIFEST_FILE), 'utf8');
  } catch (error) {
    throw new CommandFailed(`checkpoint ${key}: manifest.json cannot be read: ${(error as Error).message}`);
  }
  const parsed = parseManifest(text);
  if (!parsed.ok) throw new CommandFailed(`checkpoint ${key}: ${parsed.reason}`);
  return { text, manifest: parsed.manifest };
}

/** Schema, sizes and sha256 of every file; the reason when they do not hold. */
async function integrityProblem(dir: string, manifest: CheckpointManifest): Promise<string | undefined> {
  try {
    // The manifest's own lineage: a key chosen by hand is not refused for naming another repository.
    await readValidManifest(dir, manifest.lineage);
    return undefined;
  } catch (error) {
    if (error instanceof CheckpointRejected) return `${error.reason} (${error.kind})`;
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// The commands

async function listCommand(ctx: Context, options: { all: boolean; json: boolean }): Promise<number> {
  const { out } = ctx;
  if (options.all) {
    if (ctx.choice !== 'local') throw new SettingsError(`--all: only the local store can list every lineage (${actionsStoresName(ctx.choice)} one lineage at a time)`);
    const store = ctx.localStore();
    const lineages = await walkLocalStore(store.root);
    const rows = lineages.flatMap((entry) => entry.refs.map((ref) => ({ lineageHash: entry.hash, lineage: entry.lineage, ref })));
    if (options.json) {
      out(JSON.stringify(rows.map(jsonRow), null, 2));
      return 0;
    }
    if (rows.length === 0) {
      out(`No checkpoints in ${storeWhere(store)}.`);
      return 0;
    }
    out(`${rows.length} checkpoint(s) of ${lineages.length} lineage(s) in ${storeWhere(store)}:\n`);
    out(formatCheckpointTable(rows));
    out('\nLineages:');
    for (const entry of lineages) out(`  ${entry.hash}  ${entry.lineage === undefined ? '(no readable manifest)' : describeLineage(entry.lineage)}`);
    return 0;
  }

  const lineage = await currentLineage(ctx);
  const hash = lineageHash(lineage);
  const rows: CheckpointRow[] = [];
  let failed = false;
  const stores = ctx.stores(lineage);
  for (const store of stores) {
    try {
      for (const ref of await store.list(lineage)) rows.push({ lineageHash: hash, lineage, ref });
    } catch (error) {
      failed = true;
      process.stderr.write(`durable-agent: cannot list ${storeWhere(store)}: ${(error as Error).message}\n`);
    }
  }
  if (options.json) {
    out(JSON.stringify(rows.map(jsonRow), null, 2));
    return failed ? 1 : 0;
  }
  const where = stores.map(storeWhere).join(' and ');
  if (rows.length === 0) {
    out(`No checkpoints of lineage ${describeLineage(lineage)} (${hash}) in ${where}.`);
    if (ctx.choice === 'local') out('`durable-agent checkpoints list --all` lists every lineage there.');
    return failed ? 1 : 0;
  }
  out(`Checkpoints of lineage ${describeLineage(lineage)} (${hash}) in ${where}:\n`);
  out(formatCheckpointTable(rows));
  return failed ? 1 : 0;
}

async function showCommand(ctx: Context, key: string, options: { json: boolean }): Promise<number> {
  const located = await locate(ctx, key);
  return withCheckpointFolder(located, async (dir) => {
    const { text, manifest } = await readManifestText(dir, located.ref.key);
    if (options.json) {
      ctx.out(text.replace(/\n$/, ''));
      return 0;
    }
    const problem = await integrityProblem(dir, manifest);
    const manifestBytes = (await stat(path.join(dir, MANIFEST_FILE))).size;
    ctx.out(formatManifest(manifest, { key: located.ref.key, store: located.store.name, location: located.folder, problem, manifestBytes }));
    return problem === undefined ? 0 : 1;
  });
}

interface RestoreOptions {
  readonly into: string | undefined;
  readonly agentStateDir: string | undefined;
  readonly extraDir: string | undefined;
  readonly force: boolean;
}

interface Target {
  readonly workspace: string;
  /** Where the extra folder goes unless --extra-dir says. */
  readonly extraDir: string;
  /** Said before the restore's own lines (the clone). */
  readonly preface: readonly string[];
  /** Takes back what preparing the target did (a clone), when the restore then fails. */
  readonly undo: () => Promise<void>;
}

async function restoreCommand(ctx: Context, key: string, options: RestoreOptions): Promise<number> {
  const located = await locate(ctx, key);
  return withCheckpointFolder(located, async (dir) => {
    const { manifest } = await readManifestText(dir, located.ref.key).catch((error: unknown) => {
      throw error instanceof CommandFailed ? new CommandFailed(`cannot restore ${error.message}`) : error;
    });
    // Checked before anything is created (a clone included); restoreCheckpoint checks again.
    const problem = await integrityProblem(dir, manifest);
    if (problem !== undefined) throw new CommandFailed(`cannot restore checkpoint ${located.ref.key}: refused: ${problem}`);

    const target = await prepareTarget(ctx, manifest, options);
    const has = (role: string): boolean => manifest.files.some((file) => file.role === role);
    // Only a folder that gets something: the library notes every folder it is given.
    const extraDir = has('extra') ? path.resolve(options.extraDir ?? target.extraDir) : undefined;
    const agentStateDir = options.agentStateDir === undefined ? undefined : path.resolve(options.agentStateDir);
    let result: Awaited<ReturnType<typeof restoreCheckpoint>>;
    try {
      result = await restoreCheckpoint({ dir, workspace: target.workspace, lineage: manifest.lineage, extraDir, agentStateDir, checkpointPaths: manifest.checkpointPaths });
    } catch (error) {
      await target.undo();
      if (error instanceof CheckpointRejected) throw new CommandFailed(`cannot restore checkpoint ${located.ref.key}: refused: ${error.reason} (${error.kind})`);
      throw new CommandFailed(`cannot restore checkpoint ${located.ref.key}: ${(error as Error).message}`);
    }

    const lines = [...target.preface];
    const { workspace } = manifest;
    lines.push(`Restored checkpoint ${located.ref.key} (sequence ${manifest.sequence}, run attempt ${manifest.attempt}, taken ${formatTime(manifest.createdAt)}) into ${target.workspace}`);
    if (result.workspace === 'omitted') lines.push(`  workspace: not restored (${workspace.omitted ?? ''})`);
    else {
      const head = `HEAD ${workspace.head.slice(0, 12)}${workspace.branch === null ? ' (detached)' : ` on branch ${workspace.branch}`}`;
      const tree = workspace.snapshot === null ? 'work tree at HEAD' : `work tree from snapshot ${workspace.snapshot.slice(0, 12)} (uncommitted and untracked files)`;
      lines.push(`  workspace: ${head}, ${tree}`);
    }
    if (result.restored.includes('paths')) lines.push(`  experiment outputs: ${manifest.checkpointPaths.trim().split('\n').map((line) => line.trim()).join(', ')} into ${target.workspace}`);
    if (result.restored.includes('extra')) lines.push(`  extra folder: ${extraDir ?? ''}`);
    if (result.restored.includes('agent-state')) lines.push(`  agent state: ${agentStateDir ?? ''}`);
    else if (has('agent-state')) lines.push('  agent state: not restored (give --agent-state DIR)');
    else if (agentStateDir !== undefined) lines.push('  agent state: none in this checkpoint');
    // The per-role lines above already say what was not restored.
    for (const note of result.notes) if (!note.startsWith('not restored:')) lines.push(`  note: ${note}`);
    ctx.out(lines.join('\n'));
    return 0;
  });
}

async function prepareTarget(ctx: Context, manifest: CheckpointManifest, options: RestoreOptions): Promise<Target> {
  const nothing = (): Promise<void> => Promise.resolve();
  const extraFor = (workspace: string): string => path.join(ctx.homeFlag ?? defaultHome(workspace), 'durable-agent', 'checkpoint-dir');
  if (options.into === undefined) {
    let workspace: string;
    try {
      workspace = await git(ctx.settings.workingDirectory, ['rev-parse', '--show-toplevel']);
    } catch {
      throw new CommandFailed(`${ctx.settings.workingDirectory} is not in a git checkout: run restore in the checkout to restore into, or give --into DIR`);
    }
    if (!options.force) await refuseToOverwrite(workspace, manifest);
    return { workspace, extraDir: checkpointHooks(ctx.settings).extraDir, preface: [], undo: nothing };
  }

  const into = path.resolve(options.into);
  const info = await lstat(into).catch(() => undefined);
  if (info !== undefined && !info.isDirectory()) throw new SettingsError(`--into: '${options.into}' is not a folder`);
  const empty = info === undefined || (await readdir(into)).length === 0;
  if (!empty) {
    const top = await git(into, ['rev-parse', '--show-toplevel']).catch(() => undefined);
    // A folder inside some other checkout is not a target: the restore would land in that checkout.
    if (top === undefined || top !== (await realpath(into))) throw new SettingsError(`--into: '${options.into}' is neither empty nor the top folder of a git checkout`);
    if (!options.force) await refuseToOverwrite(top, manifest);
    return { workspace: top, extraDir: extraFor(top), preface: [], undo: nothing };
  }

  let source: string;
  try {
    source = await git(ctx.settings.workingDirectory, ['rev-parse', '--show-toplevel']);
  } catch {
    throw new CommandFailed(
      `--into ${options.into}: the checkpoint holds only the changes since its base commit, so a clone of the repository is needed, and ${ctx.settings.workingDirectory} is not in a git checkout: run this in the repository the checkpoint was taken from`,
    );
  }
  const base = manifest.workspace.base;
  if (!(await gitSucceeds(source, ['cat-file', '-e', `${base}^{commit}`]))) {
    throw new CommandFailed(`the checkpoint's base commit ${base} is not in ${source}: fetch it there first (git fetch origin ${base})`);
  }
  await mkdir(into, { recursive: true });
  const undo = async (): Promise<void> => {
    if (info === undefined) await rm(into, { recursive: true, force: true });
    else for (const name of await readdir(into)) await rm(path.join(into, name), { recursive: true, force: true });
  };
  try {
    await git(into, ['clone', '-q', '--no-checkout', '--', source, into]);
    await git(into, ['checkout', '-q', '--detach', base]);
  } catch (error) {
    await undo();
    throw new CommandFailed(`cannot clone ${source} into ${into} at ${base}: ${(error as Error).message}`);
  }
  const workspace = await realpath(into);
  return { workspace, extraDir: extraFor(workspace), preface: [`Cloned ${source} into ${workspace} at the base commit ${base.slice(0, 12)}`], undo };
}

/**
 * A restore resets the work tree and moves the recorded branch: refuse when that would lose work
 * the checkpoint does not hold (the caller may insist with --force).
 */
async function refuseToOverwrite(workspace: string, manifest: CheckpointManifest): Promise<void> {
  const status = (await git(workspace, ['status', '--porcelain', '--untracked-files=all'])).split('\n').filter(Boolean);
  if (status.length > 0) {
    throw new CommandFailed(
      `${workspace} has uncommitted changes the restore would overwrite (${status.length} path(s), such as ${status[0]?.slice(3) ?? ''}): commit or stash them, restore --into a new folder, or give --force`,
    );
  }
  const { branch, base, head } = manifest.workspace;
  if (branch === null) return;
  const tip = await git(workspace, ['rev-parse', '--verify', '-q', `refs/heads/${branch}`]).catch(() => '');
  if (tip === '' || tip === head) return;
  if (await gitSucceeds(workspace, ['merge-base', '--is-ancestor', tip, base])) return;
  // Only answerable when the checkpoint's head is already here (an earlier restore).
  if (await gitSucceeds(workspace, ['merge-base', '--is-ancestor', tip, head])) return;
  throw new CommandFailed(
    `branch ${branch} is at ${tip.slice(0, 12)}, which the checkpoint does not contain; the restore would move it to ${head.slice(0, 12)}: restore --into a new folder, or give --force`,
  );
}

async function pruneCommand(ctx: Context, options: { keep: number; all: boolean; dryRun: boolean }): Promise<number> {
  const { out } = ctx;
  const sequences = (refs: readonly CheckpointRef[]): string => refs.map((ref) => ref.sequence).join(', ');
  const pruneOne = async (store: Store, lineage: Lineage): Promise<void> => {
    const label = `${storeWhere(store)}, lineage ${lineageCell(lineageHash(lineage), lineage)}`;
    const refs = await store.list(lineage);
    const doomed = refs.slice(options.keep);
    if (doomed.length === 0) {
      out(`${label}: ${refs.length} checkpoint(s), nothing to delete (keeping ${options.keep})`);
      return;
    }
    if (options.dryRun) {
      out(`${label}: would delete ${doomed.length} of ${refs.length} checkpoint(s): sequence ${sequences(doomed)}`);
      return;
    }
    const deleted = await store.prune(lineage, options.keep);
    const kept = await store.list(lineage);
    out(`${label}: deleted ${deleted} of ${refs.length} checkpoint(s); kept ${kept.length}${kept.length > 0 ? `: sequence ${sequences(kept)}` : ''}`);
  };

  let failed = false;
  if (options.all) {
    if (ctx.choice !== 'local') throw new SettingsError(`--all: only the local store can prune every lineage (${actionsStoresName(ctx.choice)} one lineage at a time)`);
    const store = ctx.localStore();
    const lineages = await walkLocalStore(store.root);
    if (lineages.length === 0) out(`No checkpoints in ${storeWhere(store)}.`);
    for (const entry of lineages) {
      if (entry.lineage === undefined) {
        failed = true;
        process.stderr.write(`durable-agent: skipped lineage ${entry.hash} in ${storeWhere(store)}: none of its manifests can be read\n`);
        continue;
      }
      await pruneOne(store, entry.lineage);
    }
    return failed ? 1 : 0;
  }
  const lineage = await currentLineage(ctx);
  for (const store of ctx.stores(lineage)) {
    try {
      await pruneOne(store, lineage);
    } catch (error) {
      failed = true;
      process.stderr.write(`durable-agent: cannot prune ${storeWhere(store)}: ${(error as Error).message}\n`);
    }
  }
  return failed ? 1 : 0;
}
