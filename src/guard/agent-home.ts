import path from 'node:path';
import type { AgentDescription } from '../agents/agent-description.js';
import { isSessionData } from '../checkpoint/agent-config-policy.js';

// Guard mode checkpoints the agent's sessions where the agent keeps them by default, because the
// user's own step starts it (claude-code-action, OpenCode's action, a plain `run:`), not us. Each
// agent's default home is in its description; these read it for the guard.

/** Pure: the agent's own state folder (Claude Code's `~/.claude`, OpenCode's data folder), as the agent finds it. */
export function defaultStateDir(agent: Pick<AgentDescription, 'defaultHome'>, env: Readonly<Record<string, string | undefined>>, home: string): string {
  return agent.defaultHome.stateDir(env, home);
}

/**
 * Pure: the root of the layout the agent's description knows (its session store, its session data),
 * given defaultStateDir's folder: Claude Code's config folder itself, the data home above OpenCode's folder.
 */
export function sessionStoreRoot(agent: Pick<AgentDescription, 'defaultHome'>, stateDir: string): string {
  const { within } = agent.defaultHome;
  return within === '' ? stateDir : path.resolve(stateDir, ...within.split('/').map(() => '..'));
}

/** Pure: which paths of defaultStateDir's folder are session data. */
export function isGuardSessionData(agent: Pick<AgentDescription, 'defaultHome' | 'isSessionData'>, relativePath: string): boolean {
  return isSessionData(agent, path.posix.join(agent.defaultHome.within, relativePath));
}

/**
 * What of that folder is not session data: the agent's own settings, hooks, commands, plugins and
 * caches stay as the job set them up (credential files are always left out by the checkpoint).
 */
export function stateExclude(agent: Pick<AgentDescription, 'defaultHome'>): string[] {
  return [...agent.defaultHome.exclude];
}

/**
 * The guard does not see the agent's events, so the session a checkpoint holds is read from the
 * agent's own store in defaultStateDir's folder: the newest one of the working directory.
 */
export function findSession(agent: Pick<AgentDescription, 'defaultHome' | 'findSession'>, stateDir: string, cwd: string): Promise<string | undefined> {
  return agent.findSession(sessionStoreRoot(agent, stateDir), cwd);
}

/** Pure: each agent's guard base-URL output: the proxy's URL in the form that agent's provider takes ('' without a proxy). */
export function baseUrlOutputs(agents: readonly Pick<AgentDescription, 'baseUrlPath' | 'guardBaseUrlOutput'>[], proxyUrl: string | undefined): Record<string, string> {
  return Object.fromEntries(agents.flatMap((agent) => agent.guardBaseUrlOutput === undefined ? [] : [[agent.guardBaseUrlOutput, proxyUrl ? `${proxyUrl}${agent.baseUrlPath}` : '']]));
}

/**
 * Pure: guard mode's outputs named for each agent's args input (`claude_args`, `opencode_args`):
 * the arguments that resume the restored session for the guarded agent, empty for the others.
 */
export function resumeOutputs(agents: readonly Pick<AgentDescription, 'name' | 'inputs' | 'resumeArgs'>[], guarded: string, sessionId: string | undefined): Record<string, string> {
  return Object.fromEntries(agents.map((agent) => [agent.inputs.args, agent.name === guarded && sessionId ? agent.resumeArgs(sessionId).join(' ') : '']));
}
