import { afterEach, describe, expect, it } from 'vitest';
import { startModelApi } from './model-api.js';
import type { Fault, ModelApi, ScriptOptions } from './model-api.js';

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

const BASH_TOOL = { name: 'Bash', description: 'Run a command', input_schema: { type: 'object' } };

function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((chunk) => chunk.trim() !== '')
    .map((chunk) => {
      const event = /^event: (.*)$/m.exec(chunk)?.[1] ?? '';
      const data = /^data: (.*)$/m.exec(chunk)?.[1] ?? '{}';
      return { event, data: JSON.parse(data) as Record<string, unknown> };
    });
}

interface Conversation {
  messages: unknown[];
  tools?: unknown[];
  stream?: boolean;
}

function conversation(messages: unknown[], extra: Partial<Conversation> = {}): Conversation {
  return { messages, tools: [BASH_TOOL], stream: false, ...extra };
}

function toolRound(id: string): unknown[] {
  return [
    { role: 'assistant', content: [{ type: 'tool_use', id, name: 'Bash', input: { command: 'true' } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: 'ok' }] },
  ];
}

const prompt = { role: 'user', content: 'do the task' };

// Typed as unknown so matchers can sit inside typed objects without leaking `any`.
function aNumber(): unknown {
  return expect.any(Number);
}

