// The agent-neutral events both adapters turn their NDJSON lines into. The renderer, the
// classifier and the report read only these.

export interface InitEvent { type: 'init'; sessionId: string; model?: string | undefined; version?: string | undefined }
/**
 * `cutBytes` (text and tool output): an adapter may read only the start of a long text (the
 * transcript shows a few hundred characters); it then says how many bytes of the agent's JSON text
 * it left out after `text`/`output`. Absent when the text is whole.
 */
export interface TextEvent { type: 'text'; text: string; cutBytes?: number | undefined }
/**
 * `input`: the tool's input. An adapter that reads it from its bytes may keep only its string
 * fields named in `TOOL_INPUT_KEYS` (a long one as `CutText`), when it has one.
 */
export interface ToolCallEvent { type: 'tool_call'; id: string; name: string; input: unknown }
export interface ToolResultEvent { type: 'tool_result'; id: string; name?: string | undefined; ok: boolean; output: string; cutBytes?: number | undefined }
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

const TYPE_PREFIX = Buffer.from('{"type":"');
const SUBTYPE_PREFIX = Buffer.from(',"subtype":"');
const QUOTE = 0x22;
/** Longest type or subtype read from the first bytes. */
const MAX_WORD = 64;

/** How many characters of a long text, and of a tool's output, an event carries at least: what the transcript shows. */
export const TEXT_HEAD_CHARS = 2000;
export const OUTPUT_HEAD_CHARS = 400;
/** The fields a tool call is known by, most telling first: the transcript shows the first one present. */
export const TOOL_INPUT_KEYS: readonly string[] = ['command', 'file_path', 'filePath', 'path', 'pattern', 'url', 'description'];
/** How many characters of such a field an event carries at least: what the transcript shows. */
export const INPUT_HEAD_CHARS = 300;

/** A string an adapter read only the start of: `cutBytes` of the agent's JSON text were left out after `text`. */
export class CutText {
  constructor(
    readonly text: string,
    readonly cutBytes: number,
  ) {}
}

/** `A-Z a-z 0-9 _ . / -`: the characters of a type name. */
function isWordByte(byte: number): boolean {
  return (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x30 && byte <= 0x39) || byte === 0x5f || byte === 0x2e || byte === 0x2f || byte === 0x2d;
}

function startsWithAt(line: Buffer, prefix: Buffer, at: number): boolean {
  if (line.length - at < prefix.length) return false;
  for (let index = 0; index < prefix.length; index++) if (line[at + index] !== prefix[index]) return false;
  return true;
}

/** The word that starts at `start` and ends at a quote, or undefined. */
function wordAt(line: Buffer, start: number): { word: string; end: number } | undefined {
  const limit = Math.min(line.length, start + MAX_WORD + 1);
  for (let at = start; at < limit; at++) {
    const byte = line[at] ?? 0;
    if (byte === QUOTE) return at === start ? undefined : { word: line.toString('latin1', start, at), end: at };
    if (!isWordByte(byte)) return undefined;
  }
  return undefined;
}

/**
 * The `type` (and a `subtype` right after it) of a line that starts `{"type":"…"`, read from its
 * bytes without parsing it; undefined for any other line. Both CLIs print their events with
 * JSON.stringify, type first, so an adapter can pass over the lines of types it does not act on
 * (Claude's `stream_event` deltas can be most of the lines) without parsing them.
 */
export function leadingType(line: Buffer): { type: string; subtype?: string } | undefined {
  if (!startsWithAt(line, TYPE_PREFIX, 0)) return undefined;
  const type = wordAt(line, TYPE_PREFIX.length);
  if (type === undefined) return undefined;
  if (!startsWithAt(line, SUBTYPE_PREFIX, type.end + 1)) return { type: type.word };
  const subtype = wordAt(line, type.end + 1 + SUBTYPE_PREFIX.length);
  return subtype === undefined ? { type: type.word } : { type: type.word, subtype: subtype.word };
}

/** The event for a line of a type its adapter does not act on, or undefined when it may act on it. */
export function unreadLine(line: Buffer, acted: ReadonlySet<string>): OtherEvent | undefined {
  const leading = leadingType(line);
  return leading === undefined || acted.has(leading.type) ? undefined : otherEvent(leading);
}

function otherEvent(leading: { type: string; subtype?: string }): OtherEvent {
  return { type: 'other', kind: leading.subtype === undefined ? leading.type : `${leading.type}/${leading.subtype}` };
}

/** How an adapter reads its lines: the types it acts on, a whole parsed line to events, and optionally a faster reader of some types from their bytes. */
export interface LineReader {
  readonly acted: ReadonlySet<string>;
  readonly toEvents: (value: unknown) => AgentEvent[];
  /** The events of a line of this leading type read from its bytes, or undefined to have it parsed whole. */
  readonly fromBytes?: ((type: string, line: Buffer) => AgentEvent[] | undefined) | undefined;
}

/**
 * One line of an agent's output (its bytes, without the line end) to events: a line of a type the
 * adapter does not act on is passed over unparsed, one the adapter reads from its bytes is, any
 * other is decoded and parsed once; a plain line is `not_json` (a blank one nothing).
 */
export function parseAgentLine(line: Buffer | string, reader: LineReader): AgentEvent[] {
  const bytes = typeof line === 'string' ? Buffer.from(line) : line;
  const leading = leadingType(bytes);
  if (leading !== undefined) {
    if (!reader.acted.has(leading.type)) return [otherEvent(leading)];
    const events = reader.fromBytes?.(leading.type, bytes);
    if (events !== undefined) return events;
  }
  const text = typeof line === 'string' ? line : bytes.toString('utf8');
  const json = parseJsonLine(text);
  if (!json.ok) return text.trim() === '' ? [] : [{ type: 'not_json', line: text }];
  return reader.toEvents(json.value);
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
