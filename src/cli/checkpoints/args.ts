// The checkpoints commands' arguments, parsed into one request per command.
import { parseArgs } from 'node:util';
import { SettingsError } from '../../settings/settings.js';
import { isSubcommand, SUBCOMMAND_HELP } from './help.js';

const COMMON_OPTIONS = {
  store: { type: 'string' },
  'checkpoint-dir': { type: 'string' },
  'checkpoint-id': { type: 'string' },
  'resume-from': { type: 'string' },
  'working-directory': { type: 'string' },
  home: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const OPTIONS = {
  list: { ...COMMON_OPTIONS, all: { type: 'boolean' }, json: { type: 'boolean' } },
  show: { ...COMMON_OPTIONS, json: { type: 'boolean' } },
  restore: { ...COMMON_OPTIONS, into: { type: 'string' }, 'agent-state': { type: 'string' }, 'extra-dir': { type: 'string' }, force: { type: 'boolean' } },
  prune: { ...COMMON_OPTIONS, keep: { type: 'string' }, all: { type: 'boolean' }, 'dry-run': { type: 'boolean' } },
} as const;

/** The flags every command takes to say where to look. */
export type WhereFlag = Exclude<keyof typeof COMMON_OPTIONS, 'help'>;
/** A where-flag's value as given; undefined when it was not. */
export type WhereFlags = (name: WhereFlag) => string | undefined;

export type CheckpointsRequest =
  | { readonly command: 'help'; readonly text: string }
  | { readonly command: 'list'; readonly where: WhereFlags; readonly all: boolean; readonly json: boolean }
  | { readonly command: 'show'; readonly where: WhereFlags; readonly key: string; readonly json: boolean }
  | {
      readonly command: 'restore';
      readonly where: WhereFlags;
      readonly key: string;
      readonly into: string | undefined;
      readonly agentStateDir: string | undefined;
      readonly extraDir: string | undefined;
      readonly force: boolean;
    }
  | { readonly command: 'prune'; readonly where: WhereFlags; readonly keep: number; readonly all: boolean; readonly dryRun: boolean };

/** The request of `checkpoints <sub> ...rest`; throws SettingsError (or parseArgs' TypeError) for bad arguments. */
export function parseCheckpointsArgs(sub: string, rest: readonly string[]): CheckpointsRequest {
  if (!isSubcommand(sub)) throw new SettingsError(`checkpoints: unknown command '${sub}' (one of list, show, restore, prune)`);
  const { values, positionals } = parseArgs({ args: [...rest], options: OPTIONS[sub], allowPositionals: true, strict: true });
  const flags: Record<string, unknown> = values;
  if (flags.help === true) return { command: 'help', text: SUBCOMMAND_HELP[sub] };
  const text = (name: string): string | undefined => {
    const value = flags[name];
    return typeof value === 'string' ? value : undefined;
  };
  const on = (name: string): boolean => flags[name] === true;
  const where: WhereFlags = text;
  switch (sub) {
    case 'list':
      noPositionals(sub, positionals);
      return { command: sub, where, all: on('all'), json: on('json') };
    case 'show':
      return { command: sub, where, key: oneKey(sub, positionals), json: on('json') };
    case 'restore':
      return {
        command: sub,
        where,
        key: oneKey(sub, positionals),
        into: nonEmpty('--into', text('into')),
        agentStateDir: nonEmpty('--agent-state', text('agent-state')),
        extraDir: nonEmpty('--extra-dir', text('extra-dir')),
        force: on('force'),
      };
    case 'prune':
      noPositionals(sub, positionals);
      return { command: sub, where, keep: parseKeep(text('keep')), all: on('all'), dryRun: on('dry-run') };
  }
}

function noPositionals(sub: string, positionals: readonly string[]): void {
  if (positionals.length > 0) throw new SettingsError(`checkpoints ${sub}: unexpected argument '${positionals[0] ?? ''}'`);
}

function oneKey(sub: string, positionals: readonly string[]): string {
  const [key, extra] = positionals;
  if (key === undefined) throw new SettingsError(`checkpoints ${sub}: give the checkpoint KEY (as \`checkpoints list\` prints it)`);
  if (extra !== undefined) throw new SettingsError(`checkpoints ${sub}: unexpected argument '${extra}' (one KEY only)`);
  return key;
}

function nonEmpty(flag: string, value: string | undefined): string | undefined {
  if (value !== undefined && value.trim() === '') throw new SettingsError(`${flag}: needs a folder`);
  return value;
}

function parseKeep(value: string | undefined): number {
  if (value === undefined) throw new SettingsError('--keep: required (how many of the newest checkpoints to keep)');
  if (!/^\d{1,6}$/.test(value.trim())) throw new SettingsError(`--keep: '${value}' is not a whole number from 0 to 999999`);
  return Number(value.trim());
}
