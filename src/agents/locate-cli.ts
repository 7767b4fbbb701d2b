import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { exec } from '@actions/exec';
import { which } from '@actions/io';
import type { Log } from '../report/log.js';
import type { AgentDescription } from './agent-description.js';

export interface CliLocation {
  readonly executable: string;
  readonly source: 'input' | 'path' | 'installed' | 'tool-cache';
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds the agent's CLI: the path input, else PATH, else the pinned version installed with npm
 * into the action's tool folder (kept there, so a second step reuses it).
 */
export async function locateCli(
  agent: Pick<AgentDescription, 'label' | 'executableName' | 'npmPackage'>,
  options: { explicitPath: string | undefined; version: string; toolsDir: string; searchPath: boolean },
  log: Log,
): Promise<CliLocation> {
  if (options.explicitPath) {
    const file = path.resolve(options.explicitPath);
    if (!(await isExecutable(file))) throw new Error(`${agent.label} executable not found or not executable: ${file}`);
    return { executable: file, source: 'input' };
  }
  if (options.searchPath) {
    const found = await which(agent.executableName, false);
    if (found) return { executable: found, source: 'path' };
  }
  const prefix = path.join(options.toolsDir, `${agent.executableName}-${options.version}`);
  const installed = path.join(prefix, 'node_modules', '.bin', agent.executableName);
  if (await isExecutable(installed)) return { executable: installed, source: 'tool-cache' };

  log.info(`${agent.executableName} is not on PATH: installing ${agent.npmPackage}@${options.version} with npm into ${prefix}`);
  const code = await exec(
    'npm',
    ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', `${agent.npmPackage}@${options.version}`],
    { ignoreReturnCode: true },
  );
  if (code !== 0 || !(await isExecutable(installed))) {
    throw new Error(`installing ${agent.npmPackage}@${options.version} failed (npm exit code ${code})`);
  }
  return { executable: installed, source: 'installed' };
}
