import { describe, expect, it } from 'vitest';
import { createTurnGate, isMessagesPath, turnRequestOf, type TurnRequest } from '../../src/proxy/turn-gate.js';

const tools = [{ name: 'Bash', input_schema: { type: 'object' } }];
const body = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

describe('isMessagesPath', () => {
  it.each(['/v1/messages', '/v1/messages?beta=true', '/gateway/v1/messages'])('%s is a model request', (path) => expect(isMessagesPath(path)).toBe(true));
  it.each(['/v1/messages/count_tokens', '/v1/models', '/', '/v1/messages2'])('%s is not', (path) => expect(isMessagesPath(path)).toBe(false));
});

describe('turnRequestOf', () => {
  it('reads the tool results of the trailing user message (both CLIs send them so)', () => {
    const request = body({
      tools,
      messages: [
        { role: 'user', content: 'go' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_a', name: 'Bash', input: {} }, { type: 'tool_use', id: 'toolu_b', name: 'Bash', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_a', content: 'ok' }, { type: 'tool_result', tool_use_id: 'toolu_b', is_error: true }, { type: 'text', text: 'note' }] },
      ],
    });
    expect(turnRequestOf(request)).toEqual({ toolUseIds: ['toolu_a', 'toolu_b'] });
  });

  it('is a turn without results when the last message is a prompt', () => {
    expect(turnRequestOf(body({ tools, messages: [{ role: 'user', content: 'go' }] }))).toEqual({ toolUseIds: [] });
  });

  it('is no turn when the request offers no tools (titles, summaries run beside the agent)', () => {
    expect(turnRequestOf(body({ messages: [{ role: 'user', content: 'title this' }] }))).toBeUndefined();
    expect(turnRequestOf(body({ tools: [], messages: [] }))).toBeUndefined();
  });

  it('is no turn for a body that is not a Messages request', () => {
    expect(turnRequestOf(Buffer.from('not json'))).toBeUndefined();
    expect(turnRequestOf(body({ prompt: 'x' }))).toBeUndefined();
  });
});

describe('createTurnGate', () => {
  const turn = body({ tools, messages: [{ role: 'user', content: 'go' }] });

  it('asks before parsing and holds only when a checkpoint is wanted', async () => {
    const seen: TurnRequest[] = [];
    let wanted = false;
    const gate = createTurnGate({ wants: () => wanted, atBoundary: (request) => Promise.resolve(void seen.push(request)) });
    await gate.beforeForward({ body: turn, path: '/v1/messages' });
    expect(seen).toHaveLength(0);
    wanted = true;
    await gate.beforeForward({ body: turn, path: '/v1/messages/count_tokens' });
    expect(seen).toHaveLength(0);
    await gate.beforeForward({ body: turn, path: '/v1/messages?beta=true' });
    expect(seen).toEqual([{ toolUseIds: [] }]);
  });

  it('makes a request that arrives during a hold wait for it, and never fails a request', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const order: string[] = [];
    const gate = createTurnGate({
      wants: () => true,
      atBoundary: async () => {
        await held;
        order.push('checkpoint');
        throw new Error('a failed checkpoint');
      },
    });
    const first = gate.beforeForward({ body: turn, path: '/v1/messages' }).then(() => order.push('first'));
    const second = gate.beforeForward({ body: turn, path: '/v1/messages' }).then(() => order.push('second'));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(order).toEqual([]);
    release();
    await Promise.all([first, second]);
    expect(order[0]).toBe('checkpoint');
    expect(order.slice(1).sort()).toEqual(['first', 'second']);
  });
});
