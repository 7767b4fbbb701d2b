// The pieces an adapter's byte-level reader of its event lines shares (see json-skim.ts): the walk
// to the one member a line's events are in, a tool's input, and texts read only as far as shown.
import { CutText, INPUT_HEAD_CHARS, TOOL_INPUT_KEYS, type AgentEvent } from './events.js';
import { endsObject, JsonSkim, SkimError, type TextHead } from './json-skim.js';

const QUOTE = 0x22;
const OPEN_BRACE = 0x7b;

/**
 * `read` with the cursor on the line's top-level member `key`, or undefined when the line must be
 * parsed whole: it does not end its object (cut short), has no such member, `read` gives up, or
 * the skim found something it does not read. Nothing after that member is looked at.
 */
export function skimMember(line: Buffer, key: string, read: (skim: JsonSkim) => AgentEvent[] | undefined): AgentEvent[] | undefined {
  if (!endsObject(line)) return undefined;
  const skim = new JsonSkim(line);
  let events: AgentEvent[] | undefined;
  try {
    skim.object(() => {
      if (!skim.isKey(key)) return false;
      events = read(skim);
      return true;
    });
  } catch (error) {
    if (error instanceof SkimError) return undefined;
    throw error;
  }
  return events;
}

/**
 * A tool's input: its string fields named in `TOOL_INPUT_KEYS` (a long one cut), or, when it has
 * no such field that is not empty, the input parsed whole (the transcript then shows its JSON).
 */
export function readToolInput(skim: JsonSkim): unknown {
  skim.peek();
  const start = skim.pos;
  const fields: Array<[string, string | CutText]> = [];
  if (skim.peek() === OPEN_BRACE) {
    skim.object(() => {
      const key = TOOL_INPUT_KEYS.find((name) => skim.isKey(name));
      if (key === undefined || skim.peek() !== QUOTE) return;
      const head = skim.head(INPUT_HEAD_CHARS);
      if (head !== undefined) fields.push([key, head.cutBytes > 0 ? new CutText(head.text, head.cutBytes) : head.text]);
    });
  } else {
    skim.skip();
  }
  // fromEntries defines own properties, whatever the key.
  if (fields.some(([, value]) => value !== '')) return Object.fromEntries(fields);
  try {
    return JSON.parse(skim.bytes.toString('utf8', start, skim.pos)) as unknown;
  } catch {
    throw new SkimError('the tool input is not JSON');
  }
}

export function textEvent(head: TextHead): AgentEvent {
  return { type: 'text', text: head.text, ...cut(head) };
}

export function cut(head: TextHead): { cutBytes?: number } {
  return head.cutBytes > 0 ? { cutBytes: head.cutBytes } : {};
}
