import path from 'node:path';
import { readSettings, SettingsError, type CheckpointStoreChoice, type Settings } from '../../settings/settings.js';
import { cliHome } from '../../home-layout.js';
import type { RunContext } from '../../run-context.js';
import type { WhereFlag, WhereFlags } from './args.js';

/** The settings inputs these commands take, by the flag that gives them. */
const FLAG_OF_INPUT: Readonly<Partial<Record<string, WhereFlag>>> = {
  checkpoint_dir: 'checkpoint-dir',
  checkpoint_id: 'checkpoint-id',
  resume_from: 'resume-from',
  working_directory: 'working-directory',
};

/**
 * The settings `durable-agent run` would have in the folder the flags name, with the given store:
 * what it needs to find its checkpoints (the local store's folder, the lineage, the home). These
 * commands start no agent, so no task is asked for.
 */
export function readWhereSettings(where: WhereFlags, store: CheckpointStoreChoice, run: RunContext): Settings {
  const workingDirectory = path.resolve(where('working-directory') ?? '.');
  const home = where('home') ?? cliHome(workingDirectory, run.user);
  try {
    return readSettings(
      (name) => {
        if (name === 'checkpoint_store') return store;
        if (name === 'github_token') return run.token;
        // A secret, so never a flag: as for `durable-agent run`.
        if (name === 'checkpoint_signing_key') return run.signingKey;
        const flag = FLAG_OF_INPUT[name];
        return flag === undefined ? undefined : where(flag);
      },
      { baseDir: process.cwd(), tempDir: home, job: run.job, startsAgent: false },
    );
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    throw new SettingsError(namingFlags(error.message, where));
  }
}

/** The settings' message with each input named by its flag, and the value when the message leaves it out. */
function namingFlags(message: string, where: WhereFlags): string {
  return message
    .replace(/^(\w+): (?!')/gm, (match, input: string) => {
      const flag = FLAG_OF_INPUT[input];
      return flag === undefined ? match : `--${flag}: '${where(flag) ?? ''}' `;
    })
    .replace(/^(\w+):/gm, (match, input: string) => {
      const flag = FLAG_OF_INPUT[input];
      return flag === undefined ? `${input}:` : `--${flag}:`;
    });
}
