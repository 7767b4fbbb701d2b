// File-system helpers shared by the archive and store code.
import { createReadStream, lstatSync, type BigIntStats, type Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { SecretScanner } from './secret-scan.js';

export type TreeEntryKind = 'file' | 'directory' | 'symlink';

export interface TreeEntry {
  /** '/'-separated path relative to the walked root. */
  readonly rel: string;
  readonly kind: TreeEntryKind;
  /** Its lstat, when the lister took one already. */
  readonly info?: BigIntStats | undefined;
}

/**
 * Every file, folder and symlink under `root`, parents before children, in a stable order; links are
 * not followed. Sockets, FIFOs and devices are skipped. `skip` prunes a path (and, for a folder,
 * everything below it).
 */
export async function walkTree(root: string, skip: (rel: string, kind: TreeEntryKind) => boolean = () => false): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = [];
  const visit = async (relDir: string): Promise<void> => {
    const dirents = await readdir(path.join(root, relDir), { withFileTypes: true });
    dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const dirent of dirents) {
      const rel = relDir === '' ? dirent.name : `${relDir}/${dirent.name}`;
      const kind: TreeEntryKind | undefined = dirent.isSymbolicLink() ? 'symlink' : dirent.isDirectory() ? 'directory' : dirent.isFile() ? 'file' : undefined;
      if (kind === undefined || skip(rel, kind)) continue;
      entries.push({ rel, kind });
      if (kind === 'directory') await visit(rel);
    }
  };
  await visit('');
  return entries;
}

/** Whether a file (or, for a symlink, its target text) contains one of the needles. */
export async function fileHasSecret(file: string, needles: readonly Buffer[]): Promise<boolean> {
  if (needles.length === 0) return false;
  const stat = await lstat(file);
  if (stat.isSymbolicLink()) {
    const target = Buffer.from(await readlink(file), 'utf8');
    return needles.some((needle) => target.includes(needle));
  }
  if (!stat.isFile()) return false;
  const scanner = new SecretScanner(needles);
  for await (const chunk of createReadStream(file)) {
    scanner.update(chunk as Buffer);
    if (scanner.found) return true;
  }
  return false;
}

/** lstat that answers undefined for a path that does not exist. */
export async function lstatOrUndefined(file: string): Promise<Stats | undefined> {
  try {
    return await lstat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * An lstat taken synchronously: microseconds for a file, where a trip through the thread pool is far
 * longer for a few thousand of them. Undefined when the path is gone.
 */
export function lstatNow(file: string): BigIntStats | undefined {
  try {
    return lstatSync(file, { bigint: true, throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

// Synchronous stats this many at a time: the proxy shares the event loop while the agent runs.
const STAT_BATCH = 2000;

/** Call before the index-th synchronous stat of a pass: gives the event loop a turn between batches. */
export async function statBatchTurn(index: number): Promise<void> {
  if (index % STAT_BATCH === STAT_BATCH - 1) await new Promise((resolve) => setImmediate(resolve));
}
