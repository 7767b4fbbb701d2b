// Checking and writing a stored folder listing. Every check runs before anything is written; the
// writer records what it created so a failed restore can take it back.
import { chmodSync, closeSync, fchmodSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, symlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { CheckpointRejected } from './errors.js';
import { fileTreeSchema, MAX_OBJECT_SIZE, MAX_TREE_SIZE, type FileTree, type FileTreeEntry } from './file-tree.js';
import { zodProblem } from './manifest.js';
import { decodeObject } from './object-codec.js';
import type { ObjectFolder } from './object-folder.js';
import type { Progress } from './progress.js';
import { archiveEntriesProblem, entryComponents } from './safe-paths.js';
import type { TarEntry } from './tar-entry.js';
import { errorMessage } from '../error-message.js';

export async function loadTree(objects: ObjectFolder, id: string, label: string): Promise<FileTree> {
  let data: unknown;
  try {
    data = JSON.parse((await decodeObject(await objects.read(id), MAX_TREE_SIZE)).toString('utf8'));
  } catch (error) {
    throw new CheckpointRejected('integrity', `the ${label} listing cannot be read: ${errorMessage(error)}`);
  }
  const parsed = fileTreeSchema.safeParse(data);
  if (!parsed.success) throw new CheckpointRejected('manifest', `the ${label} listing is invalid: ${zodProblem(parsed.error)}`);
  return parsed.data;
}

function asArchiveEntry(entry: FileTreeEntry): TarEntry {
  const type = entry.kind;
  return {
    path: entry.path,
    names: [entry.path],
    type,
    typeflag: type === 'file' ? '0' : type === 'directory' ? '5' : '2',
    linkTarget: entry.kind === 'symlink' ? entry.target : '',
    linkTargets: [],
    mode: entry.kind === 'symlink' ? 0o777 : entry.mode,
    size: entry.kind === 'file' ? entry.size : 0,
  };
}

export interface CheckedTree {
  readonly tree: FileTree;
  /** Links left out because they point outside the root. */
  readonly notes: string[];
}

/**
 * The safety checks of a listing against its root: names, `.git`, set-id bits, declared roots, links.
 * A link that points outside is dropped with a note (the rest restores); anything else refuses.
 */
export function checkTree(tree: FileTree, label: string, options: { root: string; forbidGitDirs: boolean; allowedRoots?: readonly string[] | undefined }): CheckedTree | { problem: string } {
  const notes: string[] = [];
  const kept: FileTreeEntry[] = [];
  const skipped: string[] = [];
  for (const entry of tree.entries) {
    const under = skipped.find((link) => entry.path.startsWith(`${link}/`));
    if (under !== undefined) return { problem: `entry '${entry.path}' lies under the link '${under}'` };
    if (entry.kind === 'symlink') {
      const alone = archiveEntriesProblem([asArchiveEntry(entry)], { root: options.root, forbidGitDirs: options.forbidGitDirs });
      if (alone !== undefined && / points outside: /.test(alone)) {
        notes.push(`${label}: skipped the link '${entry.path}' -> '${entry.target}', which points outside ${options.root}`);
        skipped.push(entry.path);
        continue;
      }
    }
    kept.push(entry);
  }
  const problem = archiveEntriesProblem(kept.map(asArchiveEntry), options);
  if (problem !== undefined) return { problem };
  for (const deleted of tree.deleted) {
    const parsed = entryComponents(deleted);
    if ('problem' in parsed) return { problem: `deleted path: ${parsed.problem}` };
    if (options.forbidGitDirs && parsed.components.some((part) => part.toLowerCase() === '.git')) return { problem: `deleted path inside a .git folder: '${deleted}'` };
  }
  return { tree: { ...tree, entries: kept }, notes };
}

/**
 * Whether writing the listing under `root` would go through something that is not a folder: on disk
 * now, or (for the work tree) in the commit the restore checks out (`targetKinds`: path -> git mode).
 */
export function destinationProblem(root: string, paths: readonly string[], targetKinds?: ReadonlyMap<string, string>): string | undefined {
  const checked = new Map<string, boolean>();
  for (const name of paths) {
    const parsed = entryComponents(name);
    if ('problem' in parsed) return parsed.problem;
    for (let depth = 1; depth < parsed.components.length; depth++) {
      const rel = parsed.components.slice(0, depth).join('/');
      const mode = targetKinds?.get(rel);
      if (mode !== undefined) return `'${rel}' is ${mode === '120000' ? 'a symlink' : 'a file'} in the restored commit; '${parsed.components.join('/')}' would be written through it`;
      let exists = checked.get(rel);
      if (exists === undefined) {
        const stat = lstatSync(path.join(root, rel), { throwIfNoEntry: false });
        if (stat && !stat.isDirectory() && !targetKinds) {
          return `'${rel}' in ${root} is ${stat.isSymbolicLink() ? 'a symlink' : 'not a folder'}; '${parsed.components.join('/')}' would be written through it`;
        }
        if (stat && !stat.isDirectory() && targetKinds && stat.isSymbolicLink()) {
          return `'${rel}' in ${root} is a symlink; '${parsed.components.join('/')}' would be written through it`;
        }
        exists = stat !== undefined;
        checked.set(rel, exists);
      }
    }
  }
  return undefined;
}

/**
 * Decoded objects in the order the files use them: each decoded once, a few ahead of the writer on
 * the thread pool (so decoding overlaps writing), a pack kept while files still to be written use
 * it (counted up front) and dropped after its last one. Memory stays bounded whatever the listing:
 * past `MAX_HELD` the oldest is dropped (an odd listing costs a second decode).
 */
class ObjectReader {
  readonly #held = new Map<string, Promise<Buffer>>();
  readonly #uses = new Map<string, number>();
  /** Object ids in the order of their first use. */
  readonly #order: string[] = [];
  #ahead = 0;

  constructor(
    private readonly objects: ObjectFolder,
    entries: readonly FileTreeEntry[],
  ) {
    for (const entry of entries) {
      if (entry.kind !== 'file') continue;
      for (const [id] of entry.segments) {
        const uses = this.#uses.get(id) ?? 0;
        if (uses === 0) this.#order.push(id);
        this.#uses.set(id, uses + 1);
      }
    }
  }

  get(id: string): Promise<Buffer> {
    const loading = this.#held.get(id) ?? this.#load(id);
    // Start the next objects while this one is written.
    while (this.#ahead < this.#order.length && this.#held.size < LOOKAHEAD) {
      const next = this.#order[this.#ahead++];
      if (next !== undefined && next !== id && !this.#held.has(next)) void this.#load(next);
    }
    return loading;
  }

  /** One use of the object is done. */
  done(id: string): void {
    const left = (this.#uses.get(id) ?? 1) - 1;
    this.#uses.set(id, left);
    if (left <= 0) this.#held.delete(id);
  }

  #load(id: string): Promise<Buffer> {
    const loading = this.objects.read(id).then((bytes) => decodeObject(bytes, MAX_OBJECT_SIZE));
    // A failed prefetch is reported by the get() that needs it, not as an unhandled rejection.
    loading.catch(() => undefined);
    this.#held.set(id, loading);
    if (this.#held.size > MAX_HELD) {
      const oldest = this.#held.keys().next().value;
      if (oldest !== undefined && oldest !== id) this.#held.delete(oldest);
    }
    return loading;
  }
}

// Objects decoded ahead of the writer, and held at most (4 MiB or so each). One ahead keeps the
// decode overlapping the writes; two measured no faster and cost the 1 GB restore ~20 MB of RSS.
const LOOKAHEAD = 1;
const MAX_HELD = 4;

/**
 * Writes a file's segments one at a time (a 1 GB file never sits in memory whole); over an existing
 * file through a temp name renamed into place, so a hard link at the target is replaced instead of
 * written through. The calls are synchronous: one restore of many small files otherwise waits
 * for a pool thread to be scheduled several times per file, which on a busy runner dominates.
 */
async function writeFileEntry(reader: ObjectReader, entry: Extract<FileTreeEntry, { kind: 'file' }>, temp: string | undefined, target: string): Promise<void> {
  // A file that did not exist is created in place ('wx': whatever appeared there meanwhile, a link
  // included, fails the restore rather than being written through).
  const fd = temp === undefined ? openSync(target, 'wx', entry.mode & 0o777) : openSync(temp, 'w', entry.mode & 0o777);
  try {
    for (const [id, offset, length] of entry.segments) {
      const data = await reader.get(id);
      if (offset + length > data.length) throw new Error(`'${entry.path}' reads past the end of object ${id.slice(0, 12)}…`);
      for (let done = 0; done < length; ) done += writeSync(fd, data, offset + done, length - done);
      reader.done(id);
    }
    fchmodSync(fd, entry.mode & 0o777);
  } finally {
    closeSync(fd);
  }
  if (temp !== undefined) renameSync(temp, target);
}

/**
 * Writes a checked listing under `root`: deletions, folders, then files and links. Paths that did
 * not exist before are appended to `created`.
 */
export async function writeTree(tree: FileTree, root: string, objects: ObjectFolder, created: string[], progress?: Progress): Promise<void> {
  mkdirSync(root, { recursive: true });
  if (!lstatSync(root).isDirectory()) throw new Error(`cannot restore into ${root}: not a folder`);
  for (const rel of tree.deleted) rmSync(path.join(root, rel), { force: true });
  const reader = new ObjectReader(objects, tree.entries);
  const folders = tree.entries.filter((entry) => entry.kind === 'directory');
  for (const folder of folders) {
    const target = path.join(root, folder.path);
    const info = lstatSync(target, { throwIfNoEntry: false });
    if (info?.isDirectory()) continue;
    if (info) rmSync(target, { force: true });
    else created.push(target);
    mkdirSync(target);
  }
  for (const [index, entry] of tree.entries.entries()) {
    if (entry.kind === 'directory') continue;
    const target = path.join(root, entry.path);
    const info = lstatSync(target, { throwIfNoEntry: false });
    if (info === undefined) created.push(target);
    else if (info.isDirectory()) rmSync(target, { recursive: true, force: true });
    if (entry.kind === 'symlink') {
      if (info && !info.isDirectory()) rmSync(target, { force: true });
      symlinkSync(entry.target, target);
    } else {
      // A new file is written in place: no rename (each costs tens of µs, thousands per restore).
      const temp = info === undefined ? undefined : `${target}.durable-agent-${process.pid}-${index}`;
      if (temp !== undefined) created.push(temp);
      await writeFileEntry(reader, entry, temp, target);
      progress?.advance(entry.size);
    }
  }
  for (const folder of folders) chmodSync(path.join(root, folder.path), folder.mode & 0o777);
}
