// A cheap "did anything change since the last checkpoint?" check: equal strings, no save.
import { createHash } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import path from 'node:path';
import { git, run, gitEnv } from './exec.js';
import { lstatNow, statBatchTurn, walkTree } from './files.js';
import { expandCheckpointPaths } from './paths-archive.js';

/**
 * One `git status` of the work tree and the lstat of every path it names, as the no-change check
 * took them. A save that runs right after the check, while the work tree cannot change (the agent
 * held at a turn boundary), takes this instead of running status and the stats again.
 */
export interface WorkTreeStatus {
  readonly top: string;
  /** HEAD when status ran: status is relative to it, so a save at another HEAD takes its own. */
  readonly head: string;
  /** `git status --porcelain=v2 -z --untracked-files=all --no-renames`. */
  readonly output: string;
  /** lstat of each path the output names; undefined when it does not exist. */
  readonly stats: ReadonlyMap<string, BigIntStats | undefined>;
}

export interface WorkspaceCheck {
  readonly fingerprint: string;
  /** Undefined when the checkout has no HEAD. */
  readonly status: WorkTreeStatus | undefined;
}

/**
 * A fingerprint of the work tree and the experiment outputs: HEAD, the branch, `git status` (which
 * names every changed and untracked file), and size + mtime of those files and of every file the
 * `checkpointPaths` globs and `extraDirs` hold. Status alone would miss a second edit of an
 * already modified file; stat alone would miss commits. Nothing is hashed but the listing.
 */
export async function workspaceFingerprint(workspace: string, checkpointPaths = '', extraDirs: readonly string[] = []): Promise<string> {
  return (await checkWorkspaceState(workspace, checkpointPaths, extraDirs)).fingerprint;
}

/** The fingerprint, and the status and stats it was made of (see WorkTreeStatus). */
export async function checkWorkspaceState(workspace: string, checkpointPaths = '', extraDirs: readonly string[] = []): Promise<WorkspaceCheck> {
  // GIT_OPTIONAL_LOCKS=0 (from gitEnv): status must not refresh and rewrite the user's index.
  // The save's own arguments, so that a save can take this output as it is. It runs alongside
  // rev-parse (each git start costs milliseconds); its paths are relative to the root wherever it runs.
  const statusRun = run('git', ['status', '--porcelain=v2', '-z', '--untracked-files=all', '--no-renames'], { cwd: workspace, env: gitEnv() });
  statusRun.catch(() => undefined);
  // One git start for the root, HEAD and the branch ("HEAD" when detached).
  const described = await git(workspace, ['rev-parse', '--show-toplevel', 'HEAD', '--symbolic-full-name', 'HEAD'])
    .then((output) => output.split('\n'))
    .catch(() => undefined);
  const top = described?.[0] ?? (await git(workspace, ['rev-parse', '--show-toplevel']));
  const head = described?.[1] ?? 'no-head';
  const branch = described?.[2] ?? 'detached';
  const status = (await statusRun).stdout.toString('utf8');
  const parts = [`head ${head}`, `branch ${branch}`, `status ${status}`];
  const stats = new Map<string, BigIntStats | undefined>();
  // A turn of the event loop between batches: the proxy shares it while the agent runs.
  const statLines = async (root: string, rels: readonly string[], keep?: Map<string, BigIntStats | undefined>): Promise<void> => {
    for (const [index, rel] of rels.entries()) {
      await statBatchTurn(index);
      const info = lstatNow(path.join(root, rel));
      keep?.set(rel, info);
      parts.push(info === undefined ? `stat ${rel} missing` : `stat ${rel} ${info.size} ${info.mtimeNs} ${info.mode}`);
    }
  };
  await statLines(top, statusPaths(status), stats);
  const expanded = await expandCheckpointPaths(workspace, checkpointPaths);
  await statLines(workspace, expanded.entries.filter((entry) => entry.kind !== 'directory').map((entry) => entry.rel));
  for (const dir of extraDirs) {
    parts.push(`dir ${dir}`);
    const entries = await walkTree(dir).catch(() => []);
    await statLines(dir, entries.filter((entry) => entry.kind !== 'directory').map((entry) => entry.rel));
  }
  const fingerprint = fingerprintOf(parts);
  return { fingerprint, status: described === undefined ? undefined : { top, head, output: status, stats } };
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

