// The local store read whole, every lineage of it (the store itself answers for one lineage). It
// re-types the store's folder layout (src/checkpoint/local-store.ts) until the store walks itself.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { lineageHash, newestFirst, parseSequenceLabel, type CheckpointRef, type Lineage } from '../../checkpoint/index.js';
import { describeCheckpointFolder } from '../../checkpoint/local-store.js';

export interface LocalLineage {
  readonly hash: string;
  /** From a manifest of the folder; undefined when none could be read. */
  readonly lineage: Lineage | undefined;
  /** Newest first. */
  readonly refs: readonly CheckpointRef[];
}

/** Every lineage in a local store folder: `<root>/<lineage hash>/<sequence>/manifest.json`. */
export async function walkLocalStore(root: string): Promise<LocalLineage[]> {
  let hashes: string[];
  try {
    hashes = (await readdir(root, { withFileTypes: true })).filter((entry) => entry.isDirectory() && /^[0-9a-f]{16}$/.test(entry.name)).map((entry) => entry.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const lineages: LocalLineage[] = [];
  for (const hash of hashes) {
    const refs: CheckpointRef[] = [];
    let lineage: Lineage | undefined;
    for (const name of await readdir(path.join(root, hash))) {
      const sequence = parseSequenceLabel(name);
      if (sequence === undefined) continue;
      const described = await describeCheckpointFolder(path.join(root, hash, name), `${hash}/${name}`, sequence);
      if (described === undefined) continue;
      refs.push(described.ref);
      // A manifest that names another lineage than its folder is not trusted to name this one.
      if (lineage === undefined && described.lineage !== undefined && lineageHash(described.lineage) === hash) lineage = described.lineage;
    }
    if (refs.length > 0) lineages.push({ hash, lineage, refs: newestFirst(refs) });
  }
  const newest = (entry: LocalLineage): string => entry.refs.reduce((latest, ref) => (ref.createdAt > latest ? ref.createdAt : latest), '');
  return lineages.sort((a, b) => newest(b).localeCompare(newest(a)) || a.hash.localeCompare(b.hash));
}
