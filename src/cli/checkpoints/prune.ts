import { lineageHash, type CheckpointRef, type Lineage, type Store } from '../../checkpoint/index.js';
import { SettingsError } from '../../settings/settings.js';
import { actionsStoresName, currentLineage, storeWhere, type Context } from './context.js';
import { lineageCell } from './format.js';
import { errorMessage } from '../../error-message.js';

/** `checkpoints prune --keep N`: all but the newest N of this folder's lineage, or (--all) of every lineage of the local store. */
export async function pruneCommand(ctx: Context, options: { keep: number; all: boolean; dryRun: boolean }): Promise<number> {
  const { out } = ctx;
  const sequences = (refs: readonly CheckpointRef[]): string => refs.map((ref) => ref.sequence).join(', ');
  const pruneOne = async (store: Store, lineage: Lineage): Promise<void> => {
    const label = `${storeWhere(store)}, lineage ${lineageCell(lineageHash(lineage), lineage)}`;
    const refs = await store.list(lineage);
    const doomed = refs.slice(options.keep);
    if (doomed.length === 0) {
      out(`${label}: ${refs.length} checkpoint(s), nothing to delete (keeping ${options.keep})`);
      return;
    }
    if (options.dryRun) {
      out(`${label}: would delete ${doomed.length} of ${refs.length} checkpoint(s): sequence ${sequences(doomed)}`);
      return;
    }
    const deleted = await store.prune(lineage, options.keep);
    const kept = await store.list(lineage);
    out(`${label}: deleted ${deleted} of ${refs.length} checkpoint(s); kept ${kept.length}${kept.length > 0 ? `: sequence ${sequences(kept)}` : ''}`);
  };

  let failed = false;
  if (options.all) {
    if (ctx.choice !== 'local') throw new SettingsError(`--all: only the local store can prune every lineage (${actionsStoresName(ctx.choice)} one lineage at a time)`);
    const store = ctx.localStore();
    const lineages = await store.lineages();
    if (lineages.length === 0) out(`No checkpoints in ${storeWhere(store)}.`);
    for (const entry of lineages) {
      if (entry.lineage === undefined) {
        failed = true;
        ctx.err(`durable-agent: skipped lineage ${entry.hash} in ${storeWhere(store)}: none of its manifests can be read`);
        continue;
      }
      await pruneOne(store, entry.lineage);
    }
    return failed ? 1 : 0;
  }
  const lineage = await currentLineage(ctx);
  for (const store of ctx.stores(lineage)) {
    try {
      await pruneOne(store, lineage);
    } catch (error) {
      failed = true;
      ctx.err(`durable-agent: cannot prune ${storeWhere(store)}: ${errorMessage(error)}`);
    }
  }
  return failed ? 1 : 0;
}
