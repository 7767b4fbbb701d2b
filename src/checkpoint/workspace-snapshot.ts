// The workspace as git objects: a snapshot commit of the work tree on top of the agent's HEAD,
// bundled relative to the checkout's base commit, and the way back.
//
// Saving never touches the user's repository: the snapshot is built with a temporary index, and
// its new objects and the refs the bundle needs live in a scratch repository that borrows the
// user's objects through `objects/info/alternates`.
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CheckpointManifest } from './manifest.js';
import { CheckpointRejected } from './errors.js';
import { CommandError, git, gitEnv, gitSucceeds, run } from './exec.js';
import { SecretScanner } from './secret-scan.js';

/** Who the snapshot commit says made it; fixed so that a runner without a git identity can commit. */
const SNAPSHOT_IDENTITY = {
  GIT_AUTHOR_NAME: 'durable-agent',
  GIT_AUTHOR_EMAIL: 'durable-agent@users.noreply.github.com',
  GIT_COMMITTER_NAME: 'durable-agent',
  GIT_COMMITTER_EMAIL: 'durable-agent@users.noreply.github.com',
};
const SNAPSHOT_MESSAGE = 'durable-agent checkpoint: work tree snapshot';
const HEAD_REF = 'refs/durable-agent/head';
const SNAPSHOT_REF = 'refs/durable-agent/snapshot';

export type RecordedWorkspace = CheckpointManifest['workspace'];

export interface WorkspaceSnapshotOptions {
  /** The work tree (or a folder inside it). */
  readonly workspace: string;
  /** The commit the checkout started from (GITHUB_SHA); objects it reaches are not bundled. */
  readonly baseCommit: string;
  /** Where to write the bundle, when one is needed. */
  readonly bundleFile: string;
  /** A folder for the scratch repository and index (removed afterwards). */
  readonly tempDir: string;
  readonly needles: readonly Buffer[];
}

export interface WorkspaceSnapshot {
  readonly recorded: RecordedWorkspace;
  /** Whether `bundleFile` was written (not needed when HEAD is reachable from base and the tree is clean). */
  readonly bundled: boolean;
  /** Work-tree paths whose content held a secret (saved at HEAD's version, or not at all). */
  readonly secretHits: string[];
}

