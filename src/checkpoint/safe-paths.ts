// Pure checks that keep a restore inside its folder: archive entry names, link targets, patterns.
import path from 'node:path';
import type { TarEntry } from './tar-entries.js';

/** True when `child` is `parent` or below it (both absolute; compared lexically). */
export function isInside(parent: string, child: string): boolean {
  const relative = path.relative(path.resolve(parent), path.resolve(child));
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}

/**
 * The components of an archive entry name, or a reason to refuse it. Our archives name entries
 * `./a/b` (the `./` keeps a name like `-rf` from being read as an option); anything absolute, with
 * `..`, `.` or empty components is refused rather than normalised.
 */
export function entryComponents(name: string): { components: string[] } | { problem: string } {
  const trimmed = name.replace(/^(?:\.\/)+/, '').replace(/\/+$/, '');
  if (name.startsWith('/')) return { problem: `absolute path '${name}'` };
  if (trimmed === '') return { problem: `empty entry name '${name}'` };
  const components = trimmed.split('/');
  for (const component of components) {
    if (component === '..') return { problem: `'..' in '${name}'` };
    if (component === '' || component === '.') return { problem: `irregular path '${name}'` };
  }
  return { components };
}

export interface EntryCheckOptions {
  /** Absolute folder the archive is extracted into. */
  readonly root: string;
  /** Refuse `.git` components (archives extracted inside a work tree must not write git's files, e.g. hooks). */
  readonly forbidGitDirs: boolean;
  /**
   * When given, every entry must lie under one of these relative folders ('' = anywhere): the
   * static roots of the declared experiment paths.
   */
  readonly allowedRoots?: readonly string[] | undefined;
}

/** The first reason to refuse an archive's entry list, or undefined when every entry is safe. */
export function archiveEntriesProblem(entries: readonly TarEntry[], options: EntryCheckOptions): string | undefined {
  const normalized: Array<{ entry: TarEntry; key: string }> = [];
  const symlinks = new Set<string>();
  const files = new Set<string>();

  for (const entry of entries) {
    let key: string | undefined;
    for (const name of entry.names.length > 0 ? entry.names : [entry.path]) {
      const checked = entryComponents(name);
      if ('problem' in checked) return checked.problem;
      if (options.forbidGitDirs && checked.components.some((part) => part.toLowerCase() === '.git')) {
        return `entry inside a .git folder: '${name}'`;
      }
      key ??= checked.components.join('/');
    }
    if (key === undefined) return 'entry without a name';
    if (entry.type === 'other') return `unsupported entry type '${entry.typeflag}' for '${key}'`;
    // Set-id bits on restored files would hand the extracting user's rights to whatever runs them.
    if ((entry.mode & 0o6000) !== 0 && entry.type !== 'directory') return `set-id permission bits on '${key}'`;
    const allowed = options.allowedRoots;
    if (allowed && !allowed.some((root) => root === '' || key === root || key.startsWith(`${root}/`))) {
      return `entry '${key}' outside the declared paths`;
    }
    if (entry.type === 'symlink') symlinks.add(key);
    normalized.push({ entry, key });
  }

  for (const { entry, key } of normalized) {
    const parts = key.split('/');
    for (let depth = 1; depth < parts.length; depth++) {
      const ancestor = parts.slice(0, depth).join('/');
      if (symlinks.has(ancestor)) return `entry '${key}' lies under the link '${ancestor}'`;
    }
    if (entry.type === 'symlink') {
      for (const target of entry.linkTargets.length > 0 ? entry.linkTargets : [entry.linkTarget]) {
        const problem = symlinkProblem(key, target, options.root, symlinks);
        if (problem) return problem;
      }
    } else if (entry.type === 'hardlink') {
      for (const target of entry.linkTargets.length > 0 ? entry.linkTargets : [entry.linkTarget]) {
        const checked = entryComponents(target);
        if ('problem' in checked) return `hard link '${key}': ${checked.problem}`;
        if (!files.has(checked.components.join('/'))) return `hard link '${key}' to '${target}', which is not an earlier file of the archive`;
      }
    } else if (entry.type === 'file') {
      files.add(key);
    }
  }
  return undefined;
}

/**
 * Resolves a link target step by step from the link's folder; refuses targets that leave the root,
 * and targets that pass *through* another link of the archive (whose own target would change where
 * later steps land, e.g. `b -> .` then `a -> b/..`).
 */
