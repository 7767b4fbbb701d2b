// What a KEY argument names: a key of one of the stores (each store parses its own), a sequence
// number of the current lineage, or `latest`.
import { parseLocalKey } from '../../checkpoint/local-store.js';
import { parseCacheKey } from '../../checkpoint/stores/actions-cache.js';
import { parseArtifactName } from '../../checkpoint/stores/artifact.js';

export type ParsedKey =
  | { readonly kind: 'local'; readonly key: string; readonly hash: string; readonly sequence: number }
  | { readonly kind: 'cache'; readonly key: string; readonly hash: string; readonly sequence: number }
  | { readonly kind: 'artifact'; readonly key: string; readonly attempt: number; readonly sequence: number }
  | { readonly kind: 'sequence'; readonly sequence: number }
  | { readonly kind: 'latest' };

/** What a KEY argument names; undefined when it is none of the forms. */
export function parseCheckpointKey(text: string): ParsedKey | undefined {
  const value = text.trim();
  if (value === 'latest') return { kind: 'latest' };
  if (/^\d{1,15}$/.test(value)) return { kind: 'sequence', sequence: Number(value) };
  const local = parseLocalKey(value);
  if (local !== undefined) return { kind: 'local', ...local };
  const cache = parseCacheKey(value);
  if (cache !== undefined) return { kind: 'cache', key: value, ...cache };
  const artifact = parseArtifactName(value);
  if (artifact !== undefined) return { kind: 'artifact', key: value, ...artifact };
  return undefined;
}
