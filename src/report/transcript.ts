import type { AgentEvent } from '../agents/events.js';
import { formatDuration } from '../format.js';

const MAX_TEXT = 2000;
const MAX_TOOL_OUTPUT = 400;

function clip(text: string, max: number): string {
  const trimmed = text.trim();
  return trimmed.length > max ? `${trimmed.slice(0, max)}… (${trimmed.length - max} more characters)` : trimmed;
}

function indent(text: string, prefix: string): string {
  // One pass over the text rather than an array of lines (this runs for every tool result).
  return prefix + text.replaceAll('\n', `\n${prefix}`);
}

/** The most telling field of a tool's input (a command, a path), else compact JSON. */
export function summarizeToolInput(input: unknown): string {
  if (input && typeof input === 'object') {
    for (const key of ['command', 'file_path', 'filePath', 'path', 'pattern', 'url', 'description']) {
      const value: unknown = (input as Record<string, unknown>)[key];
      if (typeof value === 'string' && value !== '') return clip(value, 300);
    }
  }
  return clip(JSON.stringify(input) ?? '', 300);
}

/** One event as transcript lines for the log, or nothing for events a reader does not need. */
export function renderEvent(event: AgentEvent): string | undefined {
  switch (event.type) {
    case 'init':
      return `Session ${event.sessionId}${event.model ? ` · model ${event.model}` : ''}${event.version ? ` · v${event.version}` : ''}`;
    case 'text':
      return event.text.trim() ? clip(event.text, MAX_TEXT) : undefined;
    case 'tool_call':
      return `▶ ${event.name}: ${summarizeToolInput(event.input)}`;
    case 'tool_result': {
      const output = clip(event.output, MAX_TOOL_OUTPUT);
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
