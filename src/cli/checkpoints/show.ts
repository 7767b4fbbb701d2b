import { stat } from 'node:fs/promises';
import path from 'node:path';
import { MANIFEST_FILE } from '../../checkpoint/index.js';
import type { Context } from './context.js';
import { formatManifest } from './format.js';
import { integrityProblem, locate, readManifestText, withCheckpointFolder } from './locate.js';

/** `checkpoints show KEY`: the manifest and its check (1 when a file does not match). */
export async function showCommand(ctx: Context, key: string, options: { json: boolean }): Promise<number> {
  const located = await locate(ctx, key);
  return withCheckpointFolder(located, async (dir) => {
    const { text, manifest } = await readManifestText(dir, located.ref.key);
    if (options.json) {
      ctx.out(text.replace(/\n$/, ''));
      return 0;
    }
    const problem = await integrityProblem(dir, manifest);
    const manifestBytes = (await stat(path.join(dir, MANIFEST_FILE))).size;
    ctx.out(formatManifest(manifest, { key: located.ref.key, store: located.store.name, location: located.folder, problem, manifestBytes }));
    return problem === undefined ? 0 : 1;
  });
}
