// OpenCode, described once: what durable-agent installs, the inputs it reads, what of its state a
// checkpoint carries and where guard mode finds it.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { z } from 'zod';
import type { AdapterContext, AgentAdapter } from './adapter.js';
import type { AgentDescription } from './agent-description.js';
import { OpenCodeAdapter } from './opencode.js';
import { OpenCodeDatabaseReader } from './session-store-opencode.js';

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

const sessionRow = z.object({ id: z.string() });

/** The session of `cwd` updated last, from the database below the data home `root`. */
function newestOpenCodeSession(root: string, cwd: string): Promise<string | undefined> {
  const file = path.join(root, 'opencode', 'opencode.db');
  if (!existsSync(file)) return Promise.resolve(undefined);
  try {
    const db = new DatabaseSync(file, { readOnly: true });
    try {
      const row = db.prepare('SELECT id FROM session WHERE directory = ? AND parent_id IS NULL ORDER BY time_updated DESC LIMIT 1').get(cwd);
      const parsed = sessionRow.safeParse(row);
      return Promise.resolve(parsed.success ? parsed.data.id : undefined);
    } finally {
      db.close();
    }
  } catch {
    // Busy or a schema of another version: the session id is a convenience, the files are what count.
    return Promise.resolve(undefined);
  }
}

export const openCodeAgent = {
  name: 'opencode',
  label: 'OpenCode',
  npmPackage: 'opencode-ai',
  executableName: 'opencode',
  pinnedVersion: '1.18.33',
  inputs: { args: 'opencode_args', version: 'opencode_version', path: 'path_to_opencode_executable' },
  // `ses_` and base62.
  sessionIdFormat: /^ses_[A-Za-z0-9]{1,64}$/,
  resumeArgs: (sessionId: string): readonly string[] => ['--session', sessionId],
  isSessionData: isOpenCodeSessionData,
  defaultHome: {
    stateDir: (env: Readonly<Record<string, string | undefined>>, home: string): string => path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'opencode'),
    // The guard saves `opencode/` of the data home; durable-agent gives OpenCode a data home of its own.
    within: 'opencode',
    exclude: ['/snapshot', '/bin', '/log', '/tool-output'],
  },
  // Its @ai-sdk/anthropic appends only /messages: its ANTHROPIC_BASE_URL includes /v1.
  baseUrlPath: '/v1',
  guardBaseUrlOutput: 'opencode_base_url',
  requestTimeoutVariable: undefined,
  takesClaudeCodeInputs: false,
  stateDirOutput: undefined,
  structuredOutputRequested: (): boolean => false,
  createAdapter: (context: AdapterContext): AgentAdapter => new OpenCodeAdapter(context, openCodeAgent),
  sessionStore: (root: string) => new OpenCodeDatabaseReader(root),
  findSession: newestOpenCodeSession,
} as const satisfies AgentDescription;
