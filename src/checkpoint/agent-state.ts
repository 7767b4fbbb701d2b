// The agent's session data from its state folder (Claude's CLAUDE_CONFIG_DIR, OpenCode's
// XDG_DATA_HOME): never its settings, hooks, plugins or credentials.
import { copyFile, mkdir, readlink, symlink } from 'node:fs/promises';
import path from 'node:path';
import { isSessionData } from './agent-config-policy.js';
import { fileHasSecret, walkTree, type TreeEntry } from './files.js';
import { globMatcher, isCredentialFile, sqliteGroupOf } from './safe-paths.js';
import { containsSecret } from './secret-scan.js';

export interface AgentStateCopy {
  /** The copy's root; archive this, not the live folder. */
  readonly root: string;
  readonly entries: TreeEntry[];
  /** Paths (relative to the state folder) left out because they hold a secret. */
  readonly secretHits: string[];
  readonly warnings: string[];
}

/**
 * Copies the agent's session data (agent-config-policy.ts; for `agent` undefined, the session data
 * of either agent, whose layouts do not overlap) into `into`, leaving out everything else
 * (settings, hooks, plugins), credential files (`.credentials.json`, `auth.json`, anything named
 * `*credentials*`), paths matching `exclude`, and files holding a secret. The copy is taken first so that what is scanned is exactly what is archived while the
 * agent may go on writing; a SQLite database is kept or dropped together with its `-wal`/`-shm`.
 */
export async function copyAgentState(
  stateDir: string,
  into: string,
  exclude: readonly string[],
  needles: readonly Buffer[],
  agent?: 'claude' | 'opencode',
): Promise<AgentStateCopy> {
  const matchers = exclude.map((pattern) => pattern.trim()).filter((pattern) => pattern !== '').map((pattern) => globMatcher(pattern));
  const sessionData = (rel: string): boolean => (agent === undefined ? isSessionData('claude', rel) || isSessionData('opencode', rel) : isSessionData(agent, rel));
  const dropped = new Set<string>();
  const listed = await walkTree(stateDir, (rel) => {
    // Not session data is not "dropped": it never belonged in a checkpoint, and a database is
    // never split by it (its -wal and -shm are session data with it).
    if (!sessionData(rel)) return true;
    const skip = isCredentialFile(rel) || matchers.some((matches) => matches(rel));
    if (skip) dropped.add(rel);
    return skip;
  });

  await mkdir(into, { recursive: true });
  const copied: TreeEntry[] = [];
  for (const entry of listed) {
    const from = path.join(stateDir, entry.rel);
    const to = path.join(into, entry.rel);
    try {
      if (entry.kind === 'directory') await mkdir(to, { recursive: true });
      else if (entry.kind === 'symlink') await symlink(await readlink(from), to);
      else await copyFile(from, to);
      copied.push(entry);
    } catch (error) {
      // The agent may delete files while we copy (temp files, rotated logs): skip those.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  const secretHits = new Set<string>();
  const warnings: string[] = [];
  const droppedFolders: string[] = [];
  const under = (rel: string): boolean => droppedFolders.some((folder) => rel.startsWith(`${folder}/`));
  // Group keys (database paths) of databases to leave out because one of their files is left out:
  // a database without its WAL (or the other way round) would restore inconsistent.
  const droppedGroups = new Set([...dropped].map(sqliteGroupOf));
  for (const entry of copied) {
    if (under(entry.rel)) continue;
    const hit = containsSecret(entry.rel, needles) || (entry.kind !== 'directory' && (await fileHasSecret(path.join(into, entry.rel), needles)));
    if (!hit) continue;
    secretHits.add(entry.rel);
    if (entry.kind === 'directory') droppedFolders.push(entry.rel);
    else droppedGroups.add(sqliteGroupOf(entry.rel));
  }

  const entries = copied.filter((entry) => {
    if (secretHits.has(entry.rel) || under(entry.rel)) return false;
    if (entry.kind === 'file' && droppedGroups.has(sqliteGroupOf(entry.rel))) {
      warnings.push(`left out '${entry.rel}' together with its SQLite database '${sqliteGroupOf(entry.rel)}'`);
      return false;
    }
    return true;
  });
  return { root: into, entries, secretHits: [...secretHits], warnings };
}
