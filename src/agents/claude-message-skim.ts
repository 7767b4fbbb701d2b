// Claude's `assistant` and `user` lines (most of its output, and most of that tool output and file
// contents) read from their bytes: the message's content blocks and stop reason, with only the
// start of each long text decoded. The events are those of `claudeEvents` on the parsed line,
// except that a long text is cut (`cutBytes`) and a tool input keeps only the fields the
// transcript shows, when it has one (`TOOL_INPUT_KEYS`).
import { cut, readToolInput, skimMember, textEvent } from './event-skim.js';
import { OUTPUT_HEAD_CHARS, TEXT_HEAD_CHARS, type AgentEvent } from './events.js';
import type { JsonSkim, TextHead } from './json-skim.js';

const QUOTE = 0x22;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;

/**
 * The events of an assistant or user line, or undefined when the line must be parsed whole: it
 * does not end its object (cut short), its message is not an object with content, or the skim
 * found something it does not read. Nothing after the `message` member is looked at.
 */
export function skimClaudeMessage(role: 'assistant' | 'user', line: Buffer): AgentEvent[] | undefined {
  return skimMember(line, 'message', (skim) => readMessage(skim, role));
}

function readMessage(skim: JsonSkim, role: 'assistant' | 'user'): AgentEvent[] | undefined {
  if (skim.peek() !== OPEN_BRACE) return undefined;
  const events: AgentEvent[] = [];
  let hasContent: boolean | undefined;
  let contentIsText = false;
  let stop: string | undefined;
  let stopSeen = false;
  skim.object(() => {
    if (skim.isKey('content')) {
      const first = skim.peek();
      hasContent = first === QUOTE || first === OPEN_BRACKET;
      if (first === QUOTE) {
        contentIsText = true;
        const head = skim.head(TEXT_HEAD_CHARS);
        if (role === 'assistant' && head !== undefined) events.push(textEvent(head));
      } else if (first === OPEN_BRACKET) {
        skim.array(() => readBlock(skim, role, events));
      }
    } else if (skim.isKey('stop_reason')) {
      stop = skim.string();
      stopSeen = true;
    } else {
      return false;
    }
    // The rest of the message (usage and the like) is not read.
    return hasContent !== undefined && (stopSeen || role === 'user');
  });
  if (hasContent !== true) return undefined;
  // As claudeEvents: a message whose content is a plain string ends no turn.
  if (role === 'assistant' && !contentIsText && stop !== undefined && stop !== '') events.push({ type: 'turn', reason: stop });
  return events;
}

const BLOCK_TYPES = ['text', 'tool_use', 'tool_result'];
const TEXT = 0;
const TOOL_USE = 1;
const TOOL_RESULT = 2;

function readBlock(skim: JsonSkim, role: 'assistant' | 'user', events: AgentEvent[]): void {
  if (skim.peek() !== OPEN_BRACE) return;
  let type = -1;
  let text: TextHead | undefined;
  let id: string | undefined;
  let name: string | undefined;
  let input: unknown;
  let toolUseId: string | undefined;
  let output: TextHead = { text: '', cutBytes: 0 };
  let isError = false;
  skim.object(() => {
    if (skim.isKey('type')) type = skim.stringIn(BLOCK_TYPES);
    else if (skim.isKey('text')) text = skim.head(TEXT_HEAD_CHARS);
    else if (skim.isKey('id')) id = skim.string();
    else if (skim.isKey('name')) name = skim.string();
    else if (skim.isKey('input')) input = readToolInput(skim);
    else if (skim.isKey('tool_use_id')) toolUseId = skim.string();
    else if (skim.isKey('content')) output = readToolResultContent(skim);
    else if (skim.isKey('is_error')) isError = skim.boolean() === true;
  });
  if (type === TEXT) {
    if (role === 'assistant' && text !== undefined) events.push(textEvent(text));
  } else if (type === TOOL_USE) {
    if (id !== undefined && name !== undefined) events.push({ type: 'tool_call', id, name, input });
  } else if (type === TOOL_RESULT) {
    if (toolUseId !== undefined) events.push({ type: 'tool_result', id: toolUseId, ok: !isError, output: output.text, ...cut(output) });
  }
}

/** A tool result's text: a string, or the texts of an array's parts joined; cut after `OUTPUT_HEAD_CHARS`. */
function readToolResultContent(skim: JsonSkim): TextHead {
  const first = skim.peek();
  if (first === QUOTE) return skim.head(OUTPUT_HEAD_CHARS) ?? { text: '', cutBytes: 0 };
  if (first !== OPEN_BRACKET) return { text: '', cutBytes: 0 };
  let text = '';
  let cutBytes = 0;
  skim.array(() => {
    if (skim.peek() !== OPEN_BRACE) return;
    skim.object(() => {
      if (!skim.isKey('text') || skim.peek() !== QUOTE) return;
      const room = OUTPUT_HEAD_CHARS - text.length;
      if (cutBytes > 0 || room <= 0) {
        // Past what the event carries: a part only counts towards what was left out.
        const { start, end } = skim.span();
        cutBytes += end - start - 2;
        return;
      }
      const part = skim.head(room);
      if (part === undefined) return;
      text += part.text;
      cutBytes += part.cutBytes;
    });
  });
  return { text, cutBytes };
}
