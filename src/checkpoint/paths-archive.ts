// Which files the `checkpoint_paths` globs select in a workspace.
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { walkTree, type TreeEntry, type TreeEntryKind } from './files.js';
import { folderMayHoldMatches, parseCheckpointPaths, pathSelector, staticRoot } from './safe-paths.js';

export interface ExpandedPaths {
  /** Matches, relative to the workspace, parents before children. */
  readonly entries: TreeEntry[];
  readonly problems: string[];
}

const isGitDir = (rel: string): boolean => rel.split('/').some((part) => part.toLowerCase() === '.git');

/**
 * Expands `checkpoint_paths` (newline-separated globs relative to the workspace, `!` excludes)
 * without following symlinks: a link is archived as a link. Only the folders the patterns can
 * match in (their static roots) are walked; `.git` folders never are. (Not @actions/glob: it logs
 * `::debug::` lines to stdout, which the CLI owns.)
 */
export async function expandCheckpointPaths(workspace: string, checkpointPaths: string): Promise<ExpandedPaths> {
  const { patterns, problems } = parseCheckpointPaths(checkpointPaths);
  const includes = patterns.filter((pattern) => !pattern.negate);
  if (includes.length === 0) return { entries: [], problems };
  const selected = pathSelector(patterns);
  const mayHold = folderMayHoldMatches(patterns);
  const roots = [...new Set(includes.map((pattern) => staticRoot(pattern.pattern)))].sort();
  // A root inside another root is walked with it.
  const outermost = roots.filter((root) => !roots.some((other) => other !== root && (other === '' || root.startsWith(`${other}/`))));

  const found = new Map<string, TreeEntryKind>();
  for (const root of outermost) {
    if (isGitDir(root)) continue;
    const absolute = path.join(workspace, root);
    const info = await lstat(absolute).catch(() => undefined);
    if (!info) continue;
    if (root !== '') {
      const kind: TreeEntryKind | undefined = info.isSymbolicLink() ? 'symlink' : info.isDirectory() ? 'directory' : info.isFile() ? 'file' : undefined;
      if (kind !== undefined && selected(root)) found.set(root, kind);
    }
    if (!info.isDirectory()) continue;
    const full = (rel: string): string => (root === '' ? rel : `${root}/${rel}`);
    // Folders that are neither selected nor able to hold a match are not read at all.
    const prune = (rel: string, kind: TreeEntryKind): boolean => isGitDir(rel) || (kind === 'directory' && !selected(full(rel)) && !mayHold(full(rel)));
    for (const entry of await walkTree(absolute, prune)) {
      if (selected(full(entry.rel))) found.set(full(entry.rel), entry.kind);
    }
  }
  // Sorted as text, a folder comes before everything inside it.
  const entries = [...found].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([rel, kind]) => ({ rel, kind }));
  return { entries, problems };
}
