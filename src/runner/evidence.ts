import type { AgentEvent, ErrorEvent, ResultEvent } from '../agents/events.js';

/** Collects, from an attempt's events, what the classifier and the report need. */
export class EvidenceCollector {
  sessionId: string | undefined;
  result: ResultEvent | undefined;
  readonly errors: ErrorEvent[] = [];
  finishedAfterLastError = false;
  agentRetries = 0;
  turns = 0;
  /** Summed from per-turn costs (OpenCode) unless the agent reports a total (Claude's result). */
  costUsd: number | undefined;

  constructor(sessionId?: string) {
    this.sessionId = sessionId;
  }

  add(event: AgentEvent): void {
    switch (event.type) {
      case 'init':
        this.sessionId = event.sessionId;
        break;
      case 'result':
        this.result = event;
        if (event.costUsd !== undefined) this.costUsd = event.costUsd;
        if (event.sessionId) this.sessionId = event.sessionId;
        break;
      case 'error':
        this.errors.push(event);
        this.finishedAfterLastError = false;
        break;
      case 'turn':
        this.turns += 1;
        if (event.costUsd !== undefined && this.result === undefined) this.costUsd = (this.costUsd ?? 0) + event.costUsd;
        if (event.reason === 'stop' || event.reason === 'end_turn') this.finishedAfterLastError = true;
        break;
      case 'api_retry':
        this.agentRetries += 1;
        break;
      default:
        break;
    }
  }

  get numTurns(): number | undefined {
    return this.result?.numTurns ?? (this.turns || undefined);
  }
}
