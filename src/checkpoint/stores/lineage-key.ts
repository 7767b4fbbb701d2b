// Names derived from a lineage, shared by the stores that keep checkpoints on GitHub.
import { createHash } from 'node:crypto';
import type { Lineage } from '../store.js';

/**
 * First 16 hex digits of sha256 over JSON [repository, workflow, job, checkpointId, runId]: short
 * enough for a cache key, long enough that two lineages never meet, and free of the characters
 * (commas, slashes) the ids themselves may contain.
 */
export function lineageHash(lineage: Lineage): string {
  const parts = [lineage.repository, lineage.workflow, lineage.job, lineage.checkpointId, lineage.runId];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

/** Zero-padded to 6 digits so keys of one lineage sort by sequence; larger sequences just grow. */
export function formatSequence(sequence: number): string {
  if (!Number.isSafeInteger(sequence) || sequence < 0) throw new RangeError(`a checkpoint sequence must be a non-negative integer, got ${sequence}`);
  return String(sequence).padStart(6, '0');
}
