// What of an agent's state folder a checkpoint may carry: its session data, never its settings.
// A checkpoint is data, never code: settings, hooks, MCP servers, plugins, commands and agents
// decide what runs on the runner, so a checkpoint that brought them back would let whoever wrote
// it (an earlier attempt of the agent, or anyone who can write the store) run code in every later
// run. An allow-list, so that a folder a new CLI version adds stays out until it is judged; each
// agent's list is in its description (src/agents/*-agent.ts).
import type { AgentDescription } from '../agents/agent-description.js';

/**
 * Whether a path of the agent's state folder (relative, '/'-separated; folders too, since a kept
 * file needs its parents) is session data that a checkpoint may save and restore.
 */
export function isSessionData(agent: Pick<AgentDescription, 'isSessionData'>, relativePath: string): boolean {
  const parts = relativePath.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.length === 0 || parts.includes('..')) return false;
  return agent.isSessionData(parts);
}

/**
 * Agent configuration inside the work tree, in any folder (the agent may run in a subfolder):
 * what decides which tools, hooks, MCP servers, commands, subagents and plugins run. `.claude/`
 * holds settings, hooks, commands, agents, skills and output styles; `.opencode/` its agents,
 * commands, plugins and tools. CLAUDE.md and AGENTS.md are not in it: they are text the model
 * reads, like any file of the repository, and editing them is ordinary work the next run should see.
 */
export function isWorkTreeAgentConfig(relativePath: string): boolean {
  const parts = relativePath.split('/').filter((part) => part !== '' && part !== '.');
  const name = parts.at(-1);
  if (name === undefined) return false;
  if (parts.includes('.claude') || parts.includes('.opencode')) return true;
  return name === '.mcp.json' || /^opencode\.jsonc?$/.test(name);
}
