import { lineageHash } from '../../checkpoint/index.js';
import { SettingsError } from '../../settings/settings.js';
import { actionsStoresName, currentLineage, storeWhere, type Context } from './context.js';
import { describeLineage, formatCheckpointTable, jsonRow, type CheckpointRow } from './format.js';
import { errorMessage } from '../../error-message.js';

/** `checkpoints list`: this folder's lineage in every store it uses, or (--all) every lineage of the local store. */
export async function listCommand(ctx: Context, options: { all: boolean; json: boolean }): Promise<number> {
  const { out } = ctx;
  if (options.all) {
    if (ctx.choice !== 'local') throw new SettingsError(`--all: only the local store can list every lineage (${actionsStoresName(ctx.choice)} one lineage at a time)`);
    const store = ctx.localStore();
    const lineages = await store.lineages();
    const rows = lineages.flatMap((entry) => entry.refs.map((ref) => ({ lineageHash: entry.hash, lineage: entry.lineage, ref })));
    if (options.json) {
      out(JSON.stringify(rows.map(jsonRow), null, 2));
      return 0;
    }
    if (rows.length === 0) {
      out(`No checkpoints in ${storeWhere(store)}.`);
      return 0;
    }
    out(`${rows.length} checkpoint(s) of ${lineages.length} lineage(s) in ${storeWhere(store)}:\n`);
    out(formatCheckpointTable(rows));
    out('\nLineages:');
    for (const entry of lineages) out(`  ${entry.hash}  ${entry.lineage === undefined ? '(no readable manifest)' : describeLineage(entry.lineage)}`);
    return 0;
  }

  const lineage = await currentLineage(ctx);
  const hash = lineageHash(lineage);
  const rows: CheckpointRow[] = [];
  let failed = false;
  const stores = ctx.stores(lineage);
  for (const store of stores) {
    try {
      for (const ref of await store.list(lineage)) rows.push({ lineageHash: hash, lineage, ref });
    } catch (error) {
      failed = true;
      ctx.err(`durable-agent: cannot list ${storeWhere(store)}: ${errorMessage(error)}`);
    }
  }
  if (options.json) {
    out(JSON.stringify(rows.map(jsonRow), null, 2));
    return failed ? 1 : 0;
  }
  const where = stores.map(storeWhere).join(' and ');
  if (rows.length === 0) {
    out(`No checkpoints of lineage ${describeLineage(lineage)} (${hash}) in ${where}.`);
    if (ctx.choice === 'local') out('`durable-agent checkpoints list --all` lists every lineage there.');
    return failed ? 1 : 0;
  }
  out(`Checkpoints of lineage ${describeLineage(lineage)} (${hash}) in ${where}:\n`);
  out(formatCheckpointTable(rows));
  return failed ? 1 : 0;
}
