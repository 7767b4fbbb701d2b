import path from 'node:path';
import type { AgentName } from '../settings/settings.js';

// Guard mode checkpoints the agent's sessions where the agent keeps them by default, because the
// user's own step starts it (claude-code-action, OpenCode's action, a plain `run:`), not us.

/** Pure: Claude Code's config folder (`~/.claude`) or OpenCode's data folder, as the agent finds them. */
export function defaultStateDir(agent: AgentName, env: Readonly<Record<string, string | undefined>>, home: string): string {
  if (agent === 'claude') return env.CLAUDE_CONFIG_DIR || path.join(home, '.claude');
  return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'opencode');
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