function symlinkProblem(key: string, target: string, root: string, symlinks: ReadonlySet<string>): string | undefined {
  if (target === '') return `link '${key}' has an empty target`;
  let stack: string[];
  let rest: string;
  if (target.startsWith('/')) {
    const absolute = path.posix.normalize(target);
    const base = path.posix.normalize(root);
    if (!isInside(base, absolute)) return `link '${key}' points outside: '${target}'`;
    stack = [];
    rest = path.posix.relative(base, absolute);
  } else {
    stack = key.split('/').slice(0, -1);
    rest = target;
  }
  const steps = rest.split('/').filter((step) => step !== '' && step !== '.');
  for (const [index, step] of steps.entries()) {
    if (step === '..') {
      if (stack.length === 0) return `link '${key}' points outside: '${target}'`;
      stack.pop();
    } else {
      stack.push(step);
      if (index < steps.length - 1 && symlinks.has(stack.join('/'))) {
        return `link '${key}' -> '${target}' goes through the link '${stack.join('/')}'`;
      }
    }
  }
  return undefined;
}

/** One line of `checkpoint_paths`, split into its parts. */
export interface PathPattern {
  readonly negate: boolean;
  /** Relative to the workspace, '/'-separated. */
  readonly pattern: string;
}

/**
 * Parses the newline-separated `checkpoint_paths` input (blank lines and `#` comments skipped).
 * Patterns must stay inside the workspace: absolute ones and ones with `..` are reported and dropped.
 */
export function parseCheckpointPaths(text: string): { patterns: PathPattern[]; problems: string[] } {
  const patterns: PathPattern[] = [];
  const problems: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    const pattern = (negate ? line.slice(1) : line).replace(/^(?:\.\/)+/, '');
    if (pattern === '' || path.posix.isAbsolute(pattern) || /^[A-Za-z]:/.test(pattern)) {
      problems.push(`checkpoint path '${line}' must be relative to the workspace`);
    } else if (pattern.split('/').includes('..')) {
      problems.push(`checkpoint path '${line}' must not contain '..'`);
    } else {
      patterns.push({ negate, pattern });
    }
  }
  return { patterns, problems };
}

/** The folder a glob pattern cannot match outside of: its components before the first wildcard. */
export function staticRoot(pattern: string): string {
  const parts = pattern.split('/');
  const fixed: string[] = [];
  for (const part of parts) {
    if (/[*?[\]{}]/.test(part)) break;
    fixed.push(part);
  }
  // A pattern without wildcards names a file or a folder (with its contents): the whole path.
  return fixed.filter((part) => part !== '').join('/');
}

/**
 * A small glob matcher for exclude lists: `*` and `?` within a component, `**` across components.
 * A pattern without '/' matches a name in any folder; one with '/' matches the path from the root.
 */
export function globMatcher(pattern: string): (relativePath: string) => boolean {
  const anchored = pattern.includes('/');
  const body = pattern.replace(/^\/+/, '');
  let source = '';
  for (let index = 0; index < body.length; index++) {
    const char = body.charAt(index);
    if (char === '*') {
      if (body.charAt(index + 1) === '*') {
        const slash = body.charAt(index + 2) === '/';
        source += slash ? '(?:.*/)?' : '.*';
        index += slash ? 2 : 1;
      } else {
        source += '[^/]*';
      }
    } else if (char === '?') {
      source += '[^/]';
    } else {
      source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  const regex = new RegExp(`^${source}$`);
  return (relativePath) => (anchored ? regex.test(relativePath) : regex.test(path.posix.basename(relativePath)));
}

/** Agents' credential files, which no checkpoint may carry (Claude's `.credentials.json`, OpenCode's `auth.json`). */
export function isCredentialFile(name: string): boolean {
  const lower = path.posix.basename(name).toLowerCase();
  return lower === '.credentials.json' || lower === 'auth.json' || lower.includes('credentials');
}

// SQLite keeps a database's recent writes in side files; without them the copy is stale or corrupt.
const SQLITE_DB = /\.(?:db|sqlite|sqlite3)$/i;
const SQLITE_SIDE = /^(.*\.(?:db|sqlite|sqlite3))-(?:wal|shm|journal)$/i;

/**
 * Groups SQLite databases with their `-wal`/`-shm`/`-journal` files so they are kept or dropped
 * together: maps each path to its group's key (the database path; other files map to themselves).
 */
export function sqliteGroups(relativePaths: readonly string[]): Map<string, string> {
  const groups = new Map<string, string>();
  for (const file of relativePaths) {
    const side = SQLITE_SIDE.exec(file);
    groups.set(file, side?.[1] ?? file);
  }
  return groups;
}

export function isSqliteDatabase(file: string): boolean {
  return SQLITE_DB.test(file);
}
