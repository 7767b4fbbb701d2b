// OpenCode's SQLite session store: which tool calls it has recorded as finished.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { z } from 'zod';
import type { SessionStoreReader } from './session-store.js';

const partRow = z.object({ call: z.string().nullable(), status: z.string().nullable() });
const runningRow = z.object({ call: z.string(), tool: z.string() });
/** A tool part in one of these states has its result in the store (what the next request carries). */
const FINISHED = new Set(['completed', 'error']);

/**
 * Reads `$XDG_DATA_HOME/opencode/opencode.db` read-only: OpenCode keeps it in WAL mode, so a
 * reader sees every committed write without blocking the agent and without checkpointing the WAL
 * (which would change the files a checkpoint copies). Opened on first use, since the database
 * appears only once the agent has started.
 */
export class OpenCodeDatabaseReader implements SessionStoreReader {
  private db: DatabaseSync | undefined;

  constructor(private readonly dataHome: string) {}

  get file(): string {
    return path.join(this.dataHome, 'opencode', 'opencode.db');
  }

  missing(toolUseIds: readonly string[], sessionId: string | undefined): Promise<string[]> {
    if (toolUseIds.length === 0) return Promise.resolve([]);
    try {
      const db = this.connection();
      if (db === undefined) return Promise.resolve([...toolUseIds]);
      const marks = toolUseIds.map(() => '?').join(', ');
      const session = sessionId === undefined ? '' : 'session_id = ? AND ';
      const rows = db
        .prepare(
          `SELECT json_extract(data, '$.callID') AS call, json_extract(data, '$.state.status') AS status FROM part ` +
            `WHERE ${session}json_extract(data, '$.type') = 'tool' AND json_extract(data, '$.callID') IN (${marks})`,
        )
        .all(...(sessionId === undefined ? [] : [sessionId]), ...toolUseIds);
      const finished = new Set<string>();
      for (const row of rows) {
        const parsed = partRow.safeParse(row);
        if (parsed.success && parsed.data.call !== null && FINISHED.has(parsed.data.status ?? '')) finished.add(parsed.data.call);
      }
      return Promise.resolve(toolUseIds.filter((id) => !finished.has(id)));
    } catch {
      // Busy, mid-migration or not created yet: the caller polls again or gives up on its deadline.
      this.close();
      return Promise.resolve([...toolUseIds]);
    }
  }

  /** OpenCode prints a tool call only when it has ended; a running one is in the store already. */
  running(sessionId: string | undefined): Promise<Array<{ name: string; id: string }>> {
    try {
      const db = this.connection();
      if (db === undefined) return Promise.resolve([]);
      const session = sessionId === undefined ? '' : 'session_id = ? AND ';
      const rows = db
        .prepare(
          `SELECT json_extract(data, '$.callID') AS call, json_extract(data, '$.tool') AS tool FROM part ` +
            `WHERE ${session}json_extract(data, '$.type') = 'tool' AND json_extract(data, '$.state.status') IN ('pending', 'running') ORDER BY time_created`,
        )
        .all(...(sessionId === undefined ? [] : [sessionId]));
      return Promise.resolve(
        rows.flatMap((row) => {
          const parsed = runningRow.safeParse(row);
          return parsed.success ? [{ name: parsed.data.tool, id: parsed.data.call }] : [];
        }),
      );
    } catch {
      this.close();
      return Promise.resolve([]);
    }
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }

  private connection(): DatabaseSync | undefined {
    if (this.db !== undefined) return this.db;
    if (!existsSync(this.file)) return undefined;
    this.db = new DatabaseSync(this.file, { readOnly: true, timeout: 50 });
    return this.db;
  }
}
