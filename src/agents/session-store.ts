// What the turn gate asks of an agent's own session store on disk: has it recorded these tool results yet?
import type { AgentAdapter } from './adapter.js';

export interface SessionStoreReader {
  /**
   * The ids among `toolUseIds` whose results the agent has not yet written to its session store.
   * `sessionId` narrows the search when known. Never throws: an unreadable store reports every id missing.
   */
  missing(toolUseIds: readonly string[], sessionId: string | undefined): Promise<string[]>;
  /** Tool calls the store shows as still running (for agents that print a call only once it ends, and for guard mode, which sees no events). */
  running(sessionId: string | undefined): Promise<Array<{ name: string; id: string }>>;
  /** Releases open handles (a database connection). */
  close(): void;
}

/** The reader for the adapter's agent, over the state folder durable-agent gave it. */
export function sessionStoreFor(adapter: Pick<AgentAdapter, 'agent' | 'stateDir'>): SessionStoreReader {
  return adapter.agent.sessionStore(adapter.stateDir);
}
