import path from 'node:path';
import { isSessionData } from '../checkpoint/agent-config-policy.js';
import type { AgentName } from '../settings/settings.js';

// Guard mode checkpoints the agent's sessions where the agent keeps them by default, because the
// user's own step starts it (claude-code-action, OpenCode's action, a plain `run:`), not us.

/**
 * Pure: the folder sessionStoreFor's reader takes, given agentDefaultStateDir's: Claude Code's config
 * folder itself, the data home above OpenCode's folder (its reader appends `opencode/opencode.db`).
 */
export function sessionStoreRoot(agent: AgentName, stateDir: string): string {
  return agent === 'claude' ? stateDir : path.dirname(stateDir);
}

/**
 * Pure: which paths of agentDefaultStateDir's folder are session data. isSessionData knows OpenCode's
 * data home (XDG_DATA_HOME, with `opencode/` in every path); the guard saves `opencode/` itself.
 */
export function isGuardSessionData(agent: AgentName, relativePath: string): boolean {
  return agent === 'claude' ? isSessionData('claude', relativePath) : isSessionData('opencode', path.posix.join('opencode', relativePath));
}

/**
 * What of that folder is not session data: the agent's own settings, hooks, commands, plugins and
 * caches stay as the job set them up (credential files are always left out by the checkpoint).
 */
export function stateExclude(agent: AgentName): string[] {
  if (agent === 'claude') {
    return [
      '/settings.json',
      '/settings.local.json',
      '/CLAUDE.md',
      '/agents',
      '/commands',
      '/hooks',
      '/plugins',
      '/skills',
      '/output-styles',
      '/statsig',
      '/ide',
      '/local',
      '/downloads',
      '/cache',
      '/debug',
      '/telemetry',
      '/*.json.backup',
      '/keybindings.json',
    ];
  }
  return ['/snapshot', '/bin', '/log', '/tool-output'];
}

/** Pure: Claude Code's project folder name for a working directory (every non-alphanumeric as '-'). */
export function claudeProjectName(cwd: string): string {
  return cwd.replace(/[^a-zA-Z0-9]/g, '-');
}
