// The workspace in a checkpoint: the agent's commits as a git bundle against the checkout's base
// commit, and the work tree as the files that differ from HEAD (changed and untracked, not
// ignored) plus the paths deleted. The files are stored like any other folder's (content-addressed,
// so an unchanged file costs nothing in the next checkpoint); git keeps only the history.
//
// Saving never touches the user's repository: the bundle's refs live in a scratch repository that
// borrows the user's objects through `objects/info/alternates`, and status takes no locks.
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CheckpointManifest } from './manifest.js';
import { CheckpointRejected } from './errors.js';
import { CommandError, git, gitEnv, gitSucceeds, run } from './exec.js';
import { lstatNow, statBatchTurn, type TreeEntry } from './files.js';
import type { WorkTreeStatus } from './fingerprint.js';
import { parseStatus } from './git-status.js';
import { SecretScanner } from './secret-scan.js';

const HEAD_REF = 'refs/durable-agent/head';

export type RecordedWorkspace = CheckpointManifest['workspace'];
type RecordedGit = Pick<RecordedWorkspace, 'path' | 'base' | 'head' | 'branch' | 'omitted'>;

export interface WorkspaceSnapshotOptions {
  /** The work tree (or a folder inside it). */
  readonly workspace: string;
  /** The commit the checkout started from (GITHUB_SHA); objects it reaches are not bundled. */
  readonly baseCommit: string;
  /** Where to write the bundle, when one is needed. */
  readonly bundleFile: string;
  /** A folder for the scratch repository (removed afterwards). */
  readonly tempDir: string;
  readonly needles: readonly Buffer[];
  /**
   * The last checkpoint's commits, already bundled and scanned for the same secrets: a HEAD that
   * descends from `head` is bundled (and scanned) from there only.
   */
  readonly since?: { readonly base: string; readonly head: string } | undefined;
  /**
   * The status and stats the no-change check just took, when the work tree cannot have changed
   * since (see WorkTreeStatus); used only at the same root and HEAD, else status runs again.
   */
  readonly status?: WorkTreeStatus | undefined;
}

/**
 * What became of the agent's commits: none; all of them bundled against base; only those since the
 * last checkpoint bundled; or none new since the last checkpoint (its bundles still hold HEAD).
 */
export type BundleKind = 'none' | 'full' | 'since' | 'unchanged';

export interface WorkspaceSnapshot {
  readonly recorded: RecordedGit;
  /** The work tree's root. */
  readonly top: string;
  /** Whether `bundleFile` was written, and against what. */
  readonly bundled: BundleKind;
  /** Files and links that differ from HEAD (relative to the root), to be stored as a folder. */
  readonly changes: TreeEntry[];
  /** Paths HEAD has and the work tree does not. */
  readonly deleted: string[];
  /** Paths in the agent's commits holding a secret (the workspace is then left out). */
  readonly secretHits: string[];
  readonly warnings: string[];
}

export async function snapshotWorkspace(options: WorkspaceSnapshotOptions): Promise<WorkspaceSnapshot> {
  // Without a status to build on, status runs alongside rev-parse (each git start costs
  // milliseconds); porcelain paths are relative to the root from any folder of the work tree.
  const ownStatus = options.status === undefined ? workTreeStatusText(options.workspace) : undefined;
  ownStatus?.catch(() => undefined);
  const { top, head, base, branch } = await describeCheckout(options.workspace, options.baseCommit);
  const recorded = (omitted: string | null): RecordedGit => ({ path: top, base, head, branch, omitted });
  const warnings: string[] = [];

  const since = options.since;
  // The last checkpoint bundled commits up to this very HEAD: it still has commits of its own.
  const sameHead = since !== undefined && since.base === base && since.head === head && head !== base;
  const hasCommits = sameHead || (head !== base && !(await gitSucceeds(top, ['merge-base', '--is-ancestor', head, base])));
  let bundled: BundleKind = hasCommits ? 'full' : 'none';
  let from = base;
  if (hasCommits && since !== undefined && since.base === base && since.head !== base) {
    if (since.head === head) bundled = 'unchanged';
    else if (await gitSucceeds(top, ['merge-base', '--is-ancestor', since.head, head])) {
      bundled = 'since';
      from = since.head;
    }
  }
  if (bundled !== 'none' && bundled !== 'unchanged' && options.needles.length > 0) {
    const history = await listObjects(top, {}, head, from);
    const hits = await objectsWithSecrets(top, {}, [...history.keys()], options.needles);
    if (hits.size > 0) {
      // A secret in the agent's own commits cannot be cut out without rewriting its history: the
      // workspace is left out of this checkpoint instead.
      const secretHits = [...new Set([...hits].map((id) => history.get(id) || id))];
      return { recorded: recorded("a secret is in the agent's commits; the workspace was not saved"), top, bundled: 'none', changes: [], deleted: [], secretHits, warnings };
    }
  }

  const given = options.status !== undefined && options.status.top === top && options.status.head === head ? options.status : undefined;
  const output = given?.output ?? (await (ownStatus ?? workTreeStatusText(top)));
  const changes: TreeEntry[] = [];
  const deleted: string[] = [];
  const folders = new Set<string>();
  for (const [index, record] of parseStatus(output).entries()) {
    if (record.submodule) {
      warnings.push(`left out the submodule or nested repository '${record.path.replace(/\/$/, '')}'`);
      continue;
    }
    // Synchronous: a stat of a listed file is microseconds, a trip through the thread pool is not.
    // The stat goes along, so the save does not take it again.
    await statBatchTurn(index);
    const info = given?.stats.has(record.path) ? given.stats.get(record.path) : lstatNow(path.join(top, record.path));
    if (info === undefined) {
      deleted.push(record.path);
      continue;
    }
    const kind = info.isSymbolicLink() ? 'symlink' : info.isFile() ? 'file' : undefined;
    if (kind === undefined) continue;
    // Parent folders first, so a restore recreates them with their modes.
    const parts = record.path.split('/');
    for (let depth = 1; depth < parts.length; depth++) folders.add(parts.slice(0, depth).join('/'));
    changes.push({ rel: record.path, kind, info });
  }
  const entries = [...[...folders].map((rel) => ({ rel, kind: 'directory' as const })), ...changes].sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));

  if (bundled === 'full' || bundled === 'since') await bundleCommits(top, head, from, branch, options);
  return { recorded: recorded(null), top, bundled, changes: entries, deleted, secretHits: [], warnings };
}

