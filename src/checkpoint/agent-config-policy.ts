// What of an agent's state folder a checkpoint may carry: its session data, never its settings.
// A checkpoint is data, never code: settings, hooks, MCP servers, plugins, commands and agents
// decide what runs on the runner, so a checkpoint that brought them back would let whoever wrote
// it (an earlier attempt of the agent, or anyone who can write the store) run code in every later
// run. An allow-list, so that a folder a new CLI version adds stays out until it is judged.

/**
 * Claude Code's state folder (CLAUDE_CONFIG_DIR), as measured with 2.1.331: what `--resume` needs
 * and what the session wrote for itself.
 * - `projects/<cwd>/<session>.jsonl`: the transcript; `projects/<cwd>/<session>/`: the session's
 *   subagent transcripts and stored tool results; `projects/<cwd>/memory/`: notes the agent keeps
 *   for itself (text it reads, like the transcript).
 * - `todos/`, `file-history/` (checkpoints of edited files, for rewind), `plans/`.
 * Left out: `settings*.json`, `.claude.json` (MCP servers, per-project trust, onboarding),
 * `backups/` (copies of it), `plugins/`, `hooks/`, `commands/`, `agents/`, `skills/`,
 * `output-styles/`, `CLAUDE.md` (instructions for every session), `.credentials.json`, and
 * `shell-snapshots/` and `session-env/`: Claude Code sources them before each Bash command, so they
 * are code. Also `sessions/` (live process registry), `statsig/`, `debug/`, `ide/`, caches.
 */
function isClaudeSessionData(parts: readonly string[]): boolean {
  const [top, project, name] = parts;
  switch (top) {
    case 'projects':
      if (project === undefined || name === undefined) return true;
      if (parts.length === 3) return name.endsWith('.jsonl') || name === 'memory' || isUuid(name);
      return name === 'memory' || isUuid(name);
    case 'todos':
    case 'file-history':
    case 'plans':
      return true;
    default:
      return false;
  }
}

/**
 * OpenCode's data folder (XDG_DATA_HOME), as measured with 1.18.33: `opencode/opencode.db` with
 * its `-wal`/`-shm` (sessions, messages, parts) and `opencode/storage/` (the JSON session store of
 * older versions). Left out: `auth.json` (credentials), `snapshot/` (its own git snapshots of the
 * work tree, large and rebuilt), `bin/`, `log/`, `repos/`; its configuration lives in
 * XDG_CONFIG_HOME, which is never saved.
 */
function isOpenCodeSessionData(parts: readonly string[]): boolean {
  const [top, name] = parts;
  if (top !== 'opencode') return false;
  if (name === undefined) return true;
  if (/^opencode\.db(?:-wal|-shm|-journal)?$/.test(name)) return parts.length === 2;
  return name === 'storage';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isUuid = (name: string): boolean => UUID.test(name);

/**
 * Whether a path of the agent's state folder (relative, '/'-separated; folders too, since a kept
 * file needs its parents) is session data that a checkpoint may save and restore.
 */
export function isSessionData(agent: 'claude' | 'opencode', relativePath: string): boolean {
  const parts = relativePath.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.length === 0 || parts.includes('..')) return false;
  return agent === 'claude' ? isClaudeSessionData(parts) : isOpenCodeSessionData(parts);
}

/**
 * Agent configuration inside the work tree, in any folder (the agent may run in a subfolder):
 * what decides which tools, hooks, MCP servers, commands, subagents and plugins run. `.claude/`
 * holds settings, hooks, commands, agents, skills and output styles; `.opencode/` its agents,
 * commands, plugins and tools. CLAUDE.md and AGENTS.md are not in it: they are text the model
 * reads, like any file of the repository, and editing them is ordinary work the next run should see.
 */
export function isWorkTreeAgentConfig(relativePath: string): boolean {
  const parts = relativePath.split('/').filter((part) => part !== '' && part !== '.');
  const name = parts.at(-1);
  if (name === undefined) return false;
  if (parts.includes('.claude') || parts.includes('.opencode')) return true;
  return name === '.mcp.json' || /^opencode\.jsonc?$/.test(name);
}
