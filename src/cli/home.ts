import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

/**
 * The CLI's folder for one working directory (agent state, execution file, local checkpoints):
 * stable, so running again in the same folder finds what the last run left.
 */
export function defaultHome(workingDirectory: string): string {
  return path.join(os.tmpdir(), `durable-agent-${createHash('sha256').update(workingDirectory).digest('hex').slice(0, 12)}`);
}
