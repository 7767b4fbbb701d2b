// The agent's commits across the checkpoints of one job: the first checkpoint with commits bundles
// them against base; each later one bundles only the commits since the one before and lists the
// earlier bundles, so a long run does not store (and scan) its whole history again at every save.
// Kept in the staging folder beside the stat cache, whose objects it names.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { segmentSchema } from './file-tree.js';
import { MAX_BUNDLE_CHAIN } from './manifest.js';
import { parseJsonAs } from '../parse-json.js';

const linkSchema = z.object({ size: z.number().int().nonnegative(), segments: z.array(segmentSchema) });
export type BundleLink = z.infer<typeof linkSchema>;

const chainSchema = z.object({
  version: z.literal(1),
  /** The secrets the commits were scanned for (a hash, as the stat cache keeps it). */
  scanKey: z.string(),
  base: z.string(),
  /** The commit the newest bundle brings; every commit from base to it is bundled and scanned. */
  head: z.string(),
  /** Oldest first. */
  links: z.array(linkSchema).min(1),
});
export type BundleChain = z.infer<typeof chainSchema>;

export async function loadBundleChain(file: string, scanKey: string): Promise<BundleChain | undefined> {
  const chain = parseJsonAs(chainSchema, await readFile(file, 'utf8').catch(() => ''));
  return chain?.scanKey === scanKey ? chain : undefined;
}

export async function saveBundleChain(file: string, chain: BundleChain | undefined): Promise<void> {
  const temp = `${file}.tmp`;
  await writeFile(temp, JSON.stringify(chain ?? null), { mode: 0o600 });
  await rename(temp, file);
}

/** Whether a save may build on the chain: not too long (a restore unbundles each link). */
export function mayExtend(chain: BundleChain): boolean {
  return chain.links.length <= MAX_BUNDLE_CHAIN;
}

/**
 * The chain after this save: `kind` says what the snapshot bundled (see BundleKind); `link` is the
 * bundle it wrote, if any.
 */
export function nextChain(previous: BundleChain | undefined, kind: 'none' | 'full' | 'since' | 'unchanged', link: BundleLink | undefined, state: { scanKey: string; base: string; head: string }): BundleChain | undefined {
  if (kind === 'none') return undefined;
  if (kind === 'unchanged') return previous;
  if (link === undefined) return undefined;
  const earlier = kind === 'since' && previous !== undefined ? previous.links : [];
  return { version: 1, ...state, links: [...earlier, link] };
}
