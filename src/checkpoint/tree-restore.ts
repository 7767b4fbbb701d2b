// Checking and writing a stored folder listing. Every check runs before anything is written; the
// writer records what it created so a failed restore can take it back.
import { chmod, lstat, mkdir, open, rename, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { CheckpointRejected } from './errors.js';
import { fileTreeSchema, MAX_OBJECT_SIZE, MAX_TREE_SIZE, type FileTree, type FileTreeEntry } from './file-tree.js';
import { lstatOrUndefined } from './files.js';
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
export async function destinationProblem(root: string, paths: readonly string[], targetKinds?: ReadonlyMap<string, string>): Promise<string | undefined> {
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
        const stat = await lstatOrUndefined(path.join(root, rel));
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

/** Decoded objects, a few at a time: the files of one pack follow each other. */
class ObjectReader {
  readonly #recent = new Map<string, Promise<Buffer>>();
  constructor(private readonly objects: ObjectFolder) {}

  get(id: string): Promise<Buffer> {
    const hit = this.#recent.get(id);
    if (hit) return hit;
    const loading = this.objects.read(id).then((bytes) => decodeObject(bytes, MAX_OBJECT_SIZE));
    this.#recent.set(id, loading);
    if (this.#recent.size > 2) {
      const oldest = this.#recent.keys().next().value;
      if (oldest !== undefined) this.#recent.delete(oldest);
    }
    return loading;
  }
}

/** Writes a file's segments one at a time: a 1 GB file never sits in memory whole. */
async function writeContent(reader: ObjectReader, entry: Extract<FileTreeEntry, { kind: 'file' }>, file: string): Promise<void> {
  const handle = await open(file, 'w', entry.mode & 0o777);
  try {
    for (const [id, offset, length] of entry.segments) {
      const data = await reader.get(id);
      if (offset + length > data.length) throw new Error(`'${entry.path}' reads past the end of object ${id.slice(0, 12)}…`);
      await handle.write(data, offset, length);
    }
  } finally {
    await handle.close();
  }
}

const WRITERS = 4;

/**
 * Writes a checked listing under `root`: deletions, folders, then files and links (each file through
 * a temp name and a rename). Paths that did not exist before are appended to `created`.
 */
export async function writeTree(tree: FileTree, root: string, objects: ObjectFolder, created: string[], progress?: Progress): Promise<void> {
  await mkdir(root, { recursive: true });
  if (!(await lstat(root)).isDirectory()) throw new Error(`cannot restore into ${root}: not a folder`);
  for (const rel of tree.deleted) await rm(path.join(root, rel), { force: true });
  const reader = new ObjectReader(objects);
  const folders = tree.entries.filter((entry) => entry.kind === 'directory');
  for (const folder of folders) {
    const target = path.join(root, folder.path);
    const info = await lstatOrUndefined(target);
    if (info?.isDirectory()) continue;
    if (info) await rm(target, { force: true });
    else created.push(target);
    await mkdir(target);
  }
  const rest = tree.entries.filter((entry) => entry.kind !== 'directory');
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < rest.length; index = next++) {
      const entry = rest[index];
      if (entry === undefined) continue;
      const target = path.join(root, entry.path);
      const info = await lstatOrUndefined(target);
      if (info === undefined) created.push(target);
      else if (info.isDirectory()) await rm(target, { recursive: true, force: true });
      if (entry.kind === 'symlink') {
        if (info && !info.isDirectory()) await rm(target, { force: true });
        await symlink(entry.target, target);
      } else if (entry.kind === 'file') {
        const temp = `${target}.durable-agent-${process.pid}-${index}`;
        created.push(temp);
        await writeContent(reader, entry, temp);
        await chmod(temp, entry.mode & 0o777);
        await rename(temp, target);
        progress?.advance(entry.size);
      }
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, worker));
  for (const folder of folders) await chmod(path.join(root, folder.path), folder.mode & 0o777);
}
