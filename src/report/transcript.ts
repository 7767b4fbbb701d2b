import { CutText, INPUT_HEAD_CHARS, OUTPUT_HEAD_CHARS, TEXT_HEAD_CHARS, TOOL_INPUT_KEYS, type AgentEvent } from '../agents/events.js';
import { formatBytes, formatDuration } from '../format.js';

// As much as the events carry of a long text at least.
const MAX_TEXT = TEXT_HEAD_CHARS;
const MAX_TOOL_OUTPUT = OUTPUT_HEAD_CHARS;
const MAX_TOOL_INPUT = INPUT_HEAD_CHARS;

/** At most `max` characters of a text; `cutBytes` of it, when the adapter read only its start, were never read. */
function clip(text: string, max: number, cutBytes = 0): string {
  if (cutBytes === 0) {
    const trimmed = text.trim();
    return trimmed.length > max ? `${trimmed.slice(0, max)}… (${trimmed.length - max} more characters)` : trimmed;
  }
  // The length of the rest is known in bytes of the agent's JSON text, not in characters.
  const trimmed = text.trimStart();
  const more = cutBytes + (trimmed.length > max ? Buffer.byteLength(trimmed.slice(max)) : 0);
  return `${trimmed.slice(0, max)}… (about ${formatBytes(more)} more)`;
}

function indent(text: string, prefix: string): string {
  // One pass over the text rather than an array of lines (this runs for every tool result).
  return prefix + text.replaceAll('\n', `\n${prefix}`);
}

/** The most telling field of a tool's input (a command, a path), else compact JSON. */
export function summarizeToolInput(input: unknown): string {
  if (input && typeof input === 'object') {
    for (const key of TOOL_INPUT_KEYS) {
      const value: unknown = (input as Record<string, unknown>)[key];
      if (value instanceof CutText) return clip(value.text, MAX_TOOL_INPUT, value.cutBytes);
      if (typeof value === 'string' && value !== '') return clip(value, MAX_TOOL_INPUT);
    }
  }
  return clip(JSON.stringify(input) ?? '', MAX_TOOL_INPUT);
}

/** One event as transcript lines for the log, or nothing for events a reader does not need. */
export function renderEvent(event: AgentEvent): string | undefined {
  switch (event.type) {
    case 'init':
      return `Session ${event.sessionId}${event.model ? ` · model ${event.model}` : ''}${event.version ? ` · v${event.version}` : ''}`;
    case 'text':
      return event.text.trim() || event.cutBytes ? clip(event.text, MAX_TEXT, event.cutBytes) : undefined;
    case 'tool_call':
      return `▶ ${event.name}: ${summarizeToolInput(event.input)}`;
    case 'tool_result': {
      const output = clip(event.output, MAX_TOOL_OUTPUT, event.cutBytes);
      return `${event.ok ? '  ✓' : '  ✗'} ${event.name ?? 'tool'}${output ? `\n${indent(output, '    ')}` : ''}`;
    }
    case 'api_retry':
      return `⟳ API call retried by the agent (${event.attempt}${event.maxRetries ? `/${event.maxRetries}` : ''})${event.status ? ` after HTTP ${event.status}` : ''}${event.error ? ` ${event.error}` : ''}${event.delayMs !== undefined ? `, waiting ${formatDuration(event.delayMs)}` : ''}`;
    case 'error':
      return `✗ ${event.status ? `HTTP ${event.status}: ` : ''}${clip(event.message, MAX_TEXT)}`;
    case 'result': {
      const facts = [event.subtype, event.numTurns !== undefined ? `${event.numTurns} turns` : '', event.costUsd !== undefined ? `$${event.costUsd.toFixed(4)}` : '']
        .filter(Boolean)
        .join(', ');
      return `${event.isError ? '✗ Agent finished with an error' : '✓ Agent finished'} (${facts})${event.isError && event.text ? `: ${clip(event.text, MAX_TEXT)}` : ''}`;
    }
    case 'not_json':
      return event.line.trim() ? clip(event.line, MAX_TEXT) : undefined;
    case 'turn':
    case 'other':
      return undefined;
  }
}
