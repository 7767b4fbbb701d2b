import type { AgentDescription } from './agent-description.js';

/**
 * Whether a session id read back from a checkpoint has the agent's own format. It becomes an
 * argument of the agent's command line, so anything else (an option, a path) is never passed on.
 */
export function isSessionIdOf(agent: Pick<AgentDescription, 'sessionIdFormat'>, id: string): boolean {
  return agent.sessionIdFormat.test(id);
}
