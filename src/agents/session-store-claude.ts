// Claude Code's transcript: which tool results it has written to disk so far.
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { SessionStoreReader } from './session-store.js';

const transcriptLine = z.object({ message: z.object({ content: z.union([z.string(), z.array(z.unknown())]) }).loose() }).loose();
const toolResultBlock = z.object({ type: z.literal('tool_result'), tool_use_id: z.string() }).loose();

/** The tool_use ids answered by tool_result blocks in one transcript line; none for anything else. */
export function toolResultIdsOfLine(line: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return [];
  }
  const parsed = transcriptLine.safeParse(value);
  if (!parsed.success || typeof parsed.data.message.content === 'string') return [];
  return parsed.data.message.content.flatMap((block) => {
    const result = toolResultBlock.safeParse(block);
    return result.success ? [result.data.tool_use_id] : [];
  });
}

interface FileState {
  offset: number;
  /** The last line's bytes when it had no newline yet (the writer is mid-line). */
  partial: Buffer;
  readonly ids: Set<string>;
}

/**
 * Reads `$CLAUDE_CONFIG_DIR/projects/<project>/<session>.jsonl`. Claude Code sends the next model
 * request ~80 ms before the tool results it carries reach this file (a buffered writer), so the
 * turn gate polls here; each poll reads only what was appended since the previous one.
 */
export class ClaudeTranscriptReader implements SessionStoreReader {
  private readonly files = new Map<string, FileState>();

  constructor(private readonly configDir: string) {}

  async missing(toolUseIds: readonly string[], sessionId: string | undefined): Promise<string[]> {
    if (toolUseIds.length === 0) return [];
    const recorded = new Set<string>();
    for (const file of await this.transcripts(sessionId)) {
      const ids = await this.readNew(file).catch(() => undefined);
      for (const id of ids ?? []) recorded.add(id);
    }
    return toolUseIds.filter((id) => !recorded.has(id));
  }

  /** Claude Code prints each tool call as it starts: the event stream already knows the running ones. */
  running(): Promise<Array<{ name: string; id: string }>> {
    return Promise.resolve([]);
  }

  close(): void {
    this.files.clear();
  }

  /**
   * The session's transcript and its subagents' (`<session>/subagents/…/agent-*.jsonl`: a Task
   * tool's agent sends its own requests), or every session's while the session is not known yet.
   */
  private async transcripts(sessionId: string | undefined): Promise<string[]> {
    const projects = path.join(this.configDir, 'projects');
    const dirs = await readdir(projects, { withFileTypes: true }).catch(() => []);
    const found: string[] = [];
    for (const dir of dirs) {
      if (!dir.isDirectory()) continue;
      const folder = path.join(projects, dir.name);
      const names = sessionId === undefined ? (await readdir(folder).catch(() => [])).filter((name) => name.endsWith('.jsonl')) : [`${sessionId}.jsonl`];
      for (const name of names) {
        const file = path.join(folder, name);
        if (!(await stat(file).then((info) => info.isFile(), () => false))) continue;
        found.push(file);
        const subagents = path.join(folder, name.slice(0, -'.jsonl'.length), 'subagents');
        const nested = await readdir(subagents, { recursive: true }).catch(() => []);
        found.push(...nested.filter((rel) => rel.endsWith('.jsonl')).map((rel) => path.join(subagents, rel)));
      }
    }
    return found;
  }

  private async readNew(file: string): Promise<Set<string>> {
    let state = this.files.get(file);
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      // Rewritten or truncated (a compaction, a restore): read it again from the start.
      if (state === undefined || size < state.offset) {
        state = { offset: 0, partial: Buffer.alloc(0), ids: new Set() };
        this.files.set(file, state);
      }
      if (size === state.offset) return state.ids;
      const buffer = Buffer.alloc(size - state.offset);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, state.offset);
      state.offset += bytesRead;
      const text = Buffer.concat([state.partial, buffer.subarray(0, bytesRead)]);
      const lastNewline = text.lastIndexOf(0x0a);
      state.partial = Buffer.from(text.subarray(lastNewline + 1));
      if (lastNewline >= 0) {
        for (const line of text.subarray(0, lastNewline).toString('utf8').split('\n')) {
          for (const id of toolResultIdsOfLine(line)) state.ids.add(id);
        }
      }
      return state.ids;
    } finally {
      await handle.close();
    }
  }
}
