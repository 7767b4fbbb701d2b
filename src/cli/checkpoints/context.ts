// What every checkpoints command works with: where the checkpoints are (the stores, as
// `durable-agent run` and the action set them up), which lineage is this folder's, and where to write.
import { LocalStore, type Lineage, type Store } from '../../checkpoint/index.js';
import { git } from '../../checkpoint/exec.js';
import { lineageFor } from '../../checkpoint/job.js';
import { createStoreSet } from '../../checkpoint/store-set.js';
import { terminalLog } from '../../report/log.js';
import type { RunContext } from '../../run-context.js';
import { SettingsError, type Settings } from '../../settings/settings.js';
import { CommandFailed } from '../command-failed.js';
import type { CommandIo } from '../io.js';
import type { WhereFlags } from './args.js';
import { readWhereSettings } from './settings.js';

const STORE_CHOICES = ['local', 'cache', 'artifact'] as const;
export type StoreChoice = (typeof STORE_CHOICES)[number] | 'both';

export interface Context {
  /** Writes one line of the command's result (stdout). */
  readonly out: (line: string) => void;
  /** Writes one line about it (stderr). */
  readonly err: (line: string) => void;
  readonly run: RunContext;
  readonly settings: Settings;
  /** `--home` as given, to place the extra folder of a restore elsewhere the same way. */
  readonly homeFlag: string | undefined;
  readonly choice: StoreChoice;
  /** The stores the command looks in, in the order a restore would try them (the cache's depends on the lineage). */
  readonly stores: (lineage: Lineage) => readonly Store[];
  readonly localStore: () => LocalStore;
  readonly actionsStore: (name: 'cache' | 'artifact', lineage: Lineage) => Store;
}

function isStoreChoice(value: string): value is (typeof STORE_CHOICES)[number] {
  return (STORE_CHOICES as readonly string[]).includes(value);
}

export function openContext(flag: WhereFlags, run: RunContext, io: CommandIo): Context {
  const storeFlag = flag('store');
  if (storeFlag !== undefined && !isStoreChoice(storeFlag)) {
    throw new SettingsError(`--store: '${storeFlag}' is not one of ${STORE_CHOICES.join(', ')}`);
  }
  const inActions = run.inActions && Boolean(run.runtimeToken);
  // A folder given for the local store says where to look, inside Actions too.
  const choice: StoreChoice = storeFlag ?? (inActions && flag('checkpoint-dir') === undefined ? 'both' : 'local');
  if (choice !== 'local' && !inActions) {
    throw new SettingsError(`--store: '${choice}' can only be reached from inside a GitHub Actions job (GITHUB_ACTIONS=true and ACTIONS_RUNTIME_TOKEN set)`);
  }
  const settings = readWhereSettings(flag, choice, run);
  const log = terminalLog(process.stderr);
  const actionsStores = (store: StoreChoice, lineage: Lineage): readonly Store[] =>
    createStoreSet({ ...settings, checkpoint: { ...settings.checkpoint, store } }, run, log, lineage).restoreOrder;
  const localStore = (): LocalStore => new LocalStore(settings.checkpoint.dir);
  return {
    out: (line) => io.out(`${line}\n`),
    err: (line) => io.err(`${line}\n`),
    run,
    settings,
    homeFlag: flag('home'),
    choice,
    stores: (lineage) => (choice === 'local' ? [localStore()] : actionsStores(choice, lineage)),
    localStore,
    actionsStore: (name, lineage) => {
      if (!inActions) throw new SettingsError(`the ${name} store can only be reached from inside a GitHub Actions job (GITHUB_ACTIONS=true and ACTIONS_RUNTIME_TOKEN set)`);
      const [store] = actionsStores(name, lineage);
      if (store === undefined) throw new Error(`no ${name} store`);
      return store;
    },
  };
}

/** The lineage a run here would save to and resume, as the run computes it. */
export async function currentLineage(ctx: Context): Promise<Lineage> {
  const { settings, run } = ctx;
  let workspace = settings.workingDirectory;
  // Only a local lineage names the checkout; inside Actions the repository does.
  if (run.repository === undefined) {
    try {
      workspace = await git(settings.workingDirectory, ['rev-parse', '--show-toplevel']);
    } catch {
      throw new CommandFailed(
        `${settings.workingDirectory} is not in a git checkout, so it has no lineage: run this in the checkout a run worked in (or give --working-directory), or use --all`,
      );
    }
  }
  return lineageFor(settings, run, workspace);
}

export function actionsStoresName(choice: StoreChoice): string {
  return choice === 'both' ? 'the cache and artifact stores work' : `the ${choice} store works`;
}

export function storeWhere(store: Store): string {
  return store instanceof LocalStore ? `the local store ${store.root}` : `the ${store.name} store`;
}
