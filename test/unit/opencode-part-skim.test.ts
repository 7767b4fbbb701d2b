import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../src/agents/events.js';
import { openCodeEvents, parseOpenCodeLine } from '../../src/agents/opencode.js';
import { renderEvent, summarizeToolInput } from '../../src/report/transcript.js';
import { LineBatcher } from '../../src/runner/line-batcher.js';

const line = (value: unknown): string => JSON.stringify(value);
const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures', 'opencode');
const base = { timestamp: 1795523701266, sessionID: 'ses_1' };

/** Tool inputs compared by what the transcript shows of them (the skim keeps only that field, when the input has one). */
const shown = (events: readonly AgentEvent[]): unknown[] => events.map((event) => (event.type === 'tool_call' ? { ...event, input: summarizeToolInput(event.input) } : event));
const parsed = (text: string): unknown[] => shown(openCodeEvents(JSON.parse(text)));
const skimmed = (text: string): unknown[] => shown(parseOpenCodeLine(Buffer.from(text)));

const tool = (state: Record<string, unknown>, part: Record<string, unknown> = {}) =>
  line({ type: 'tool_use', ...base, part: { type: 'tool', tool: 'bash', callID: 'toolu_1', state, id: 'prt_1', sessionID: 'ses_1', messageID: 'msg_1', ...part } });

describe('skimOpenCodePart: text and tool lines read from their bytes', () => {
  const same = [
    line({ type: 'text', ...base, part: { id: 'prt_2', type: 'text', text: 'He said "hi" \\ ✓ 日本 🙂\n', time: { start: 1 } } }),
    line({ type: 'text', ...base, part: { type: 'text' } }),
    tool({ status: 'completed', input: { command: 'echo "a"', description: 'd' }, output: 'a\n', metadata: { output: 'a\n', exit: 0 }, title: 't' }),
    tool({ status: 'error', input: { filePath: '/x' }, error: 'boom "quoted"', metadata: {} }),
    tool({ status: 'error', input: {}, output: 'both', error: 'kept second' }),
    tool({ status: 'running', input: { pattern: '*.ts' } }),
    tool({ status: 'pending' }),
    tool({ input: { command: 'ls' } }),
    tool({ status: 'completed', input: { todos: [{ content: 'x' }] }, output: 'ok' }),
    line({ type: 'tool_use', ...base, part: { state: { output: 'state first', input: { command: 'ls' }, status: 'completed' }, callID: 'c9', tool: 'read' } }),
    line({ type: 'tool_use', ...base, part: { tool: 'bash', callID: 'c1', state: 'not an object' } }),
  ];

  it('gives the events of the whole parse for lines within the limits', () => {
    for (const text of same) expect(skimmed(text), text).toEqual(parsed(text));
  });

  it('gives the events of the whole parse for every line of the captured OpenCode runs', () => {
    for (const name of readdirSync(FIXTURES)) {
      for (const text of readFileSync(path.join(FIXTURES, name), 'utf8').split('\n')) {
        if (text.trim() === '') continue;
        expect(skimmed(text), `${name}: ${text.slice(0, 80)}`).toEqual(shown(parseOpenCodeLine(text.replace(/\s+$/, ''))));
        if (text.startsWith('{"type":"text"') || text.startsWith('{"type":"tool_use"')) expect(skimmed(text)).toEqual(parsed(text));
      }
    }
  });

  it('reads the same events wherever the reads cut the lines', () => {
    const stream = `${same.join('\n')}\n`;
    const expected = same.flatMap(parsed);
    for (const size of [1, 3, 17, 4096]) {
      const batcher = new LineBatcher();
      const events: AgentEvent[] = [];
      const bytes = Buffer.from(stream);
      for (let at = 0; at < bytes.length; at += size) for (const lineBytes of batcher.push(Buffer.from(bytes.subarray(at, at + size))).lines) events.push(...parseOpenCodeLine(lineBytes));
      for (const lineBytes of batcher.end().lines) events.push(...parseOpenCodeLine(lineBytes));
      expect(shown(events)).toEqual(expected);
    }
  });

  it('cuts a long tool output to its start and says how much was left out', () => {
    const output = 'npm test output with "quotes" ✓\n'.repeat(10_000);
    const events = parseOpenCodeLine(Buffer.from(tool({ status: 'completed', input: { command: 'npm test' }, output, metadata: { output, exit: 1 } })));
    expect(events[0]).toEqual({ type: 'tool_call', id: 'toolu_1', name: 'bash', input: { command: 'npm test' } });
    const result = events[1];
    expect(result).toMatchObject({ type: 'tool_result', id: 'toolu_1', name: 'bash', ok: true });
    if (result?.type !== 'tool_result') return;
    expect(output.startsWith(result.output) && result.output.length >= 400 && result.output.length < 1000).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(result.output)) - 2 + (result.cutBytes ?? 0)).toBe(Buffer.byteLength(JSON.stringify(output)) - 2);
    expect(renderEvent(result)).toMatch(/… \(about \d+ KiB more\)$/);
  });

  it('leaves a line cut short, or a part that is not an object, to the whole parse', () => {
    const broken = tool({ status: 'completed', input: {}, output: 'x' }).slice(0, -5);
    expect(parseOpenCodeLine(Buffer.from(broken))).toEqual([{ type: 'not_json', line: broken }]);
    const flat = line({ type: 'text', ...base, part: 'flat' });
    expect(parseOpenCodeLine(Buffer.from(flat))).toEqual(openCodeEvents(JSON.parse(flat)));
  });
});
