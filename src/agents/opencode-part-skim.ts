// OpenCode's `text` and `tool_use` lines read from their bytes (a tool's output, and its copy in the
// state's metadata, are most of OpenCode's output): the part's text, or its tool, call id and state,
// with only the start of each long text decoded. The events are those of `openCodeEvents` on the
// parsed line, except that a long text is cut (`cutBytes`) and a tool input keeps only the fields
// the transcript shows, when it has one (`TOOL_INPUT_KEYS`).
import { cut, readToolInput, skimMember, textEvent } from './event-skim.js';
import { OUTPUT_HEAD_CHARS, TEXT_HEAD_CHARS, type AgentEvent } from './events.js';
import type { JsonSkim, TextHead } from './json-skim.js';

const OPEN_BRACE = 0x7b;

/** The events of a `text` or `tool_use` line, or undefined when it must be parsed whole. */
export function skimOpenCodePart(type: 'text' | 'tool_use', line: Buffer): AgentEvent[] | undefined {
  return skimMember(line, 'part', (skim) => (type === 'text' ? readTextPart(skim) : readToolPart(skim)));
}

function readTextPart(skim: JsonSkim): AgentEvent[] | undefined {
  if (skim.peek() !== OPEN_BRACE) return undefined;
  let text: TextHead | undefined;
  skim.object(() => {
    if (skim.isKey('text')) text = skim.head(TEXT_HEAD_CHARS);
    return false;
  });
  return text === undefined ? [{ type: 'other', kind: 'text' }] : [textEvent(text)];
}

interface ToolState {
  /** Whether the walk stopped before the end of the state: the cursor is then inside it. */
  stopped: boolean;
  status?: string | undefined;
  hasInput: boolean;
  input?: unknown;
  output?: TextHead | undefined;
  error?: TextHead | undefined;
}

function readToolPart(skim: JsonSkim): AgentEvent[] | undefined {
  if (skim.peek() !== OPEN_BRACE) return undefined;
  let tool: string | undefined;
  let callId: string | undefined;
  let state: ToolState | undefined;
  skim.object(() => {
    if (skim.isKey('tool')) tool = skim.string();
    else if (skim.isKey('callID')) callId = skim.string();
    else if (skim.isKey('state')) state = readState(skim);
    else return false;
    // The rest of the part (ids, times) is not read; nor can it be once the state's walk stopped inside it.
    return (tool !== undefined && callId !== undefined && state !== undefined) || state?.stopped === true;
  });
  // A tool or call id after a state read only in part: the whole parse decides.
  if (state?.stopped === true && (tool === undefined || callId === undefined)) return undefined;
  if (tool === undefined || callId === undefined || state?.status === undefined) return [{ type: 'other', kind: 'tool_use' }];
  const events: AgentEvent[] = [{ type: 'tool_call', id: callId, name: tool, input: state.input }];
  if (state.status === 'completed' || state.status === 'error') {
    const output = state.output ?? state.error ?? { text: '', cutBytes: 0 };
    events.push({ type: 'tool_result', id: callId, name: tool, ok: state.status === 'completed', output: output.text, ...cut(output) });
  }
  return events;
}

/** A tool part's state, or undefined when it is not an object. */
function readState(skim: JsonSkim): ToolState | undefined {
  if (skim.peek() !== OPEN_BRACE) return undefined;
  const state: ToolState = { stopped: false, hasInput: false };
  skim.object(() => {
    if (skim.isKey('status')) state.status = skim.string();
    else if (skim.isKey('input')) {
      state.hasInput = true;
      state.input = readToolInput(skim);
    } else if (skim.isKey('output')) state.output = skim.head(OUTPUT_HEAD_CHARS);
    else if (skim.isKey('error')) state.error = skim.head(OUTPUT_HEAD_CHARS);
    else return false;
    // The metadata after the output (which repeats it) is not read once the events are known.
    const final = state.status === 'completed' || state.status === 'error';
    state.stopped = state.status !== undefined && state.hasInput && (!final || state.output !== undefined);
    return state.stopped;
  });
  return state;
}
