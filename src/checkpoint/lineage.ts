import { createHash } from 'node:crypto';
import type { CheckpointRef, Lineage } from './store.js';

// 16 hex characters (64 bits) keep keys short; lineages of one repository never come near a collision.
const HASH_LENGTH = 16;
// Eight digits sort as text in the same order as numbers, far beyond any real run's checkpoint count.
const SEQUENCE_DIGITS = 8;

/** A stable, filename- and key-safe id for a lineage. */
export function lineageHash(lineage: Lineage): string {
  // A JSON array (not concatenation) so that field boundaries cannot shift between fields.
  const canonical = JSON.stringify([lineage.repository, lineage.workflow, lineage.job, lineage.checkpointId, lineage.runId]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, HASH_LENGTH);
}

/** The zero-padded name of a sequence number (folder names, key suffixes). */
export function sequenceLabel(sequence: number): string {
  if (!Number.isSafeInteger(sequence) || sequence < 0 || sequence >= 10 ** SEQUENCE_DIGITS) {
    throw new RangeError(`checkpoint sequence out of range: ${sequence}`);
  }
  return String(sequence).padStart(SEQUENCE_DIGITS, '0');
}

/** The sequence a label names, or undefined for anything else (temp folders, stray files). */
export function parseSequenceLabel(label: string): number | undefined {
  return new RegExp(`^\\d{${SEQUENCE_DIGITS}}$`).test(label) ? Number(label) : undefined;
}

/** A key for stores with one flat namespace (cache keys, artifact names): prefix + sequence. */
export function checkpointKey(lineage: Lineage, sequence: number): string {
  return `${checkpointKeyPrefix(lineage)}${sequenceLabel(sequence)}`;
}

/** What every key of the lineage starts with (the Actions cache restores by prefix). */
export function checkpointKeyPrefix(lineage: Lineage): string {
  return `durable-agent-${lineageHash(lineage)}-`;
}

/** The sequence the next checkpoint of a lineage gets. */
export function nextSequence(refs: readonly Pick<CheckpointRef, 'sequence'>[]): number {
  return refs.reduce((highest, ref) => Math.max(highest, ref.sequence + 1), 0);
}

/** Newest first, as `Store.list` returns them; ties (same sequence in two stores) newer attempt first. */
export function newestFirst<T extends Pick<CheckpointRef, 'sequence' | 'attempt'>>(refs: readonly T[]): T[] {
  return [...refs].sort((a, b) => b.sequence - a.sequence || b.attempt - a.attempt);
}
