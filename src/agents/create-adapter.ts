import type { AdapterContext, AgentAdapter } from './adapter.js';
import { ClaudeAdapter } from './claude.js';
import { OpenCodeAdapter } from './opencode.js';

export function createAdapter(context: AdapterContext): AgentAdapter {
  switch (context.settings.agent) {
    case 'claude':
      return new ClaudeAdapter(context);
    case 'opencode':
      return new OpenCodeAdapter(context);
  }
}
