import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

/**
 * The CLI's folder for one working directory (agent state, execution file, local checkpoints):
 * stable, so running again in the same folder finds what the last run left. Under the user's
 * state folder ($XDG_STATE_HOME, else ~/.local/state), never a predictable name in the shared
 * temp folder, where another user could create it first and plant settings that run as us.
 */
export function defaultHome(workingDirectory: string, env: NodeJS.ProcessEnv = process.env): string {
  const stateHome = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : path.join(env.HOME || os.homedir(), '.local', 'state');
  return path.join(stateHome, 'durable-agent', createHash('sha256').update(workingDirectory).digest('hex').slice(0, 12));
}
