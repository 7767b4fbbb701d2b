// Lineage and sequence helpers for the local store and the restore. The hash and the sequence
// format are the ones the GitHub stores use (stores/lineage-key.ts), so every store names a
// lineage's checkpoints the same way.
import type { CheckpointRef } from './store.js';
import { formatSequence, lineageHash } from './stores/lineage-key.js';

export { formatSequence, lineageHash };

/**
 * Above any sequence a lineage reaches (one checkpoint a second for 30 years): a larger one is junk
 * or planted, and taking it would push every later save's sequence out of range.
 */
export const MAX_SEQUENCE = 999_999_999;

/** The sequence a folder or key suffix names, or undefined for anything else (temp folders, stray files, absurd numbers). */
export function parseSequenceLabel(label: string): number | undefined {
  if (!/^\d{6,}$/.test(label)) return undefined;
  const sequence = Number(label);
  return Number.isSafeInteger(sequence) && sequence <= MAX_SEQUENCE ? sequence : undefined;
}

/** The sequence the next checkpoint of a lineage gets. */
export function nextSequence(refs: readonly Pick<CheckpointRef, 'sequence'>[]): number {
  return refs.reduce((highest, ref) => Math.max(highest, ref.sequence + 1), 0);
}

/** Newest first, as `Store.list` returns them; on a tie (one sequence saved by two attempts) the newer attempt first. */
export function newestFirst<T extends Pick<CheckpointRef, 'sequence' | 'attempt'>>(refs: readonly T[]): T[] {
  return [...refs].sort((a, b) => b.sequence - a.sequence || b.attempt - a.attempt);
}
