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

/** Parses a line as JSON, or says it is not; agents print the odd plain line among their events. */
export function parseJsonLine(line: string): { ok: true; value: unknown } | { ok: false } {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(trimmed) as unknown };
  } catch {
    return { ok: false };
  }
}
