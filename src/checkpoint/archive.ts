// Tar archives of folders (experiment paths, the extra folder, the agent state) with the system tar.
import { createReadStream } from 'node:fs';
import { lstat, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { CommandError, run } from './exec.js';
import { fileHasSecret, lstatOrUndefined, type TreeEntry } from './files.js';
import { entryComponents } from './safe-paths.js';
import { containsSecret } from './secret-scan.js';
import { TarEntryReader, type TarEntry } from './tar-entries.js';

export interface ArchiveResult {
  /** False when nothing was left to archive (no file written). */
  readonly written: boolean;
  readonly entryCount: number;
  /** Paths (relative to the root) left out because they hold a secret. */
  readonly secretHits: string[];
  readonly warnings: string[];
}

/**
 * Archives `entries` (relative to `root`) into a gzip tar at `out`. Each file and link target is
 * scanned for the secrets first; a hit leaves the file out (a folder whose name holds one, its
 * whole subtree). Set-id files are left out too: the restore refuses them.
 */
export async function createArchive(root: string, entries: readonly TreeEntry[], out: string, needles: readonly Buffer[]): Promise<ArchiveResult> {
  const secretHits: string[] = [];
  const warnings: string[] = [];
  const kept: string[] = [];
  const droppedFolders: string[] = [];
  for (const entry of entries) {
    if (droppedFolders.some((folder) => entry.rel.startsWith(`${folder}/`))) continue;
    const absolute = path.join(root, entry.rel);
    let hit = containsSecret(entry.rel, needles);
    if (!hit && entry.kind !== 'directory') {
      try {
        hit = await fileHasSecret(absolute, needles);
      } catch (error) {
        // Gone since it was listed (the agent may still be writing): nothing to save.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
    }
    if (hit) {
      secretHits.push(entry.rel);
      if (entry.kind === 'directory') droppedFolders.push(entry.rel);
      continue;
    }
    if (entry.kind === 'file') {
      const stat = await lstatOrUndefined(absolute);
      if (stat === undefined) continue;
      if ((stat.mode & 0o6000) !== 0) {
        warnings.push(`left out '${entry.rel}': set-id files are not checkpointed`);
        continue;
      }
    }
    kept.push(entry.rel);
  }
  if (kept.length === 0) return { written: false, entryCount: 0, secretHits, warnings };

  // Names go in NUL-separated on stdin, each as './name' so that no name can read as an option.
  const list = kept.map((rel) => `./${rel}\0`).join('');
  try {
    // gzip -1: experiment outputs are large and often barely compressible (weights, binaries);
    // the default level costs several times the time for a few percent of size.
    const result = await run('tar', ['-cf', out, '--use-compress-program', 'gzip -1', '-C', root, '--no-recursion', '--null', '-T', '-'], { input: list, okCodes: [0, 1, 2] });
    if (result.code !== 0) {
      const problems = tarProblems(result.stderr);
      // GNU tar exits 1 for "file changed as we read it" and 2 for a file deleted after listing;
      // the archive still holds everything else. Anything else means it is not trustworthy.
      if (result.code === 2 && problems.some((line) => !/No such file or directory|File removed before we read it/.test(line))) {
        throw new CommandError('tar -c (gzip -1)', result.code, result.stderr);
      }
      warnings.push(...problems.map((line) => `tar: ${line}`));
    }
  } catch (error) {
    throw new Error(`archiving ${root} failed: ${(error as Error).message}`, { cause: error });
  }
  return { written: true, entryCount: kept.length, secretHits, warnings };
}

function tarProblems(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((line) => line.replace(/^tar: /, '').trim())
    .filter((line) => line !== '' && !/^Exiting with failure status/.test(line));
}

/** The entries of a gzip tar, read from its headers (not from `tar -tv` text). */
export async function readArchiveEntries(file: string): Promise<TarEntry[]> {
  const reader = new TarEntryReader();
  await pipeline(
    createReadStream(file),
    createGunzip(),
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        try {
          reader.write(chunk);
          callback();
        } catch (error) {
          callback(error as Error);
        }
      },
    }),
  );
  return reader.end();
}

/**
 * Checks what is already on disk under `root`: an entry must not be written through an existing
 * symlink (or file) in its parent chain, e.g. a checked-out `results -> /etc`.
 */
export async function destinationProblem(root: string, entries: readonly TarEntry[]): Promise<string | undefined> {
  const checked = new Map<string, boolean>();
  for (const entry of entries) {
    const parsed = entryComponents(entry.path);
    if ('problem' in parsed) return parsed.problem;
    for (let depth = 1; depth < parsed.components.length; depth++) {
      const rel = parsed.components.slice(0, depth).join('/');
      let exists = checked.get(rel);
      if (exists === undefined) {
        const stat = await lstatOrUndefined(path.join(root, rel));
        if (stat && !stat.isDirectory()) {
          return `'${rel}' in ${root} is ${stat.isSymbolicLink() ? 'a symlink' : 'not a folder'}; '${parsed.components.join('/')}' would be written through it`;
        }
        exists = stat !== undefined;
        checked.set(rel, exists);
      }
      // Nothing below a missing folder exists either.
      if (!exists) break;
    }
  }
  return undefined;
}

/** Extracts a checked archive into `root` (created if missing), as the current user. */
export async function extractArchive(file: string, root: string): Promise<void> {
  await mkdir(root, { recursive: true });
  const stat = await lstat(root);
  if (!stat.isDirectory()) throw new Error(`cannot restore into ${root}: not a folder`);
  await run('tar', ['-xzf', file, '-C', root, '--no-same-owner']);
}
