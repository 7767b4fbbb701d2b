import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { skimClaudeMessage } from '../../src/agents/claude-message-skim.js';
import { claudeEvents, parseClaudeLine } from '../../src/agents/claude.js';
import { CutText, type AgentEvent } from '../../src/agents/events.js';
import { renderEvent, summarizeToolInput } from '../../src/report/transcript.js';
import { LineBatcher } from '../../src/runner/line-batcher.js';

const line = (value: unknown): string => JSON.stringify(value);
const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures', 'claude');

/**
 * A tool call's input as the transcript shows it: the skim keeps only the field shown (when the
 * input has one), so inputs are compared by what is shown.
 */
const shown = (events: readonly AgentEvent[]): unknown[] => events.map((event) => (event.type === 'tool_call' ? { ...event, input: summarizeToolInput(event.input) } : event));
/** The events of the whole parse, the reference the skim must match. */
const parsed = (text: string): unknown[] => shown(claudeEvents(JSON.parse(text)));
const skimmed = (bytes: Buffer | string): unknown[] => shown(parseClaudeLine(bytes));

/** Feeds the text in chunks of the given sizes (cycled) and parses every line as the event path does. */
function throughBatcher(text: string, sizes: readonly number[]): unknown[] {
  const bytes = Buffer.from(text);
  const batcher = new LineBatcher();
  const events: AgentEvent[] = [];
  let at = 0;
  for (let index = 0; at < bytes.length; index++) {
    const size = sizes[index % sizes.length] ?? 1;
    // A copy, as a stream hands on fresh chunks.
    for (const lineBytes of batcher.push(Buffer.from(bytes.subarray(at, at + size))).lines) events.push(...parseClaudeLine(lineBytes));
    at += size;
  }
  for (const lineBytes of batcher.end().lines) events.push(...parseClaudeLine(lineBytes));
  return shown(events);
}

const assistant = (content: unknown, stop: string | null = null) =>
  line({ type: 'assistant', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'm', content, stop_reason: stop, stop_sequence: null, usage: { input_tokens: 1 } }, parent_tool_use_id: null, session_id: 's' });
const user = (content: unknown) =>
  line({ type: 'user', message: { role: 'user', content }, parent_tool_use_id: null, session_id: 's', tool_use_result: { stdout: 'x'.repeat(100), stderr: '' } });

