import { describe, expect, it } from 'vitest';
import { parseClaudeLine } from '../../src/agents/claude.js';
import { isRecord, leadingType, parseJsonLine, unreadLine } from '../../src/agents/events.js';
import { parseOpenCodeLine } from '../../src/agents/opencode.js';

const line = (value: unknown): string => JSON.stringify(value);
const SESSION = '5b0c6f1e-8a47-4c1f-9a55-0d6c2f1e7b3a';

describe('parseJsonLine', () => {
  it('parses an object line as it is, surrounding whitespace included', () => {
    expect(parseJsonLine('  {"type":"x"}\r')).toEqual({ ok: true, value: { type: 'x' } });
  });

  it('says a plain line, a broken object or a non-object is not an event', () => {
    expect(parseJsonLine('Error: something')).toEqual({ ok: false });
    expect(parseJsonLine('{"type":')).toEqual({ ok: false });
    expect(parseJsonLine('[1,2]')).toEqual({ ok: false });
    expect(parseJsonLine('')).toEqual({ ok: false });
  });

  it('isRecord accepts plain objects only', () => {
    expect([{}, [], null, 'x', 1].map(isRecord)).toEqual([true, false, false, false, false]);
  });
});

describe('leadingType and unreadLine: a line passed over unparsed', () => {
  it('reads the type, and a subtype right after it, from the first bytes', () => {
    expect(leadingType(Buffer.from('{"type":"stream_event","event":{"type":"x"}}'))).toEqual({ type: 'stream_event' });
    expect(leadingType(Buffer.from('{"type":"system","subtype":"hook_started","x":1}'))).toEqual({ type: 'system', subtype: 'hook_started' });
    expect(leadingType(Buffer.from('{"subtype":"init","type":"system"}'))).toBeUndefined();
    expect(leadingType(Buffer.from('{"type": "system"}'))).toBeUndefined();
    expect(leadingType(Buffer.from('{"type":"a\\"b"}'))).toBeUndefined();
    expect(leadingType(Buffer.from('{"type":"'))).toBeUndefined();
  });

  it('passes over only the types an adapter does not act on, and never a line it cannot place', () => {
    const acted = new Set(['assistant']);
    expect(unreadLine(Buffer.from('{"type":"stream_event","event":{}}'), acted)).toEqual({ type: 'other', kind: 'stream_event' });
    // Not parsed: a broken line of an unread type is still just an event of that type.
    expect(unreadLine(Buffer.from('{"type":"rate_limit_event","x":'), acted)).toEqual({ type: 'other', kind: 'rate_limit_event' });
    expect(unreadLine(Buffer.from('{"type":"assistant","message":{}}'), acted)).toBeUndefined();
    expect(unreadLine(Buffer.from('{"message":{},"type":"stream_event"}'), acted)).toBeUndefined();
  });

  it('gives both adapters the events of a full parse for the lines they act on', () => {
    expect(parseClaudeLine(line({ type: 'rate_limit_event', rate_limit_info: { status: 'allowed' } }))).toEqual([{ type: 'other', kind: 'rate_limit_event' }]);
    expect(parseOpenCodeLine(line({ type: 'reasoning', part: { text: 'hmm' } }))).toEqual([{ type: 'other', kind: 'reasoning' }]);
    expect(parseClaudeLine(line({ type: 'system', subtype: 'init', session_id: SESSION }))).toEqual([{ type: 'init', sessionId: SESSION, model: undefined, version: undefined }]);
  });
});

