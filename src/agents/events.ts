// The agent-neutral events both adapters turn their NDJSON lines into. The renderer, the
// classifier and the report read only these.

export interface InitEvent { type: 'init'; sessionId: string; model?: string | undefined; version?: string | undefined }
export interface TextEvent { type: 'text'; text: string }
export interface ToolCallEvent { type: 'tool_call'; id: string; name: string; input: unknown }
export interface ToolResultEvent { type: 'tool_result'; id: string; name?: string | undefined; ok: boolean; output: string }
export interface ApiRetryEvent { type: 'api_retry'; attempt: number; maxRetries?: number | undefined; status: number | null; error?: string | undefined; delayMs?: number | undefined }
/** One model turn ended (OpenCode's step_finish, Claude's assistant message with stop reason). */
export interface TurnEvent { type: 'turn'; reason: string; costUsd?: number | undefined }
export interface ErrorEvent {
  type: 'error';
  message: string;
  status?: number | null | undefined;
  errorType?: string | undefined;
  retryable?: boolean | undefined;
  /** The Messages API's own error type (`authentication_error`), when the event carries the API's error body. */
  apiErrorType?: string | undefined;
}
/** The agent's own verdict on the run, when it prints one (Claude's `result` line). */
export interface ResultEvent {
  type: 'result';
  isError: boolean;
  subtype: string;
  terminalReason?: string | undefined;
  apiErrorStatus?: number | null | undefined;
  apiErrorType?: string | null | undefined;
  text: string;
  numTurns?: number | undefined;
  costUsd?: number | undefined;
  sessionId?: string | undefined;
}
export interface OtherEvent { type: 'other'; kind: string }
export interface NotJsonEvent { type: 'not_json'; line: string }

export type AgentEvent =
  | InitEvent
  | TextEvent
  | ToolCallEvent
  | ToolResultEvent
  | ApiRetryEvent
  | TurnEvent
  | ErrorEvent
  | ResultEvent
  | OtherEvent
  | NotJsonEvent;

/**
 * Parses a line as JSON, or says it is not; agents print the odd plain line among their events.
 * The line is parsed as it is (JSON allows the surrounding whitespace), so it is never copied.
 */
export function parseJsonLine(line: string): { ok: true; value: unknown } | { ok: false } {
  if (firstNonSpace(line) !== OPEN_BRACE) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(line) as unknown };
  } catch {
    return { ok: false };
  }
}

const OPEN_BRACE = 0x7b;

function firstNonSpace(line: string): number | undefined {
  for (let index = 0; index < line.length; index++) {
    const code = line.charCodeAt(index);
    // JSON's whitespace: space, tab, line feed, carriage return.
    if (code !== 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) return code;
  }
  return undefined;
}

/** The cheap check before any schema: an object, whose fields can be looked at one by one. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string field, or undefined. */
export function stringField(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' ? value : undefined;
}