function workTreeStatusText(cwd: string): Promise<string> {
  // GIT_OPTIONAL_LOCKS=0 (from gitEnv): status must not refresh and rewrite the user's index.
  return run('git', ['status', '--porcelain=v2', '-z', '--untracked-files=all', '--no-renames'], { cwd, env: gitEnv() }).then((result) => result.stdout.toString('utf8'));
}

async function bundleCommits(top: string, head: string, base: string, branch: string | null, options: WorkspaceSnapshotOptions): Promise<void> {
  const [objectsDir, shallowFile] = (await git(top, ['rev-parse', '--path-format=absolute', '--git-path', 'objects', '--git-path', 'shallow'])).split('\n');
  if (objectsDir === undefined || shallowFile === undefined) throw new Error('git rev-parse --git-path gave fewer paths than asked');
  const objectFormat = await git(top, ['rev-parse', '--show-object-format']);
  const temp = await mkdtemp(path.join(options.tempDir, 'snapshot-'));
  try {
    const scratch = path.join(temp, 'scratch.git');
    await git(temp, ['init', '-q', '--bare', '--template=', `--object-format=${objectFormat}`, scratch]);
    await writeFile(path.join(scratch, 'objects', 'info', 'alternates'), `${objectsDir}\n`);
    // The scratch repository must know where a shallow clone's history is cut, or walking from
    // base would look for parents that were never fetched.
    await copyIfExists(shallowFile, path.join(scratch, 'shallow'));
    const scratchGit = (args: string[]): Promise<string> => git(temp, [`--git-dir=${scratch}`, ...args]);
    const refs = [HEAD_REF];
    await scratchGit(['update-ref', HEAD_REF, head]);
    if (branch !== null) {
      await scratchGit(['update-ref', `refs/heads/${branch}`, head]);
      refs.push(`refs/heads/${branch}`);
    }
    await scratchGit(['bundle', 'create', '-q', options.bundleFile, ...refs, '--not', base]);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/** Checks that a recorded workspace can be restored here; throws CheckpointRejected. */
export async function checkWorkspace(workspace: string, recorded: RecordedGit, bundleFiles: readonly string[]): Promise<void> {
  const top = await workTreeRoot(workspace);
  if (!(await gitSucceeds(top, ['cat-file', '-e', `${recorded.base}^{commit}`]))) {
    throw new CheckpointRejected('base-missing', `base commit ${recorded.base} is not in this checkout`);
  }
  if (!(await gitSucceeds(top, ['merge-base', '--is-ancestor', recorded.base, 'HEAD']))) {
    throw new CheckpointRejected('base-missing', `base commit ${recorded.base} is not an ancestor of the checkout's HEAD`);
  }
  if (recorded.omitted !== null) return;
  if (recorded.branch !== null && !(await gitSucceeds(top, ['check-ref-format', `refs/heads/${recorded.branch}`]))) {
    throw new CheckpointRejected('workspace', `invalid branch name '${recorded.branch}'`);
  }
  const bundleFile = bundleFiles.at(-1);
  if (bundleFile === undefined) {
    if (!(await gitSucceeds(top, ['cat-file', '-e', `${recorded.head}^{commit}`]))) {
      throw new CheckpointRejected('workspace', `HEAD ${recorded.head} is not in this checkout and there is no bundle`);
    }
    return;
  }
  // A chain of bundles: each needs the one before it, so the earlier ones are unbundled (objects
  // only, no ref moves) before the next is verified.
  for (const [index, file] of bundleFiles.entries()) {
    try {
      await run('git', ['bundle', 'verify', '-q', file], { cwd: top, env: gitEnv() });
    } catch (error) {
      const detail = error instanceof CommandError ? error.stderr.trim().split('\n').slice(-2).join(' ') : String(error);
      const which = bundleFiles.length === 1 ? 'the bundle' : `bundle ${index + 1} of ${bundleFiles.length}`;
      throw new CheckpointRejected('workspace', `${which} does not verify: ${detail}`);
    }
    if (file !== bundleFile) await git(top, ['bundle', 'unbundle', file]);
  }
  const heads = new Map(
    (await git(top, ['bundle', 'list-heads', bundleFile]))
      .split('\n')
      .map((line) => line.split(' '))
      .map(([id, ref]) => [ref ?? '', id ?? '']),
  );
  if (heads.get(HEAD_REF) !== recorded.head) throw new CheckpointRejected('workspace', 'the bundle does not hold the recorded HEAD');
}

export type WorkspaceOutcome = 'restored' | 'omitted';

/** Where the checkout was before a restore touched it, to go back on failure. */
export interface CheckoutState {
  readonly top: string;
  readonly head: string;
  /** `refs/heads/<branch>` HEAD pointed at, or null when detached. */
  readonly symbolic: string | null;
}

export async function checkoutState(workspace: string): Promise<CheckoutState> {
  const top = await workTreeRoot(workspace);
  const head = await git(top, ['rev-parse', '--verify', '-q', 'HEAD']);
  const symbolic = await git(top, ['symbolic-ref', '-q', 'HEAD']).catch(() => null);
  return { top, head, symbolic };
}

/**
 * Puts the checkout back where it was: HEAD and its branch at the starting commit, tracked files
 * reset. The files the restore created are removed by the caller, which knows them: untracked files
 * that were there before (a previous step's build output) are not the restore's to delete.
 */
export async function rollbackCheckout(state: CheckoutState): Promise<void> {
  const message = 'durable-agent: undo a failed restore';
  if (state.symbolic !== null) {
    await git(state.top, ['update-ref', '-m', message, state.symbolic, state.head]);
    await git(state.top, ['symbolic-ref', '-m', message, 'HEAD', state.symbolic]);
  } else {
    await git(state.top, ['update-ref', '-m', message, '--no-deref', 'HEAD', state.head]);
  }
  await git(state.top, ['reset', '-q', '--hard', state.head]);
}

/**
 * Moves the checkout to the recorded commit: the bundle's objects unpacked, HEAD (on the recorded
 * branch) at the agent's commit, work tree and index at its tree. The work-tree files are written
 * by the caller afterwards. Call `checkWorkspace` first.
 */
export async function restoreWorkspace(workspace: string, recorded: RecordedGit, bundleFile: string | undefined): Promise<WorkspaceOutcome> {
  if (recorded.omitted !== null) return 'omitted';
  const top = await workTreeRoot(workspace);
  // Objects only: unlike fetch, unbundle adds no refs, so nothing stays behind but reachable commits.
  if (bundleFile !== undefined) await git(top, ['bundle', 'unbundle', bundleFile]);
  // Not `reset --hard` at a detached HEAD: right after a clone every index entry is racily clean
  // and reset took 120–414 ms on the bench's 5,000 files against 73–97 ms for read-tree.
  await git(top, ['read-tree', '-u', '--reset', recorded.head]);
  const message = 'durable-agent: restore checkpoint';
  if (recorded.branch !== null) {
    await git(top, ['update-ref', '-m', message, `refs/heads/${recorded.branch}`, recorded.head]);
    await git(top, ['symbolic-ref', '-m', message, 'HEAD', `refs/heads/${recorded.branch}`]);
  } else {
    await git(top, ['update-ref', '-m', message, '--no-deref', 'HEAD', recorded.head]);
  }
  await git(top, ['reset', '-q']);
  return 'restored';
}

/** Blob and link paths of a commit's tree, with their modes: what a restore's destination checks hold against. */
export async function headTreeKinds(workspace: string, commit: string): Promise<Map<string, string>> {
  const top = await workTreeRoot(workspace);
  const { stdout } = await run('git', ['ls-tree', '-r', '-z', commit], { cwd: top, env: gitEnv() });
  const kinds = new Map<string, string>();
  for (const record of stdout.toString('utf8').split('\0')) {
    const match = /^(\d+) \w+ [0-9a-f]+\t([\s\S]*)$/.exec(record);
    if (match?.[1] !== undefined && match[2] !== undefined) kinds.set(match[2], match[1]);
  }
  return kinds;
}

export async function workTreeRoot(workspace: string): Promise<string> {
  try {
    return await git(workspace, ['rev-parse', '--show-toplevel']);
  } catch (error) {
    throw new Error(`${workspace} is not a git work tree`, { cause: error });
  }
}

/**
 * The work tree's root, HEAD, the base commit and the branch, in one `git rev-parse` (each git
 * start costs milliseconds on every save); one at a time, for the precise error, when that fails.
 */
export async function describeCheckout(workspace: string, baseCommit: string): Promise<{ top: string; head: string; base: string; branch: string | null }> {
  if (!baseCommit.startsWith('-')) {
    const lines = await git(workspace, ['rev-parse', '--show-toplevel', 'HEAD^{commit}', `${baseCommit}^{commit}`, '--symbolic-full-name', 'HEAD'])
      .then((output) => output.split('\n'))
      .catch(() => undefined);
    const [top, head, base, ref] = lines ?? [];
    if (lines?.length === 4 && top && head && base && ref && OBJECT_NAME.test(head) && OBJECT_NAME.test(base)) {
      return { top, head, base, branch: ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : null };
    }
  }
  const top = await workTreeRoot(workspace);
  const head = await resolveCommit(top, 'HEAD', 'the workspace has no commit (HEAD)');
  const base = await resolveCommit(top, baseCommit, `base commit '${baseCommit}' is not in the workspace`);
  return { top, head, base, branch: await currentBranch(top) };
}

const OBJECT_NAME = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

async function resolveCommit(top: string, revision: string, problem: string): Promise<string> {
  try {
    return await git(top, ['rev-parse', '--verify', '-q', `${revision}^{commit}`]);
  } catch (error) {
    throw new Error(problem, { cause: error });
  }
}

async function currentBranch(top: string): Promise<string | null> {
  const ref = await git(top, ['symbolic-ref', '-q', 'HEAD']).catch(() => '');
  return ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : null;
}

async function copyIfExists(from: string, to: string): Promise<boolean> {
  try {
    await copyFile(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Objects reachable from `tip` but not from `base`, with the path rev-list names them by. */
async function listObjects(top: string, env: Readonly<Record<string, string>>, tip: string, base: string): Promise<Map<string, string>> {
  const output = await git(top, ['rev-list', '--objects', tip, '--not', base], env);
  const objects = new Map<string, string>();
  for (const line of output.split('\n')) {
    const match = /^([0-9a-f]{40,64})(?: (.*))?$/.exec(line);
    if (match?.[1] !== undefined) objects.set(match[1], match[2] ?? '');
  }
  return objects;
}

/** Streams the objects through `git cat-file --batch` and returns those containing a needle. */
function objectsWithSecrets(top: string, env: Readonly<Record<string, string>>, ids: readonly string[], needles: readonly Buffer[]): Promise<Set<string>> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['cat-file', '--batch'], { cwd: top, env: gitEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
    const reader = new BatchReader(needles);
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => reader.write(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(reader.hits) : reject(new CommandError('git cat-file', code, stderr))));
    child.stdin.on('error', () => undefined);
    child.stdin.end(ids.map((id) => `${id}\n`).join(''));
  });
}

/** Parses `git cat-file --batch` output ("<id> <type> <size>\n<content>\n"), scanning each object. */
export class BatchReader {
  readonly hits = new Set<string>();
  private header: Buffer[] = [];
  private current: { id: string; remaining: number; scanner: SecretScanner } | undefined;
  private skipNewline = false;

  constructor(private readonly needles: readonly Buffer[]) {}

  write(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.skipNewline) {
        this.skipNewline = false;
        offset += 1;
        continue;
      }
      if (this.current) {
        const n = Math.min(this.current.remaining, chunk.length - offset);
        this.current.scanner.update(chunk.subarray(offset, offset + n));
        this.current.remaining -= n;
        offset += n;
        if (this.current.remaining === 0) {
          if (this.current.scanner.found) this.hits.add(this.current.id);
          this.current = undefined;
          this.skipNewline = true;
        }
        continue;
      }
      const newline = chunk.indexOf(0x0a, offset);
      if (newline < 0) {
        this.header.push(chunk.subarray(offset));
        return;
      }
      this.header.push(chunk.subarray(offset, newline));
      offset = newline + 1;
      const line = Buffer.concat(this.header).toString('utf8');
      this.header = [];
      const [id, , size] = line.split(' ');
      // "<id> missing" (a name that was no object): nothing follows.
      if (id === undefined || size === undefined) continue;
      this.current = { id, remaining: Number(size), scanner: new SecretScanner(this.needles) };
      if (this.current.remaining === 0) {
        this.current = undefined;
        this.skipNewline = true;
      }
    }
  }
}