describe('startModelApi', () => {
  const open: ModelApi[] = [];
  async function start(script: ScriptOptions = { steps: 3 }, faults?: Fault[]): Promise<ModelApi> {
    const api = await startModelApi(faults === undefined ? { script } : { script, faults });
    open.push(api);
    return api;
  }
  afterEach(async () => {
    await Promise.all(open.splice(0).map((api) => api.close()));
  });

  function post(api: ModelApi, body: unknown, path = '/v1/messages'): Promise<Response> {
    return fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'test-key' },
      body: JSON.stringify(body),
    });
  }

  async function message(api: ModelApi, body: unknown): Promise<Record<string, unknown>> {
    const response = await post(api, body);
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, unknown>;
  }

  it('listens on 127.0.0.1 and answers the first conversation request with step 1', async () => {
    const api = await start();
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const reply = await message(api, conversation([prompt]));
    expect(reply).toMatchObject({ type: 'message', role: 'assistant', stop_reason: 'tool_use' });
    const content = reply.content as { type: string; id?: string; name?: string; input?: unknown }[];
    expect(content[0]?.type).toBe('text');
    expect(content[1]).toMatchObject({ type: 'tool_use', name: 'Bash', input: { command: 'echo step-1 >> progress.txt', description: 'Step 1' } });
    expect(content[1]?.id).toMatch(/^toolu_step_1_[0-9a-f]+$/);
    expect(reply.usage).toMatchObject({ input_tokens: aNumber(), output_tokens: aNumber() });
  });

  it('derives the step from the tool results in the history only', async () => {
    const api = await start({ steps: 3, markFile: 'marks.log' });
    const afterOne = [prompt, ...toolRound('toolu_step_1_aa')];
    const reply = await message(api, conversation(afterOne));
    const content = reply.content as { input?: { command?: string } }[];
    expect(content[1]?.input?.command).toBe('echo step-2 >> marks.log');

    // A resumed session appends a new user message after the history.
    const resumed = [...afterOne, { role: 'user', content: [{ type: 'text', text: 'continue' }] }];
    await message(api, conversation(resumed));
    // Foreign tool ids do not count, and a repeated result is one step.
    const noisy = [...afterOne, ...toolRound('toolu_01other'), ...toolRound('toolu_step_1_aa')];
    await message(api, conversation(noisy));
    // A fresh session starts over.
    await message(api, conversation([prompt]));
    expect(api.requests.map((request) => request.step)).toEqual([2, 2, 2, 1]);
  });

  it('keeps the bash tool name as the client spelled it', async () => {
    const api = await start();
    const reply = await message(api, conversation([prompt], { tools: [{ name: 'read' }, { name: 'bash' }] }));
    expect((reply.content as { name?: string }[])[1]?.name).toBe('bash');
  });

  it('ends with the final text once every step has a result', async () => {
    const api = await start({ steps: 2 });
    const done = [prompt, ...toolRound('toolu_step_1_aa'), ...toolRound('toolu_step_2_bb')];
    const reply = await message(api, conversation(done));
    expect(reply).toMatchObject({ stop_reason: 'end_turn', content: [{ type: 'text', text: 'All 2 steps done.' }] });
    expect(api.requests[0]).toMatchObject({ kind: 'conversation', step: 3, status: 200 });

    const custom = await start({ steps: 0, finalText: 'Nothing to do.' });
    expect(await message(custom, conversation([prompt]))).toMatchObject({ content: [{ type: 'text', text: 'Nothing to do.' }] });
  });

  it('streams a complete message as server-sent events', async () => {
    const api = await start();
    const response = await post(api, conversation([prompt], { stream: true }), '/v1/messages?beta=true');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    const events = parseSse(await response.text());
    expect(events.every((event) => event.event === event.data.type)).toBe(true);
    expect(events.map((event) => event.event)).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const deltas = events.filter((event) => event.event === 'content_block_delta').map((event) => event.data.delta as Record<string, string>);
    const text = deltas.filter((delta) => delta.type === 'text_delta').map((delta) => delta.text).join('');
    const json = deltas.filter((delta) => delta.type === 'input_json_delta').map((delta) => delta.partial_json).join('');
    expect(text).toBe('Running step 1 of 3.');
    expect(JSON.parse(json)).toEqual({ command: 'echo step-1 >> progress.txt', description: 'Step 1' });
    expect(events.at(-2)?.data).toMatchObject({ delta: { stop_reason: 'tool_use' }, usage: { output_tokens: aNumber() } });
    expect(api.requests[0]).toMatchObject({ path: '/v1/messages?beta=true', kind: 'conversation', step: 1 });
  });

  it('answers side requests with plain text and never faults or counts them', async () => {
    const api = await start({ steps: 1 }, [{ kind: 'http500', at: { request: 1 }, count: 1 }]);
    const side = await message(api, { messages: [prompt], tools: [{ name: 'read' }] });
    expect(side).toMatchObject({ stop_reason: 'end_turn', content: [{ type: 'text' }] });
    const streamed = await post(api, { messages: [prompt], stream: true });
    expect(parseSse(await streamed.text()).at(-1)?.event).toBe('message_stop');
    expect((await post(api, conversation([prompt]))).status).toBe(500);
    expect(api.requests.map((request) => [request.kind, request.status])).toEqual([
      ['side', 200],
      ['side', 200],
      ['conversation', 500],
    ]);
  });

  it('answers preflight and auxiliary requests', async () => {
    const api = await start();
    expect((await fetch(`${api.url}/`, { method: 'HEAD' })).status).toBe(200);
    const models = await fetch(`${api.url}/v1/models`);
    expect(((await models.json()) as { data: unknown[] }).data.length).toBeGreaterThan(0);
    const count = await post(api, conversation([prompt]), '/v1/messages/count_tokens');
    expect(await count.json()).toEqual({ input_tokens: aNumber() });
    const unknown = await post(api, {}, '/v1/elsewhere');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    expect(api.requests.map((request) => `${request.method} ${request.path} ${request.kind} ${request.status}`)).toEqual([
      'HEAD / other 200',
      'GET /v1/models other 200',
      'POST /v1/messages/count_tokens other 200',
      'POST /v1/elsewhere other 404',
    ]);
  });

  it.each([
    ['http500', 500, 'api_error', 'Internal server error'],
    ['http529', 529, 'overloaded_error', 'Overloaded'],
    ['http429', 429, 'rate_limit_error', undefined],
    ['http401', 401, 'authentication_error', 'invalid x-api-key'],
    ['http400', 400, 'invalid_request_error', undefined],
  ] as const)('serves %s as the real API would', async (kind, status, type, text) => {
    const api = await start({ steps: 1 }, [{ kind, at: { request: 1 }, count: 1 }]);
    const response = await post(api, conversation([prompt], { stream: true }));
    expect(response.status).toBe(status);
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    const body = (await response.json()) as { type: string; error: { type: string; message: string } };
    expect(body).toMatchObject({ type: 'error', error: { type } });
    if (text !== undefined) expect(body.error.message).toBe(text);
    expect(response.headers.get('retry-after')).toBe(kind === 'http429' ? '1' : null);
    expect(api.requests[0]).toMatchObject({ kind: 'conversation', step: 1, fault: kind, status });
  });

  it('sends the configured retry-after on 429', async () => {
    const api = await start({ steps: 1 }, [{ kind: 'http429', at: { request: 1 }, count: 1, retryAfterSeconds: 7 }]);
    expect((await post(api, conversation([prompt]))).headers.get('retry-after')).toBe('7');
  });

  it('fails the N-th and following count-1 conversation requests, counting again after setFaults', async () => {
    const api = await start({ steps: 3 }, [{ kind: 'http529', at: { request: 2 }, count: 2 }]);
    const statuses = async (n: number): Promise<number[]> => {
      const result: number[] = [];
      for (let i = 0; i < n; i += 1) result.push((await post(api, conversation([prompt]))).status);
      return result;
    };
    expect(await statuses(4)).toEqual([200, 529, 529, 200]);
    api.setFaults([{ kind: 'http500', at: { request: 1 }, count: 1 }]);
    expect(await statuses(2)).toEqual([500, 200]);
    api.setFaults([]);
    expect(await statuses(1)).toEqual([200]);
  });

  it('fails the first count requests that ask for a given step, retries included', async () => {
    const api = await start({ steps: 3 }, [{ kind: 'http500', at: { step: 2 }, count: 2 }]);
    const stepTwo = conversation([prompt, ...toolRound('toolu_step_1_aa')]);
    expect((await post(api, conversation([prompt]))).status).toBe(200);
    expect((await post(api, stepTwo)).status).toBe(500);
    expect((await post(api, stepTwo)).status).toBe(500);
    expect((await post(api, stepTwo)).status).toBe(200);
    expect(api.requests.map((request) => [request.step, request.fault ?? null])).toEqual([
      [1, null],
      [2, 'http500'],
      [2, 'http500'],
      [2, null],
    ]);
  });

  it('rejects malformed fault schedules', async () => {
    await expect(startModelApi({ script: { steps: 1 }, faults: [{ kind: 'stall', at: { request: 0 }, count: 1 }] })).rejects.toThrow(RangeError);
    const api = await start();
    expect(() => api.setFaults([{ kind: 'stall', at: { step: 1 }, count: 0 }])).toThrow(RangeError);
  });

  it('resets the connection before any response byte', async () => {
    const api = await start({ steps: 1 }, [{ kind: 'reset-before-response', at: { request: 1 }, count: 1 }]);
    await expect(post(api, conversation([prompt], { stream: true }))).rejects.toThrow();
    expect(api.requests[0]).toMatchObject({ fault: 'reset-before-response', status: 0 });
    expect((await post(api, conversation([prompt]))).status).toBe(200);
  });

  it('resets the connection in the middle of a stream', async () => {
    const api = await start({ steps: 1 }, [{ kind: 'reset-mid-stream', at: { request: 1 }, count: 2 }]);
    const response = await post(api, conversation([prompt], { stream: true }));
    expect(response.status).toBe(200);
    const body = response.body;
    if (body === null) throw new Error('no body');
    const decoder = new TextDecoder();
    let received = '';
    const drain = async (): Promise<void> => {
      for await (const chunk of body as AsyncIterable<Uint8Array>) received += decoder.decode(chunk, { stream: true });
    };
    await expect(drain()).rejects.toThrow();
    expect(received).toContain('event: message_start');
    expect(received).not.toContain('message_stop');

    const plain = await post(api, conversation([prompt]));
    await expect(plain.text()).rejects.toThrow();
    expect(api.requests.map((request) => [request.fault, request.status])).toEqual([
      ['reset-mid-stream', 200],
      ['reset-mid-stream', 200],
    ]);
  });

  it('sends an error event inside a 200 stream', async () => {
    const api = await start({ steps: 1 }, [{ kind: 'sse-error', at: { request: 1 }, count: 2 }]);
    const response = await post(api, conversation([prompt], { stream: true }));
    expect(response.status).toBe(200);
    const events = parseSse(await response.text());
    expect(events[0]?.event).toBe('message_start');
    expect(events.at(-1)).toEqual({ event: 'error', data: { type: 'error', error: { type: 'api_error', message: 'Internal server error' } } });
    expect(events.some((event) => event.event === 'message_stop')).toBe(false);
    // Without a stream there is nothing to break mid-way, so it fails like a 500.
    expect((await post(api, conversation([prompt]))).status).toBe(500);
  });

  it('closes promptly while a stalled response is open', async () => {
    const api = await startModelApi({ script: { steps: 1 }, faults: [{ kind: 'stall', at: { request: 1 }, count: 1 }] });
    const response = await post(api, conversation([prompt], { stream: true }));
    expect(response.status).toBe(200);
    const body = response.text();
    expect(api.requests[0]).toMatchObject({ fault: 'stall', status: 200 });
    const started = performance.now();
    await api.close();
    expect(performance.now() - started).toBeLessThan(1000);
    await expect(body).rejects.toThrow();
  });

  it('records every request with its headers and parsed body', async () => {
    const api = await start();
    await message(api, conversation([prompt]));
    await fetch(`${api.url}/v1/messages`, { method: 'POST', body: 'not json' });
    expect(api.requests).toHaveLength(2);
    expect(api.requests[0]).toMatchObject({
      index: 0,
      method: 'POST',
      path: '/v1/messages',
      headers: { 'x-api-key': 'test-key' },
      body: { messages: [prompt] },
      kind: 'conversation',
      step: 1,
      status: 200,
    });
    expect(api.requests[0]).not.toHaveProperty('fault');
    expect(api.requests[1]).toMatchObject({ index: 1, body: 'not json', kind: 'other', status: 400 });
  });
});
