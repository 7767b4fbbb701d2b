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

const TYPE_PREFIX = '{"type":"';
const SUBTYPE_PREFIX = ',"subtype":"';
const WORD = /^[A-Za-z0-9_./-]{1,64}$/;

/**
 * The `type` (and a `subtype` right after it) of a line that starts `{"type":"…"`, read without
 * parsing it; undefined for any other line. Both CLIs print their events with JSON.stringify, type
 * first, so an adapter can pass over the lines of types it does not act on (Claude's
 * `stream_event` deltas can be most of the lines) without parsing them.
 */
export function leadingType(line: string): { type: string; subtype?: string } | undefined {
  if (!line.startsWith(TYPE_PREFIX)) return undefined;
  const end = line.indexOf('"', TYPE_PREFIX.length);
  const type = line.slice(TYPE_PREFIX.length, end);
  if (end < 0 || !WORD.test(type)) return undefined;
  if (!line.startsWith(SUBTYPE_PREFIX, end + 1)) return { type };
  const subtypeStart = end + 1 + SUBTYPE_PREFIX.length;
  const subtypeEnd = line.indexOf('"', subtypeStart);
  const subtype = line.slice(subtypeStart, subtypeEnd);
  return subtypeEnd < 0 || !WORD.test(subtype) ? { type } : { type, subtype };
}

/** The event for a line of a type its adapter does not act on, or undefined when it may act on it. */
export function unreadLine(line: string, acted: ReadonlySet<string>): OtherEvent | undefined {
  const leading = leadingType(line);
  if (leading === undefined || acted.has(leading.type)) return undefined;
  return { type: 'other', kind: leading.subtype === undefined ? leading.type : `${leading.type}/${leading.subtype}` };
}

/**
 * One line of an agent's output to events: a line of a type the adapter does not act on is passed
 * over unparsed, a plain line is `not_json` (a blank one nothing), any other goes to `toEvents`.
 */
export function parseAgentLine(line: string, acted: ReadonlySet<string>, toEvents: (value: unknown) => AgentEvent[]): AgentEvent[] {
  const unread = unreadLine(line, acted);
  if (unread !== undefined) return [unread];
  const json = parseJsonLine(line);
  if (!json.ok) return line.trim() === '' ? [] : [{ type: 'not_json', line }];
  return toEvents(json.value);
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
