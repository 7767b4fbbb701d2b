// What a KEY argument names. Each form re-types a store's key format (the local store's
// `<lineage hash>/<sequence>` folders in src/checkpoint/local-store.ts, the cache key of
// stores/actions-cache.ts, the artifact name of stores/artifact.ts): keep them in step until
// each store parses its own keys.
import { formatSequence } from '../../checkpoint/index.js';

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
  const local = /^([0-9a-f]{16})\/(\d{1,15})$/.exec(value);
  if (local?.[1] !== undefined && local[2] !== undefined) {
    const sequence = Number(local[2]);
    return { kind: 'local', key: `${local[1]}/${formatSequence(sequence)}`, hash: local[1], sequence };
  }
  const cache = /^durable-agent-v2-([0-9a-f]{16})-m-(\d{6,15})$/.exec(value);
  if (cache?.[1] !== undefined && cache[2] !== undefined) return { kind: 'cache', key: value, hash: cache[1], sequence: Number(cache[2]) };
  const artifact = /^durable-agent-.+-a(\d{1,9})-(\d{6,15})$/.exec(value);
  if (artifact?.[1] !== undefined && artifact[2] !== undefined) return { kind: 'artifact', key: value, attempt: Number(artifact[1]), sequence: Number(artifact[2]) };
  return undefined;
}