describe('parseClaudeLine: a cheap look at type, a schema where it matters', () => {
  it('reads init, api_retry and result through their schemas', () => {
    expect(parseClaudeLine(line({ subtype: 'init', type: 'system', session_id: SESSION, model: 'm', claude_code_version: '2.1.331', tools: [] }))).toEqual([
      { type: 'init', sessionId: SESSION, model: 'm', version: '2.1.331' },
    ]);
    expect(parseClaudeLine(line({ type: 'system', subtype: 'api_retry', attempt: 2, max_retries: 10, retry_delay_ms: 516, error_status: 529, error: 'overloaded' }))).toEqual([
      { type: 'api_retry', attempt: 2, maxRetries: 10, status: 529, error: 'overloaded', delayMs: 516 },
    ]);
    expect(parseClaudeLine(line({ type: 'result', subtype: 'success', is_error: true, api_error_status: 500, result: 'API Error: 500', num_turns: 3, session_id: SESSION }))).toEqual([
      expect.objectContaining({ type: 'result', isError: true, subtype: 'success', apiErrorStatus: 500, text: 'API Error: 500', numTurns: 3, sessionId: SESSION }),
    ]);
  });

  it('does not trust a line its schema refuses: an init without a session id is just another line', () => {
    expect(parseClaudeLine(line({ type: 'system', subtype: 'init', session_id: 42 }))).toEqual([{ type: 'other', kind: 'system/init' }]);
    expect(parseClaudeLine(line({ type: 'result', subtype: 7 }))).toEqual([{ type: 'other', kind: 'result' }]);
  });

  it('reads message lines field by field: text, tool calls, tool results and the turn end', () => {
    const assistant = line({
      type: 'assistant',
      message: { content: [{ type: 'thinking', thinking: '…' }, { type: 'text', text: 'Running it.' }, { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls' } }], stop_reason: 'tool_use' },
    });
    expect(parseClaudeLine(assistant)).toEqual([
      { type: 'text', text: 'Running it.' },
      { type: 'tool_call', id: 'toolu_1', name: 'Bash', input: { command: 'ls' } },
      { type: 'turn', reason: 'tool_use' },
    ]);
    const user = line({ type: 'user', message: { content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'a' }, { type: 'image' }, { type: 'text', text: 'b' }], is_error: true }] } });
    expect(parseClaudeLine(user)).toEqual([{ type: 'tool_result', id: 'toolu_1', ok: false, output: 'ab' }]);
  });

  it('skips malformed blocks and tells a message without content apart', () => {
    const odd = line({ type: 'assistant', message: { content: [null, 3, { type: 'tool_use', id: 1, name: 'Bash' }, { type: 'text', text: 'kept' }], stop_reason: null } });
    expect(parseClaudeLine(odd)).toEqual([{ type: 'text', text: 'kept' }]);
    expect(parseClaudeLine(line({ type: 'assistant', message: 'hello' }))).toEqual([{ type: 'other', kind: 'assistant' }]);
    expect(parseClaudeLine(line({ type: 'user', message: { content: 'a prompt' } }))).toEqual([]);
  });

  it('says what an unknown, untyped or non-object line is', () => {
    expect(parseClaudeLine(line({ type: 'stream_event', subtype: 'delta' }))).toEqual([{ type: 'other', kind: 'stream_event/delta' }]);
    expect(parseClaudeLine(line({ kind: 'x' }))).toEqual([{ type: 'other', kind: 'unknown' }]);
    expect(parseClaudeLine('not json at all')).toEqual([{ type: 'not_json', line: 'not json at all' }]);
    expect(parseClaudeLine('   ')).toEqual([]);
  });
});

describe('parseOpenCodeLine: a cheap look at type, a schema where it matters', () => {
  const base = { timestamp: 1, sessionID: 'ses_1' };

  it('reads the session, text and tool lines field by field', () => {
    expect(parseOpenCodeLine(line({ ...base, type: 'step_start', part: {} }))).toEqual([{ type: 'init', sessionId: 'ses_1' }]);
    expect(parseOpenCodeLine(line({ ...base, type: 'text', part: { text: 'hi' } }))).toEqual([{ type: 'text', text: 'hi' }]);
    expect(parseOpenCodeLine(line({ ...base, type: 'tool_use', part: { type: 'tool', tool: 'bash', callID: 'c1', state: { status: 'completed', input: { command: 'ls' }, output: 'a\n' } } }))).toEqual([
      { type: 'tool_call', id: 'c1', name: 'bash', input: { command: 'ls' } },
      { type: 'tool_result', id: 'c1', name: 'bash', ok: true, output: 'a\n' },
    ]);
    expect(parseOpenCodeLine(line({ ...base, type: 'tool_use', part: { tool: 'bash', callID: 'c1', state: { status: 'error', error: 'boom' } } }))).toEqual([
      { type: 'tool_call', id: 'c1', name: 'bash', input: undefined },
      { type: 'tool_result', id: 'c1', name: 'bash', ok: false, output: 'boom' },
    ]);
  });

  it('reads step_finish and error through their schemas', () => {
    expect(parseOpenCodeLine(line({ ...base, type: 'step_finish', part: { reason: 'stop', cost: 0.01, tokens: {} } }))).toEqual([{ type: 'turn', reason: 'stop', costUsd: 0.01 }]);
    expect(parseOpenCodeLine(line({ ...base, type: 'error', error: { name: 'APIError', data: { message: 'Internal server error', statusCode: 500, isRetryable: true } } }))).toEqual([
      { type: 'error', message: 'Internal server error', status: 500, errorType: 'APIError', retryable: true },
    ]);
    expect(parseOpenCodeLine(line({ ...base, type: 'error', error: 'flat' }))).toEqual([{ type: 'error', message: 'unreadable error event' }]);
    expect(parseOpenCodeLine(line({ ...base, type: 'step_finish', part: { cost: 'free' } }))).toEqual([{ type: 'other', kind: 'step_finish' }]);
  });

  it('says what an unknown or untyped line is', () => {
    expect(parseOpenCodeLine(line({ ...base, type: 'reasoning' }))).toEqual([{ type: 'other', kind: 'reasoning' }]);
    expect(parseOpenCodeLine(line({ type: 3 }))).toEqual([{ type: 'other', kind: 'unknown' }]);
    expect(parseOpenCodeLine('Error: {"type":"api_error"}')).toEqual([{ type: 'not_json', line: 'Error: {"type":"api_error"}' }]);
  });
});