describe('skimClaudeMessage: message lines read from their bytes', () => {
  const same = [
    assistant([{ type: 'text', text: 'He said "hi" \\ and left.\n✓ é 日本 🙂' }]),
    assistant([{ type: 'thinking', thinking: 'long "thoughts"', signature: 'sig' }, { type: 'text', text: 'then' }], 'end_turn'),
    assistant([{ type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'echo "a\\"b"', description: 'quote' } }], 'tool_use'),
    assistant([{ type: 'tool_use', id: 'toolu_2', name: 'TodoWrite', input: { todos: [{ content: 'x', status: 'pending' }] } }]),
    assistant([{ type: 'tool_use', id: 'toolu_3', name: 'Read', input: { file_path: '', limit: 3 } }]),
    assistant([{ name: 'Edit', input: { file_path: '/a.ts', old_string: 'a', new_string: 'b' }, id: 'toolu_4', type: 'tool_use' }]),
    assistant('a plain string content'),
    assistant('a plain string content that ends a turn', 'end_turn'),
    assistant([{ type: 'text', text: 'no stop' }], ''),
    user([{ tool_use_id: 'toolu_1', type: 'tool_result', content: 'out "quoted"\n', is_error: false }]),
    user([{ tool_use_id: 'toolu_1', type: 'tool_result', content: [{ type: 'text', text: 'a' }, { type: 'image', source: { data: 'AAAA' } }, { type: 'text', text: 'b' }], is_error: true }]),
    user([{ type: 'tool_result', tool_use_id: 'toolu_9', content: 'x', is_error: 'yes' }]),
    user([{ type: 'tool_result', tool_use_id: 'toolu_9' }, { type: 'text', text: 'ignored for users' }]),
    user('a prompt'),
    line({ message: { content: [{ type: 'text', text: 'message first' }], stop_reason: 'end_turn' }, type: 'assistant' }),
  ];

  it('gives the events of the whole parse for lines within the limits', () => {
    for (const text of same) expect(skimmed(Buffer.from(text)), text).toEqual(parsed(text));
    // A tool call keeps the whole input when it has none of the fields the transcript shows.
    expect(parseClaudeLine(same[3] ?? '')).toEqual(claudeEvents(JSON.parse(same[3] ?? '')));
  });

  it('gives the events of the whole parse for every line of the captured Claude runs', () => {
    for (const name of readdirSync(FIXTURES)) {
      for (const text of readFileSync(path.join(FIXTURES, name), 'utf8').split('\n')) {
        if (text.trim() === '') continue;
        expect(skimmed(Buffer.from(text)), `${name}: ${text.slice(0, 80)}`).toEqual(parsed(text));
      }
    }
  });

  it('reads the same events wherever the reads cut the lines, multi-byte characters and escapes included', () => {
    const stream = `${same.join('\n')}\n`;
    const expected = same.flatMap(parsed);
    for (const sizes of [[1], [2], [3], [7], [64], [5, 1, 13], [4096]]) expect(throughBatcher(stream, sizes)).toEqual(expected);
  });

  it('reads CRLF line ends', () => {
    const text = same.slice(0, 3).join('\r\n');
    expect(throughBatcher(`${text}\r\n`, [5])).toEqual(same.slice(0, 3).flatMap(parsed));
  });

  it('cuts a very long text and tool output to their start and says how much was left out', () => {
    const long = 'code with "quotes" and \\ backslashes ✓\n'.repeat(20_000);
    const [text] = parseClaudeLine(Buffer.from(assistant([{ type: 'text', text: long }])));
    const [result] = parseClaudeLine(Buffer.from(user([{ tool_use_id: 't', type: 'tool_result', content: long, is_error: true }])));
    expect(text).toMatchObject({ type: 'text' });
    expect(result).toMatchObject({ type: 'tool_result', id: 't', ok: false });
    if (text?.type !== 'text' || result?.type !== 'tool_result') return;
    expect(long.startsWith(text.text) && text.text.length >= 2000 && text.text.length < 4000).toBe(true);
    expect(long.startsWith(result.output) && result.output.length >= 400 && result.output.length < 1000).toBe(true);
    const jsonBytes = Buffer.byteLength(JSON.stringify(long)) - 2;
    expect(Buffer.byteLength(JSON.stringify(text.text)) - 2 + (text.cutBytes ?? 0)).toBe(jsonBytes);
    expect(renderEvent(result)).toMatch(/^ {2}✗ tool\n {4}code with "quotes"[^]*… \(about \d+(\.\d)? KiB more\)$/);
  });

  it('keeps of a tool input the field the transcript shows, a long one cut', () => {
    const command = `cat <<'EOF'\n${'line of a heredoc\n'.repeat(5000)}EOF`;
    const [call] = parseClaudeLine(Buffer.from(assistant([{ type: 'tool_use', id: 'toolu_5', name: 'Bash', input: { command, timeout: 5 } }])));
    expect(call).toMatchObject({ type: 'tool_call', id: 'toolu_5', name: 'Bash' });
    const input = call?.type === 'tool_call' ? (call.input as Record<string, unknown>) : {};
    expect(input.command).toBeInstanceOf(CutText);
    expect(renderEvent(call as AgentEvent)).toMatch(/^▶ Bash: cat <<'EOF'\nline of a heredoc[^]*… \(about \d+(\.\d)? KiB more\)$/);
  });

  it('agrees with the whole parse on random messages: any character in any string, texts long and short', () => {
    let seed = 42;
    const random = (below: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % below;
    };
    const alphabet = ['a', 'Z', ' ', '\n', '"', '\\', '/', '\t', '\u0001', 'é', '✓', '日', '🙂', '\u2028', '{', '}', '[', ']', ',', ':'];
    const text = (length: number): string => Array.from({ length }, () => alphabet[random(alphabet.length)]).join('');
    for (let round = 0; round < 300; round++) {
      const long = random(4) === 0;
      const size = long ? 500 + random(5000) : random(40);
      const block = [
        { type: 'text', text: text(size) },
        { type: 'tool_use', id: `toolu_${text(5)}`, name: text(4), input: random(2) === 0 ? { command: text(size), [text(3)]: text(3) } : { [text(3)]: [text(3)] } },
        { type: 'tool_result', tool_use_id: text(6), content: random(2) === 0 ? text(size) : [{ type: 'text', text: text(size) }], is_error: random(2) === 0 },
      ][random(3)];
      const value = { type: random(2) === 0 ? 'assistant' : 'user', message: { [text(3)]: text(5), content: [block], stop_reason: random(2) === 0 ? null : text(3) }, [text(4)]: text(size) };
      const lineText = JSON.stringify(value);
      const skimmedEvents = parseClaudeLine(Buffer.from(lineText));
      const parsedEvents = claudeEvents(value);
      expect(skimmedEvents.length, lineText).toBe(parsedEvents.length);
      skimmedEvents.forEach((event, index) => {
        const reference = parsedEvents[index];
        if ((event.type === 'text' && event.cutBytes) || (event.type === 'tool_result' && event.cutBytes)) {
          const whole = reference?.type === 'text' ? reference.text : reference?.type === 'tool_result' ? reference.output : '';
          const start = event.type === 'text' ? event.text : event.output;
          expect(whole.startsWith(start), lineText).toBe(true);
          expect(Buffer.byteLength(JSON.stringify(start)) - 2 + (event.cutBytes ?? 0)).toBe(Buffer.byteLength(JSON.stringify(whole)) - 2);
        } else if (event.type === 'tool_call' && summarizeToolInput(event.input).includes('… (about ')) {
          // A long field of the input: the transcript shows the same start.
          const summary = summarizeToolInput(event.input);
          expect(summarizeToolInput(reference?.type === 'tool_call' ? reference.input : undefined).startsWith(summary.slice(0, summary.indexOf('… (about ')))).toBe(true);
        } else {
          expect(shown([event]), lineText).toEqual(shown([reference as AgentEvent]));
        }
      });
    }
  });

  it('leaves to the whole parse what it does not read: a line cut short, no message, content of another kind', () => {
    expect(skimClaudeMessage('assistant', Buffer.from(assistant([{ type: 'text', text: 'x' }]).slice(0, -10)))).toBeUndefined();
    expect(skimClaudeMessage('assistant', Buffer.from(line({ type: 'assistant' })))).toBeUndefined();
    expect(skimClaudeMessage('assistant', Buffer.from(line({ type: 'assistant', message: { content: 3 } })))).toBeUndefined();
    expect(skimClaudeMessage('assistant', Buffer.from(line({ type: 'assistant', message: 'hello' })))).toBeUndefined();
    // Through the adapter, the whole parse then decides: a broken line is not JSON.
    const broken = assistant([{ type: 'text', text: 'x' }]).slice(0, -10);
    expect(parseClaudeLine(Buffer.from(broken))).toEqual([{ type: 'not_json', line: broken }]);
  });

  it('says a line that is not JSON is one, and passes over a blank one', () => {
    expect(parseClaudeLine(Buffer.from('Error: the agent printed this'))).toEqual([{ type: 'not_json', line: 'Error: the agent printed this' }]);
    expect(parseClaudeLine(Buffer.from('{"type":"assistant","message":{"content":[{"type":"text","text":"x"}]} trailing'))).toEqual([
      { type: 'not_json', line: '{"type":"assistant","message":{"content":[{"type":"text","text":"x"}]} trailing' },
    ]);
    expect(parseClaudeLine(Buffer.from(' \t'))).toEqual([]);
  });
});
