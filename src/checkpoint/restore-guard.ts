// Checks a fetched checkpoint's manifest against this run before the restore touches anything:
// that it belongs to this lineage (every field, not just the repository) and, with
// `resume_from: branch`, that restoring it would not move the checkout backwards.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CheckpointRejected } from './errors.js';
import { git } from './exec.js';
import { branchRestoreProblem, lineageMismatch } from './lineage.js';
import { parseManifest, type CheckpointManifest } from './manifest.js';
import type { Lineage, Store } from './store.js';

async function succeeds(cwd: string, args: string[]): Promise<boolean> {
  try {
    await git(cwd, args);
    return true;
  } catch {
    return false;
  }
}

/** Why restoring this checkpoint would drop commits of the checkout, or undefined. */
export async function checkoutAheadProblem(workspace: string, manifest: CheckpointManifest): Promise<string | undefined> {
  const head = (await git(workspace, ['rev-parse', 'HEAD'])).trim();
  const base = manifest.workspace.base;
  if (head === base) return undefined;
  const hasBase = await succeeds(workspace, ['cat-file', '-e', `${base}^{commit}`]);
  const headIsAncestorOfBase = hasBase && (await succeeds(workspace, ['merge-base', '--is-ancestor', head, base]));
  return branchRestoreProblem({ head, base, hasBase, headIsAncestorOfBase });
}

export interface RestoreGuardOptions {
  readonly lineage: Lineage;
  readonly workspace: string;
  /** `resume_from: branch`: checkpoints of earlier runs, whose base may be behind the checkout. */
  readonly acrossRuns: boolean;
}

/**
 * The same store, whose `fetch` refuses (CheckpointRejected, so the next older one is tried) a
 * checkpoint of another lineage, or one that would move the checkout backwards.
 */
export function guardStore(store: Store, options: RestoreGuardOptions): Store {
  return {
    name: store.name,
    save: (request) => store.save(request),
    list: (lineage) => store.list(lineage),
    prune: (lineage, keep) => store.prune(lineage, keep),
    fetch: async (ref, intoDir) => {
      await store.fetch(ref, intoDir);
      const text = await readFile(path.join(intoDir, 'manifest.json'), 'utf8').catch(() => undefined);
      // Without a readable manifest the restore itself refuses the checkpoint, with the reason.
      const parsed = text === undefined ? undefined : parseManifest(text);
      if (!parsed?.ok) return;
      const foreign = lineageMismatch(parsed.manifest.lineage, options.lineage);
      if (foreign !== undefined) throw new CheckpointRejected('foreign-lineage', foreign);
      if (options.acrossRuns) {
        const ahead = await checkoutAheadProblem(options.workspace, parsed.manifest);
        if (ahead !== undefined) throw new CheckpointRejected('checkout-ahead', `not restored, since ${ahead}`);
      }
    },
  };
}
