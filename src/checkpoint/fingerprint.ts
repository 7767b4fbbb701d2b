// A cheap "did anything change since the last checkpoint?" check: equal strings, no save.
import { createHash } from 'node:crypto';
import { lstatSync } from 'node:fs';
import path from 'node:path';
import { git, run, gitEnv } from './exec.js';
import { walkTree } from './files.js';
import { expandCheckpointPaths } from './paths-archive.js';

/**
 * A fingerprint of the work tree and the experiment outputs: HEAD, the branch, `git status` (which
 * names every changed and untracked file), and size + mtime of those files and of every file the
 * `checkpointPaths` globs and `extraDirs` hold. Status alone would miss a second edit of an
 * already modified file; stat alone would miss commits. Nothing is hashed but the listing.
 */
export async function workspaceFingerprint(workspace: string, checkpointPaths = '', extraDirs: readonly string[] = []): Promise<string> {
  // One git start for the root, HEAD and the branch ("HEAD" when detached); each start costs milliseconds.
  const described = await git(workspace, ['rev-parse', '--show-toplevel', 'HEAD', '--symbolic-full-name', 'HEAD'])
    .then((output) => output.split('\n'))
    .catch(() => undefined);
  const top = described?.[0] ?? (await git(workspace, ['rev-parse', '--show-toplevel']));
  const head = described?.[1] ?? 'no-head';
  const branch = described?.[2] ?? 'detached';
  // GIT_OPTIONAL_LOCKS=0 (from gitEnv): status must not refresh and rewrite the user's index.
  const { stdout } = await run('git', ['status', '--porcelain=v2', '-z', '--untracked-files=all'], { cwd: top, env: gitEnv() });
  const status = stdout.toString('utf8');
  const parts = [`head ${head}`, `branch ${branch}`, `status ${status}`];
  // A turn of the event loop between batches: the proxy shares it while the agent runs.
  const statLines = async (root: string, rels: readonly string[]): Promise<void> => {
    for (const [index, rel] of rels.entries()) {
      if (index % STAT_BATCH === STAT_BATCH - 1) await new Promise((resolve) => setImmediate(resolve));
      parts.push(statLine(root, rel));
    }
  };
  await statLines(top, statusPaths(status));
  const expanded = await expandCheckpointPaths(workspace, checkpointPaths);
  await statLines(workspace, expanded.entries.filter((entry) => entry.kind !== 'directory').map((entry) => entry.rel));
  for (const dir of extraDirs) {
    parts.push(`dir ${dir}`);
    const entries = await walkTree(dir).catch(() => []);
    await statLines(dir, entries.filter((entry) => entry.kind !== 'directory').map((entry) => entry.rel));
  }
  return fingerprintOf(parts);
}

/** The paths `git status --porcelain=v2 -z` names (changed, renamed from/to, unmerged, untracked, ignored). */
export function statusPaths(output: string): string[] {
  const records = output.split('\0');
  const paths: string[] = [];
  for (let index = 0; index < records.length; index++) {
    const record = records[index] ?? '';
    const kind = record.charAt(0);
    // Fields before the path: ordinary 8, renamed/copied 9 (the original path is the next record), unmerged 10.
    const fields = kind === '1' ? 8 : kind === '2' ? 9 : kind === 'u' ? 10 : kind === '?' || kind === '!' ? 1 : -1;
    if (fields < 0) continue;
    const file = record.split(' ').slice(fields).join(' ');
    if (file !== '') paths.push(file);
    if (kind === '2') {
      index += 1;
      const original = records[index];
      if (original) paths.push(original);
    }
  }
  return paths;
}

/** Folds the parts into one string; equal parts, equal fingerprint. */
export function fingerprintOf(parts: readonly string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex');
}

const STAT_BATCH = 2000;

// Synchronous: a few thousand stats take a few ms this way, and far longer through the thread pool.
function statLine(root: string, rel: string): string {
  try {
    const stat = lstatSync(path.join(root, rel), { bigint: true });
    return `stat ${rel} ${stat.size} ${stat.mtimeNs} ${stat.mode}`;
  } catch {
    return `stat ${rel} missing`;
  }
}
