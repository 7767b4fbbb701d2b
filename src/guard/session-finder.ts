import { readdir, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { z } from 'zod';
import type { AgentName } from '../settings/settings.js';
import { claudeProjectName } from './agent-home.js';

// The guard does not see the agent's events, so the session a checkpoint holds is read from the
// agent's own store: the newest one of the working directory.

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

const sessionRow = z.object({ id: z.string() });

function newestOpenCodeSession(stateDir: string, cwd: string): string | undefined {
  const file = path.join(stateDir, 'opencode.db');
  if (!existsSync(file)) return undefined;
  try {
    const db = new DatabaseSync(file, { readOnly: true });
    try {
      const row = db.prepare('SELECT id FROM session WHERE directory = ? AND parent_id IS NULL ORDER BY time_updated DESC LIMIT 1').get(cwd);
      const parsed = sessionRow.safeParse(row);
      return parsed.success ? parsed.data.id : undefined;
    } finally {
      db.close();
    }
  } catch {
    // Busy or a schema of another version: the session id is a convenience, the files are what count.
    return undefined;
  }
}

export async function findSession(agent: AgentName, stateDir: string, cwd: string): Promise<string | undefined> {
  return agent === 'claude' ? newestClaudeSession(stateDir, cwd) : newestOpenCodeSession(stateDir, cwd);
}
