import type { AdapterContext, AgentAdapter } from './adapter.js';
import { agentNamed } from './registry.js';

export function createAdapter(context: AdapterContext): AgentAdapter {
  return agentNamed(context.settings.agent).createAdapter(context);
}
