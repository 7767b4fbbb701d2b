// Every agent durable-agent runs. A new agent is one file that describes it (AgentDescription)
// and one line here; its inputs also go in action.yml and guard/action.yml (the README's tables
// are generated from them: npm run docs).
import type { AgentDescription } from './agent-description.js';
import { claudeAgent } from './claude-agent.js';
import { openCodeAgent } from './opencode-agent.js';

/** The default agent (the `agent` input's default) first. */
export const AGENTS = [
  claudeAgent,
  openCodeAgent,
] as const satisfies readonly AgentDescription[];

export type Agent = (typeof AGENTS)[number];
export type AgentName = Agent['name'];
export type AgentInputName = Agent['inputs'][keyof Agent['inputs']];

export const AGENT_NAMES: readonly AgentName[] = AGENTS.map((agent) => agent.name);

/** The description of a named agent (names come from validated settings or manifests checked against AGENT_NAMES). */
export function agentNamed(name: AgentName): Agent {
  const agent = AGENTS.find((candidate) => candidate.name === name);
  if (agent === undefined) throw new Error(`no agent named '${name}'`);
  return agent;
}
