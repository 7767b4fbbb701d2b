import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClaudeTranscriptReader, toolResultIdsOfLine } from '../../src/agents/session-store-claude.js';
import { OpenCodeDatabaseReader } from '../../src/agents/session-store-opencode.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'session-store-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

// Shapes as Claude Code 2.1.331 writes them (keys trimmed).
const toolUseLine = (id: string): string =>
  JSON.stringify({ type: 'assistant', message: { role: 'assistant', content: [{ type: 'tool_use', id, name: 'Bash', input: { command: 'echo' } }] } });
const toolResultLine = (id: string): string =>
  JSON.stringify({ type: 'user', message: { role: 'user', content: [{ tool_use_id: id, type: 'tool_result', content: '', is_error: false }] }, toolUseResult: { stdout: '' } });

describe('ClaudeTranscriptReader', () => {
  const session = '5b0c6f1e-8a47-4c1f-9a55-0d6c2f1e7b3a';
  const transcript = (): string => path.join(root, 'projects', '-tmp-repo', `${session}.jsonl`);

  it('reads tool results only, not the calls', () => {
    expect(toolResultIdsOfLine(toolResultLine('toolu_a'))).toEqual(['toolu_a']);
    expect(toolResultIdsOfLine(toolUseLine('toolu_a'))).toEqual([]);
    expect(toolResultIdsOfLine('{"type":"user","message":{"content":"a prompt"}}')).toEqual([]);
    expect(toolResultIdsOfLine('not json')).toEqual([]);
  });

  it('sees results as they are appended, a half-written line only once it is complete', async () => {
    const reader = new ClaudeTranscriptReader(root);
    expect(await reader.missing(['toolu_a'], session)).toEqual(['toolu_a']);
    mkdirSync(path.dirname(transcript()), { recursive: true });
    writeFileSync(transcript(), `${toolUseLine('toolu_a')}\n`);
    expect(await reader.missing(['toolu_a'], session)).toEqual(['toolu_a']);
    const line = toolResultLine('toolu_a');
    appendFileSync(transcript(), line.slice(0, 20));
    expect(await reader.missing(['toolu_a'], session)).toEqual(['toolu_a']);
    appendFileSync(transcript(), `${line.slice(20)}\n${toolUseLine('toolu_b')}\n`);
    expect(await reader.missing(['toolu_a', 'toolu_b'], session)).toEqual(['toolu_b']);
    expect(await reader.missing([], session)).toEqual([]);
  });

  it("reads the session's subagent transcripts too (a Task tool's agent sends its own requests)", async () => {
    const reader = new ClaudeTranscriptReader(root);
    mkdirSync(path.dirname(transcript()), { recursive: true });
    writeFileSync(transcript(), `${toolResultLine('toolu_a')}\n`);
    const subagent = path.join(path.dirname(transcript()), session, 'subagents', 'nested', 'agent-a1b2.jsonl');
    mkdirSync(path.dirname(subagent), { recursive: true });
    writeFileSync(subagent, `${toolResultLine('toolu_sub')}\n`);
    expect(await reader.missing(['toolu_a', 'toolu_sub', 'toolu_x'], session)).toEqual(['toolu_x']);
  });

  it('names the tool calls written without their result (guard mode sees no events), oldest first', async () => {
    const reader = new ClaudeTranscriptReader(root);
    expect(await reader.running(session)).toEqual([]);
    mkdirSync(path.dirname(transcript()), { recursive: true });
    writeFileSync(transcript(), `${toolUseLine('toolu_a')}\n${toolUseLine('toolu_b')}\n`);
    expect(await reader.running(session)).toEqual([
      { name: 'Bash', id: 'toolu_a' },
      { name: 'Bash', id: 'toolu_b' },
    ]);
    appendFileSync(transcript(), `${toolResultLine('toolu_a')}\n`);
    expect(await reader.running(session)).toEqual([{ name: 'Bash', id: 'toolu_b' }]);
    expect(await reader.missing(['toolu_a', 'toolu_b'], session)).toEqual(['toolu_b']);
    appendFileSync(transcript(), `${toolResultLine('toolu_b')}\n`);
    expect(await reader.running(undefined)).toEqual([]);
  });

  it('looks in every transcript while the session is not known, and starts over on a rewritten file', async () => {
    const reader = new ClaudeTranscriptReader(root);
    mkdirSync(path.dirname(transcript()), { recursive: true });
    writeFileSync(transcript(), `${toolResultLine('toolu_a')}\n${toolResultLine('toolu_b')}\n`);
    expect(await reader.missing(['toolu_a', 'toolu_b'], undefined)).toEqual([]);
    expect(await reader.missing(['toolu_a'], 'another-session')).toEqual(['toolu_a']);
    writeFileSync(transcript(), `${toolResultLine('toolu_c')}\n`);
    expect(await reader.missing(['toolu_a', 'toolu_c'], session)).toEqual(['toolu_a']);
  });
});

describe('OpenCodeDatabaseReader', () => {
  // The part table as OpenCode 1.18.33 creates it, in WAL mode like the agent keeps it.
  function openCodeDb(): DatabaseSync {
    mkdirSync(path.join(root, 'opencode'), { recursive: true });
    const db = new DatabaseSync(path.join(root, 'opencode', 'opencode.db'));
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('CREATE TABLE part (id text PRIMARY KEY, message_id text NOT NULL, session_id text NOT NULL, time_created integer NOT NULL, time_updated integer NOT NULL, data text NOT NULL)');
    return db;
  }
  const toolPart = (db: DatabaseSync, id: string, session: string, callID: string, status: string, time: number): void => {
    db.prepare('INSERT OR REPLACE INTO part VALUES (?, ?, ?, ?, ?, ?)').run(
      id,
      'msg_1',
      session,
      time,
      time,
      JSON.stringify({ type: 'tool', tool: 'bash', callID, state: { status, input: { command: 'sleep 60' } } }),
    );
  };

  it('reports every id missing before the database exists', async () => {
    const reader = new OpenCodeDatabaseReader(root);
    expect(await reader.missing(['toolu_a'], undefined)).toEqual(['toolu_a']);
    expect(await reader.running(undefined)).toEqual([]);
  });

  it('sees finished tool parts committed by the agent, and the ones still running', async () => {
    const writer = openCodeDb();
    const reader = new OpenCodeDatabaseReader(root);
    try {
      toolPart(writer, 'prt_1', 'ses_1', 'toolu_a', 'running', 1);
      expect(await reader.missing(['toolu_a'], 'ses_1')).toEqual(['toolu_a']);
      expect(await reader.running('ses_1')).toEqual([{ name: 'bash', id: 'toolu_a' }]);
      toolPart(writer, 'prt_1', 'ses_1', 'toolu_a', 'completed', 1);
      toolPart(writer, 'prt_2', 'ses_1', 'toolu_b', 'error', 2);
      toolPart(writer, 'prt_3', 'ses_2', 'toolu_c', 'completed', 3);
      expect(await reader.missing(['toolu_a', 'toolu_b', 'toolu_c'], 'ses_1')).toEqual(['toolu_c']);
      expect(await reader.missing(['toolu_a', 'toolu_b', 'toolu_c'], undefined)).toEqual([]);
      expect(await reader.running('ses_1')).toEqual([]);
    } finally {
      reader.close();
      writer.close();
    }
  });
});
