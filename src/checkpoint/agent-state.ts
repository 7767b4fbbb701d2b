// The agent's state folder (Claude's CLAUDE_CONFIG_DIR, OpenCode's XDG_DATA_HOME) minus credentials.
import { AGENTS } from '../agents/registry.js';
import { isSessionData } from './agent-config-policy.js';
import { walkTree, type TreeEntry } from './files.js';
import { globMatcher, isCredentialFile, sqliteGroupOf } from './safe-paths.js';

/** Which paths of the state folder (files and their folders) are saved: session data only (agent-config-policy.ts). */
export type AgentStateFilter = (relativePath: string) => boolean;

/** The default when the agent is not named: the session data of either agent (their layouts do not overlap). */
export const anyAgentSessionData: AgentStateFilter = (relativePath) => AGENTS.some((agent) => isSessionData(agent, relativePath));

/**
 * The entries of the state folder a checkpoint takes: credential files (`.credentials.json`,
 * `auth.json`, anything named `*credentials*`), paths matching `exclude`, and paths the `keep`
 * filter refuses are left out. Returns the entries and the paths left out.
 */
export async function listAgentState(stateDir: string, exclude: readonly string[], keep: AgentStateFilter = anyAgentSessionData): Promise<{ entries: TreeEntry[]; dropped: string[] }> {
  const matchers = exclude.map((pattern) => pattern.trim()).filter((pattern) => pattern !== '').map((pattern) => globMatcher(pattern));
  const dropped: string[] = [];
  const entries = await walkTree(stateDir, (rel) => {
    // What the filter refuses never belonged in a checkpoint (settings, hooks): it is not "dropped",
    // so it never takes a database's -wal or -shm, which are session data, down with it.
    if (!keep(rel)) return true;
    const skip = isCredentialFile(rel) || matchers.some((matches) => matches(rel));
    if (skip) dropped.push(rel);
    return skip;
  });
  return { entries, dropped };
}

/**
 * Drops the other files of a SQLite database of which one file was left out (`x.db` with its
 * `-wal`/`-shm`): a database without its WAL, or the other way round, would restore inconsistent.
 */
export function withoutBrokenDatabases<T extends { path: string }>(entries: readonly T[], leftOut: readonly string[]): { kept: T[]; warnings: string[] } {
  const groups = new Set(leftOut.map(sqliteGroupOf));
  const warnings: string[] = [];
  const kept = entries.filter((entry) => {
    if (!groups.has(sqliteGroupOf(entry.path))) return true;
    warnings.push(`left out '${entry.path}' together with its SQLite database '${sqliteGroupOf(entry.path)}'`);
    return false;
  });
  return { kept, warnings };
}
