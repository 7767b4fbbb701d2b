// Claude Code, described once: what durable-agent installs, the inputs it reads, what of its state
// a checkpoint carries and where guard mode finds it.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Outputs } from '../names.js';
import { jsonSchemaRequested } from '../report/structured-output.js';
import type { AdapterContext, AgentAdapter } from './adapter.js';
import type { AgentDescription } from './agent-description.js';
import { ClaudeAdapter } from './claude.js';
import { ClaudeTranscriptReader } from './session-store-claude.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isUuid = (name: string): boolean => UUID.test(name);

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

/** Pure: Claude Code's project folder name for a working directory (every non-alphanumeric as '-'). */
export function claudeProjectName(cwd: string): string {
  return cwd.replace(/[^a-zA-Z0-9]/g, '-');
}

/** The transcript of `cwd` written last: Claude Code names each `<session id>.jsonl`. */
async function newestClaudeSession(stateDir: string, cwd: string): Promise<string | undefined> {
  const folder = path.join(stateDir, 'projects', claudeProjectName(cwd));
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return undefined;
  }
  let newest: { id: string; at: number } | undefined;
  for (const name of names) {
    const match = /^([0-9a-f-]{36})\.jsonl$/i.exec(name);
    if (!match?.[1]) continue;
    const at = (await stat(path.join(folder, name)).catch(() => undefined))?.mtimeMs ?? 0;
    if (!newest || at > newest.at) newest = { id: match[1], at };
  }
  return newest?.id;
}

export const claudeAgent = {
  name: 'claude',
  label: 'Claude Code',
  npmPackage: '@anthropic-ai/claude-code',
  executableName: 'claude',
  pinnedVersion: '2.1.331',
  inputs: { args: 'claude_args', version: 'claude_code_version', path: 'path_to_claude_code_executable' },
  // UUIDs: Claude Code refuses others for --session-id.
  sessionIdFormat: UUID,
  resumeArgs: (sessionId: string): readonly string[] => ['--resume', sessionId],
  isSessionData: isClaudeSessionData,
  defaultHome: {
    stateDir: (env: Readonly<Record<string, string | undefined>>, home: string): string => env.CLAUDE_CONFIG_DIR || path.join(home, '.claude'),
    within: '',
    exclude: [
      '/settings.json',
      '/settings.local.json',
      '/CLAUDE.md',
      '/agents',
      '/commands',
      '/hooks',
      '/plugins',
      '/skills',
      '/output-styles',
      '/statsig',
      '/ide',
      '/local',
      '/downloads',
      '/cache',
      '/debug',
      '/telemetry',
      '/*.json.backup',
      '/keybindings.json',
    ],
  },
  // Claude Code appends /v1/messages to its base URL.
  baseUrlPath: '',
  guardBaseUrlOutput: undefined,
  requestTimeoutVariable: 'API_TIMEOUT_MS',
  takesClaudeCodeInputs: true,
  stateDirOutput: Outputs.claudeConfigDir,
  structuredOutputRequested: jsonSchemaRequested,
  createAdapter: (context: AdapterContext): AgentAdapter => new ClaudeAdapter(context, claudeAgent),
  sessionStore: (root: string) => new ClaudeTranscriptReader(root),
  findSession: newestClaudeSession,
} as const satisfies AgentDescription;
