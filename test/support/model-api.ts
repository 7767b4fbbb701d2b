/**
 * A local stand-in for the Anthropic Messages API that plays a scripted, tool-using conversation
 * and fails on a schedule, so the real agent CLIs can be driven end to end without the internet.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultSchedule, HTTP_ERRORS, isHttpFault } from './model-api/faults.js';
import type { Fault, FaultKind } from './model-api/faults.js';
import { assistantMessage, errorBody, estimateTokens, formatSse, randomId, streamEvents } from './model-api/messages.js';
import type { AssistantMessage, ContentBlock } from './model-api/messages.js';
import { bashToolName, nextTurn } from './model-api/script.js';
import type { ScriptConfig } from './model-api/script.js';

export type { Fault, FaultKind } from './model-api/faults.js';

export interface ScriptOptions {
  steps: number;
  /** Default 'progress.txt', relative to the agent's working directory. */
  markFile?: string;
  /** Default `All N steps done.` */
  finalText?: string;
  /** A shell command to run after the mark of a step, by step number. */
  extraCommands?: Record<number, string>;
  /**
   * When the client offers Claude Code's `StructuredOutput` tool (it does with `--json-schema`),
   * the final turn first calls it with this value, as a model honouring the schema would.
   */
  structuredOutput?: Record<string, unknown>;
  /** Steps (by number) whose tool call takes this many seconds: one long tool call. */
  slowSteps?: Record<number, number>;
}

export interface RecordedRequest {
  index: number;
  method: string;
  /** As received, query included (Claude Code sends `/v1/messages?beta=true`). */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON, the raw text when it is not JSON, undefined when empty. */
  body: unknown;
  kind: 'conversation' | 'side' | 'other';
  /** The step the conversation request asked for (steps + 1 is the final answer). */
  step?: number;
  fault?: FaultKind;
  /** 0 when the connection was reset before any response byte. */
  status: number;
}

export interface ModelApi {
  /** `http://127.0.0.1:PORT`: ANTHROPIC_BASE_URL for Claude Code, `${url}/v1` for OpenCode. */
  url: string;
  requests: readonly RecordedRequest[];
  /** Replaces the schedule; `at: {request: N}` counts conversation requests from the next one. */
  setFaults(faults: Fault[]): void;
  /** Closes promptly, cutting stalled and keep-alive connections. */
  close(): Promise<void>;
}

interface Context {
  script: ScriptConfig;
  structuredOutput: Record<string, unknown> | undefined;
  schedule: FaultSchedule;
  requests: RecordedRequest[];
  onRequest: ((request: RecordedRequest) => void) | undefined;
}

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' } as const;
const JSON_HEADERS = { 'content-type': 'application/json' } as const;

export interface ModelApiOptions {
  script: ScriptOptions;
  faults?: Fault[];
  /** Called as each request is recorded, before its answer is sent: lets a test react without polling. */
  onRequest?: (request: RecordedRequest) => void;
}

export async function startModelApi(options: ModelApiOptions): Promise<ModelApi> {
  const { steps } = options.script;
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`script.steps must be a non-negative integer, got ${steps}`);
  const context: Context = {
    script: {
      steps,
      markFile: options.script.markFile ?? 'progress.txt',
      finalText: options.script.finalText ?? `All ${steps} steps done.`,
      slowSteps: options.script.slowSteps ?? {},
      extraCommands: options.script.extraCommands,
    },
    structuredOutput: options.script.structuredOutput,
    schedule: new FaultSchedule(options.faults ?? []),
    requests: [],
    onRequest: options.onRequest,
  };

  const server = createServer((req, res) => {
    handle(context, req, res).catch(() => {
      // The client went away or close() cut the connection: nothing is left to answer.
      res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    get requests(): readonly RecordedRequest[] {
      return context.requests;
    },
    setFaults(faults: Fault[]): void {
      context.schedule = new FaultSchedule(faults);
    },
    close(): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Stalled responses and idle keep-alive sockets would otherwise hold close() open.
        server.closeAllConnections();
      });
    },
  };
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function baseHeaders(extra: OutgoingHttpHeaders = {}): OutgoingHttpHeaders {
  return { 'request-id': randomId('req_'), ...extra };
}

