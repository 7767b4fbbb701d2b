import type { AgentEvent } from '../agents/events.js';
import type { ExecutionFile } from '../report/execution-file.js';
import type { Log } from '../report/log.js';
import { formatBytes } from '../format.js';
import { renderEvent } from '../report/transcript.js';
import type { EvidenceCollector } from './evidence.js';
import type { LineBatch } from './line-batcher.js';

export interface EventConsumerOptions {
  /** The adapter's line reader (a line's bytes, without the line end, to events). */
  readonly parseLine: (line: Buffer) => AgentEvent[];
  readonly executionFile: ExecutionFile;
  readonly log: Log;
  readonly evidence: EvidenceCollector;
  /** Called when the agent reports its session id. */
  readonly onSessionId?: ((id: string) => void) | undefined;
  /** Called after each completed turn or tool result (checkpoint scheduling hooks in here). */
  readonly onProgress?: (() => void) | undefined;
  /** Every event, as parsed (turn-boundary checkpoints track running tool calls with it). */
  readonly onEvent?: ((event: AgentEvent) => void) | undefined;
}

/**
 * The event path of an attempt, one batch of stdout lines at a time: the raw lines to the execution
 * file (one write), each line parsed once into events for the evidence and the hooks, and the
 * transcript to the log (one write per batch).
 */
export function createEventConsumer(options: EventConsumerOptions): (batch: LineBatch) => Promise<void> {
  const { evidence, log } = options;
  // A call's name is needed until its result arrives; forgetting it then keeps memory flat.
  const toolNames = new Map<string, string>();
  return async (batch) => {
    await options.executionFile.writeBatch(batch);
    const transcript: string[] = [];
    for (const line of batch.lines) {
      for (const event of options.parseLine(line)) {
        evidence.add(event);
        options.onEvent?.(event);
        let shown: AgentEvent = event;
        if (event.type === 'init') options.onSessionId?.(event.sessionId);
        else if (event.type === 'tool_call') toolNames.set(event.id, event.name);
        else if (event.type === 'tool_result') {
          if (!event.name) shown = { ...event, name: toolNames.get(event.id) };
          toolNames.delete(event.id);
        }
        if (event.type === 'tool_result' || event.type === 'turn') options.onProgress?.();
        const text = renderEvent(shown);
        if (text !== undefined) transcript.push(text);
      }
    }
    for (const bytes of batch.oversized) transcript.push(`(an event line of ${formatBytes(bytes)} was too long to read; the execution file has it)`);
    if (transcript.length > 0) log.info(transcript.join('\n'));
  };
}