export async function snapshotWorkspace(options: WorkspaceSnapshotOptions): Promise<WorkspaceSnapshot> {
  const top = await workTreeRoot(options.workspace);
  const head = await resolveCommit(top, 'HEAD', 'the workspace has no commit (HEAD)');
  const base = await resolveCommit(top, options.baseCommit, `base commit '${options.baseCommit}' is not in the workspace`);
  const branch = await currentBranch(top);
  const [objectsDir, indexFile, shallowFile] = (await git(top, ['rev-parse', '--path-format=absolute', '--git-path', 'objects', '--git-path', 'index', '--git-path', 'shallow'])).split('\n');
  if (objectsDir === undefined || indexFile === undefined || shallowFile === undefined) throw new Error('git rev-parse --git-path gave fewer paths than asked');
  const objectFormat = await git(top, ['rev-parse', '--show-object-format']);

  const temp = await mkdtemp(path.join(options.tempDir, 'snapshot-'));
  try {
    const scratch = path.join(temp, 'scratch.git');
    await git(temp, ['init', '-q', '--bare', '--template=', `--object-format=${objectFormat}`, scratch]);
    await writeFile(path.join(scratch, 'objects', 'info', 'alternates'), `${objectsDir}\n`);
    // The scratch repository must know where a shallow clone's history is cut, or walking from
    // base would look for parents that were never fetched.
    await copyIfExists(shallowFile, path.join(scratch, 'shallow'));

    const index = path.join(temp, 'index');
    const env = { GIT_INDEX_FILE: index, GIT_OBJECT_DIRECTORY: path.join(scratch, 'objects'), GIT_ALTERNATE_OBJECT_DIRECTORIES: objectsDir };
    // Starting from a copy of the user's index (rather than `read-tree HEAD`) keeps its stat cache,
    // so `add -A` hashes only changed files, and keeps sparse-checkout bits, so files outside the
    // sparse cone are not recorded as deleted. Without an index, start from HEAD's tree.
    if (!(await copyIfExists(indexFile, index))) await git(top, ['read-tree', head], env);
    await git(top, ['add', '-A'], env);
    const headTree = await git(top, ['rev-parse', `${head}^{tree}`]);
    const commitTree = async (): Promise<string | null> => {
      const tree = await git(top, ['write-tree'], env);
      if (tree === headTree) return null;
      return git(top, ['commit-tree', '--no-gpg-sign', tree, '-p', head, '-m', SNAPSHOT_MESSAGE], { ...env, ...SNAPSHOT_IDENTITY });
    };
    let snapshot = await commitTree();
    const recorded = (snap: string | null, omitted: string | null): RecordedWorkspace => ({ path: top, base, head, branch, snapshot: snap, omitted });

    const secretHits: string[] = [];
    if (options.needles.length > 0) {
      const tip = snapshot ?? head;
      const objects = await listObjects(top, env, tip, base);
      const hits = await objectsWithSecrets(top, env, [...objects.keys()], options.needles);
      if (hits.size > 0) {
        const history = head === base ? new Map<string, string>() : await listObjects(top, env, head, base);
        const inHistory = [...hits].filter((id) => history.has(id));
        const inTreeOnly = new Set([...hits].filter((id) => !history.has(id)));
        const hitBlobs = (await treeBlobs(top, env, tip)).filter((blob) => inTreeOnly.has(blob.id));
        const treeOnlyPaths = hitBlobs.map((blob) => blob.path);
        const allBlobs = [...inTreeOnly].every((id) => hitBlobs.some((blob) => blob.id === id));
        if (inHistory.length > 0 || !allBlobs) {
          // A secret in the agent's own commits (or in a file name) cannot be cut out without
          // rewriting its history: the workspace is left out of this checkpoint instead.
          const paths = [...new Set([...inHistory.map((id) => history.get(id) ?? id), ...treeOnlyPaths])];
          secretHits.push(...paths);
          return { recorded: recorded(null, 'a secret is in the agent\'s commits; the workspace was not saved'), bundled: false, secretHits };
        }
        // Only the work tree holds it: save those paths at HEAD's version (absent if HEAD has none).
        secretHits.push(...new Set(treeOnlyPaths));
        await git(top, ['reset', '-q', head, '--pathspec-from-file=-', '--pathspec-file-nul'], { ...env, GIT_LITERAL_PATHSPECS: '1' }, secretHits.map((file) => `${file}\0`).join(''));
        snapshot = await commitTree();
      }
    }

    const needsBundle = snapshot !== null || !(await gitSucceeds(top, ['merge-base', '--is-ancestor', head, base], env));
    if (!needsBundle) return { recorded: recorded(snapshot, null), bundled: false, secretHits };
    const scratchGit = (args: string[]): Promise<string> => git(temp, [`--git-dir=${scratch}`, ...args]);
    const refs = [HEAD_REF];
    await scratchGit(['update-ref', HEAD_REF, head]);
    if (snapshot !== null) {
      await scratchGit(['update-ref', SNAPSHOT_REF, snapshot]);
      refs.push(SNAPSHOT_REF);
    }
    if (branch !== null) {
      await scratchGit(['update-ref', `refs/heads/${branch}`, head]);
      refs.push(`refs/heads/${branch}`);
    }
    await scratchGit(['bundle', 'create', '-q', options.bundleFile, ...refs, '--not', base]);
    return { recorded: recorded(snapshot, null), bundled: true, secretHits };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/** Checks that a recorded workspace can be restored here; throws CheckpointRejected. */
export async function checkWorkspace(workspace: string, recorded: RecordedWorkspace, bundleFile: string | undefined): Promise<void> {
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
  if (bundleFile === undefined) {
    if (recorded.snapshot !== null) throw new CheckpointRejected('workspace', 'a snapshot commit is recorded but there is no bundle');
    if (!(await gitSucceeds(top, ['cat-file', '-e', `${recorded.head}^{commit}`]))) {
      throw new CheckpointRejected('workspace', `HEAD ${recorded.head} is not in this checkout and there is no bundle`);
    }
    return;
  }
  try {
    await run('git', ['bundle', 'verify', '-q', bundleFile], { cwd: top, env: gitEnv() });
  } catch (error) {
    const detail = error instanceof CommandError ? error.stderr.trim().split('\n').slice(-2).join(' ') : String(error);
    throw new CheckpointRejected('workspace', `the bundle does not verify: ${detail}`);
  }
  const heads = new Map(
    (await git(top, ['bundle', 'list-heads', bundleFile]))
      .split('\n')
      .map((line) => line.split(' '))
      .map(([id, ref]) => [ref ?? '', id ?? '']),
  );
  // git leaves a ref out of a bundle when its commit is reachable from the base (HEAD == base):
  // then the checkout itself must have it.
  const bundledHead = heads.get(HEAD_REF);
  if (bundledHead !== undefined ? bundledHead !== recorded.head : !(await gitSucceeds(top, ['cat-file', '-e', `${recorded.head}^{commit}`]))) {
    throw new CheckpointRejected('workspace', 'neither the bundle nor the checkout holds the recorded HEAD');
  }
  if (recorded.snapshot !== null && heads.get(SNAPSHOT_REF) !== recorded.snapshot) {
    throw new CheckpointRejected('workspace', 'the bundle does not hold the recorded snapshot');
  }
}

export type WorkspaceOutcome = 'restored' | 'omitted';

/**
 * Makes the checkout match the snapshot: HEAD (on the recorded branch) at the agent's commit, the
 * work tree at the snapshot's tree (untracked files and deletions included), the index at HEAD.
 * Call `checkWorkspace` first.
 */
export async function restoreWorkspace(workspace: string, recorded: RecordedWorkspace, bundleFile: string | undefined): Promise<WorkspaceOutcome> {
  if (recorded.omitted !== null) return 'omitted';
  const top = await workTreeRoot(workspace);
  // Objects only: unlike fetch, unbundle adds no refs, so nothing stays behind but reachable commits.
  if (bundleFile !== undefined) await git(top, ['bundle', 'unbundle', bundleFile]);
  if (recorded.snapshot !== null) {
    const parent = await git(top, ['rev-parse', '--verify', '-q', `${recorded.snapshot}^1`]).catch(() => '');
    if (parent !== recorded.head) throw new CheckpointRejected('workspace', 'the snapshot commit is not on top of the recorded HEAD');
  }
  const target = recorded.snapshot ?? recorded.head;
  await git(top, ['read-tree', '-u', '--reset', target]);
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

export async function workTreeRoot(workspace: string): Promise<string> {
  try {
    return await git(workspace, ['rev-parse', '--show-toplevel']);
  } catch (error) {
    throw new Error(`${workspace} is not a git work tree`, { cause: error });
  }
}

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

async function treeBlobs(top: string, env: Readonly<Record<string, string>>, tip: string): Promise<Array<{ id: string; path: string }>> {
  const { stdout } = await run('git', ['ls-tree', '-r', '-z', tip], { cwd: top, env: gitEnv(env) });
  const blobs: Array<{ id: string; path: string }> = [];
  for (const record of stdout.toString('utf8').split('\0')) {
    const match = /^\d+ \w+ ([0-9a-f]+)\t([\s\S]*)$/.exec(record);
    if (match?.[1] !== undefined && match[2] !== undefined) blobs.push({ id: match[1], path: match[2] });
  }
  return blobs;
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
