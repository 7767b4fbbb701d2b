// Pure checks that keep a restore inside its folder: archive entry names, link targets, patterns.
import path from 'node:path';
import picomatch from 'picomatch';
import type { TarEntry } from './tar-entry.js';

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
 * A glob matcher (picomatch: `*`, `?`, `[...]`, braces such as `*.{ckpt,pt}`, `**` across
 * folders); a trailing `/**` also matches the folder itself, and dot files match like any other.
 * Anchored patterns match the whole relative path; unanchored ones (the default for patterns
 * without '/', as in exclude lists) match a name in any folder.
 */
export function globMatcher(pattern: string, options: { anchored?: boolean } = {}): (relativePath: string) => boolean {
  const anchored = options.anchored ?? pattern.includes('/');
  // picomatch reads `[!x]` as "! or x"; the shell (and our users) mean "not x".
  const body = pattern.replace(/^\/+/, '').replace(/\/+$/, '').replace(/\[!/g, '[^');
  const matches = picomatch(body, { dot: true });
  return (relativePath) => matches(anchored ? relativePath : path.posix.basename(relativePath));
}

/**
 * Whether a workspace path is selected by `checkpoint_paths`: patterns apply in order, the last
 * one that matches the path (or a folder above it: a matched folder brings its contents) decides.
 */
export function pathSelector(patterns: readonly PathPattern[]): (relativePath: string) => boolean {
  const compiled = patterns.map((pattern) => ({ negate: pattern.negate, matches: globMatcher(pattern.pattern, { anchored: true }) }));
  return (relativePath) => {
    const parts = relativePath.split('/');
    const selfAndAncestors = parts.map((_, index) => parts.slice(0, index + 1).join('/'));
    let selected = false;
    for (const { negate, matches } of compiled) if (selfAndAncestors.some(matches)) selected = !negate;
    return selected;
  };
}

/**
 * Whether anything below a folder can match one of the include patterns, judged component by
 * component, so that expanding `*.ckpt` reads one folder and not the whole workspace.
 */
export function folderMayHoldMatches(patterns: readonly PathPattern[]): (folder: string) => boolean {
  const includes = patterns
    .filter((pattern) => !pattern.negate)
    .map((pattern) => pattern.pattern.replace(/\/+$/, '').split('/').map((part) => (part === '**' ? undefined : globMatcher(part, { anchored: true }))));
  return (folder) => {
    const parts = folder.split('/');
    return includes.some((components) => {
      for (const [index, part] of parts.entries()) {
        const component = components[index];
        if (index >= components.length) return false;
        if (component === undefined) return true;
        if (!component(part)) return false;
      }
      return parts.length < components.length;
    });
  };
}

/** Agents' credential files, which no checkpoint may carry (Claude's `.credentials.json`, OpenCode's `auth.json`). */
export function isCredentialFile(name: string): boolean {
  const lower = path.posix.basename(name).toLowerCase();
  return lower === '.credentials.json' || lower === 'auth.json' || lower.includes('credentials');
}

// SQLite keeps a database's recent writes in side files; without them the copy is stale or corrupt.
const SQLITE_SIDE = /^(.*\.(?:db|sqlite|sqlite3))-(?:wal|shm|journal)$/i;

/**
 * The database a path belongs with: `x.db-wal`, `x.db-shm` and `x.db-journal` map to `x.db`, which
 * (like every other path) maps to itself. Files of one group are kept or dropped together.
 */
export function sqliteGroupOf(relativePath: string): string {
  return SQLITE_SIDE.exec(relativePath)?.[1] ?? relativePath;
}

/**
 * The include patterns of `checkpoint_paths` that select none of `paths` (relative to the
 * workspace): a typo or an output that was never written, worth a warning since it is silent
 * otherwise. A pattern matches a path when it matches the path or a folder above it.
 */
export function patternsWithoutMatches(patterns: readonly PathPattern[], paths: readonly string[]): string[] {
  return patterns
    .filter((pattern) => !pattern.negate)
    .filter((pattern) => {
      const matches = globMatcher(pattern.pattern, { anchored: true });
      return !paths.some((rel) => {
        const parts = rel.split('/');
        return parts.some((_, index) => matches(parts.slice(0, index + 1).join('/')));
      });
    })
    .map((pattern) => pattern.pattern);
}