function record(context: Context, req: IncomingMessage, body: unknown, fields: Pick<RecordedRequest, 'kind' | 'status' | 'step' | 'fault'>): void {
  const entry: RecordedRequest = {
    index: context.requests.length,
    method: req.method ?? 'GET',
    path: req.url ?? '/',
    headers: { ...req.headers },
    body,
    kind: fields.kind,
    status: fields.status,
  };
  if (fields.step !== undefined) entry.step = fields.step;
  if (fields.fault !== undefined) entry.fault = fields.fault;
  context.requests.push(entry);
  context.onRequest?.(entry);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  res.writeHead(status, baseHeaders({ ...JSON_HEADERS, ...headers }));
  res.end(JSON.stringify(body));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function handle(context: Context, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  const { pathname } = new URL(req.url ?? '/', 'http://127.0.0.1');
  const method = req.method ?? 'GET';

  if (method === 'HEAD') {
    record(context, req, body, { kind: 'other', status: 200 });
    res.writeHead(200, baseHeaders()).end();
    return;
  }
  if (method === 'GET') {
    record(context, req, body, { kind: 'other', status: 200 });
    if (pathname === '/v1/models') {
      const model = { type: 'model', id: 'claude-local', display_name: 'Claude (local)', created_at: '2025-01-01T00:00:00Z' };
      sendJson(res, 200, { data: [model], has_more: false, first_id: model.id, last_id: model.id });
    } else {
      sendJson(res, 200, {});
    }
    return;
  }
  if (method === 'POST' && pathname === '/v1/messages/count_tokens') {
    record(context, req, body, { kind: 'other', status: 200 });
    sendJson(res, 200, { input_tokens: estimateTokens(JSON.stringify(body ?? '')) });
    return;
  }
  if (method !== 'POST' || !isMessagesPath(pathname)) {
    record(context, req, body, { kind: 'other', status: 404 });
    sendJson(res, 404, errorBody({ type: 'not_found_error', message: `${method} ${pathname} not found` }));
    return;
  }
  if (!isRecord(body)) {
    record(context, req, body, { kind: 'other', status: 400 });
    sendJson(res, 400, errorBody({ type: 'invalid_request_error', message: 'request body must be a JSON object' }));
    return;
  }

  const model = typeof body.model === 'string' ? body.model : 'claude-local';
  const stream = body.stream === true;
  const inputText = JSON.stringify(body.messages ?? []) + JSON.stringify(body.system ?? '');
  const toolName = bashToolName(body);

  if (toolName === undefined) {
    record(context, req, body, { kind: 'side', status: 200 });
    sendMessage(res, assistantMessage(model, [{ type: 'text', text: 'Scripted task' }], inputText), stream);
    return;
  }

  const turn = nextTurn(body, toolName, context.script);
  const structured = turn.kind === 'final' && context.structuredOutput !== undefined && offersTool(body, STRUCTURED_OUTPUT_TOOL) && !calledTool(body, STRUCTURED_OUTPUT_TOOL);
  const content: ContentBlock[] = structured
    ? [{ type: 'tool_use', id: randomId('toolu_structured_'), name: STRUCTURED_OUTPUT_TOOL, input: context.structuredOutput ?? {} }]
    : turn.kind === 'step'
      ? [
          { type: 'text', text: turn.text },
          { type: 'tool_use', id: turn.toolUseId, name: turn.toolName, input: { command: turn.command, description: turn.description } },
        ]
      : [{ type: 'text', text: turn.text }];
  const message = assistantMessage(model, content, inputText);
  const fault = context.schedule.next(turn.step);
  if (fault === undefined) {
    record(context, req, body, { kind: 'conversation', step: turn.step, status: 200 });
    sendMessage(res, message, stream);
    return;
  }
  serveFault(context, req, res, { body, step: turn.step, fault, message, stream });
}

/**
 * The Messages API as the Anthropic API (`/v1/messages`), Microsoft Foundry (`…/anthropic/v1/messages`)
 * and Vertex AI (`…/publishers/anthropic/models/MODEL:streamRawPredict`) expose it.
 */
function isMessagesPath(pathname: string): boolean {
  return pathname.endsWith('/v1/messages') || /\/publishers\/anthropic\/models\/[^/]+:(stream)?rawPredict$/i.test(pathname);
}

const STRUCTURED_OUTPUT_TOOL = 'StructuredOutput';

function offersTool(body: Record<string, unknown>, name: string): boolean {
  return Array.isArray(body.tools) && body.tools.some((tool) => isRecord(tool) && tool.name === name);
}

function calledTool(body: Record<string, unknown>, name: string): boolean {
  if (!Array.isArray(body.messages)) return false;
  return body.messages.some(
    (message) => isRecord(message) && Array.isArray(message.content) && message.content.some((block) => isRecord(block) && block.type === 'tool_use' && block.name === name),
  );
}

function sendMessage(res: ServerResponse, message: AssistantMessage, stream: boolean): void {
  if (!stream) {
    sendJson(res, 200, message);
    return;
  }
  res.writeHead(200, baseHeaders(SSE_HEADERS));
  res.end(streamEvents(message).map(formatSse).join(''));
}

interface FaultRequest {
  body: unknown;
  step: number;
  fault: Fault;
  message: AssistantMessage;
  stream: boolean;
}

function serveFault(context: Context, req: IncomingMessage, res: ServerResponse, request: FaultRequest): void {
  const { body, step, fault, message, stream } = request;
  const kind = fault.kind;
  const note = (status: number): void => record(context, req, body, { kind: 'conversation', step, fault: kind, status });

  if (isHttpFault(kind)) {
    const error = HTTP_ERRORS[kind];
    note(error.status);
    // The real API sends retry-after with 429s; any other status gets one only when the fault asks.
    const retryAfter = fault.retryAfterSeconds ?? (kind === 'http429' ? 1 : undefined);
    const extra: OutgoingHttpHeaders = retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) };
    sendJson(res, error.status, errorBody(error), extra);
    return;
  }
  // The first events of a real answer, so a client has already started a message when it breaks.
  const opening = streamEvents(message).slice(0, 4).map(formatSse).join('');
  switch (kind) {
    case 'reset-before-response':
      note(0);
      req.socket.resetAndDestroy();
      return;
    case 'reset-mid-stream':
      note(200);
      res.writeHead(200, baseHeaders(stream ? SSE_HEADERS : JSON_HEADERS));
      res.write(stream ? opening : JSON.stringify(message).slice(0, 40), () => req.socket.resetAndDestroy());
      return;
    case 'stall':
      // Left open on purpose; close() cuts it with closeAllConnections().
      note(200);
      res.writeHead(200, baseHeaders(stream ? SSE_HEADERS : JSON_HEADERS));
      res.flushHeaders();
      return;
    case 'sse-error': {
      const error = HTTP_ERRORS.http500;
      if (!stream) {
        // A non-streaming answer has no event stream to break; fail it the way the API would.
        note(error.status);
        sendJson(res, error.status, errorBody(error));
        return;
      }
      note(200);
      res.writeHead(200, baseHeaders(SSE_HEADERS));
      res.end(opening + formatSse({ event: 'error', data: errorBody(error) }));
      return;
    }
  }
}
