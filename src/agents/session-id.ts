import type { AgentName } from '../settings/settings.js';

const FORMATS: Record<AgentName, RegExp> = {
  // Claude Code's session ids are UUIDs (it refuses others for --session-id).
  claude: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  // OpenCode's: `ses_` and base62.
  opencode: /^ses_[A-Za-z0-9]{1,64}$/,
};

/**
 * Whether a session id read back from a checkpoint has the agent's own format. It becomes an
 * argument of the agent's command line, so anything else (an option, a path) is never passed on.
 */
export function isSessionIdOf(agent: AgentName, id: string): boolean {
  return FORMATS[agent].test(id);
}
