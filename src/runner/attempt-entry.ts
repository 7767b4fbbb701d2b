// One agent attempt as the run's history keeps it: in the checkpoint manifest (so a re-run knows
// what earlier job attempts did), in the main→post state, in the job summary and in
// `durable-agent checkpoints show`. One schema and one type, so a new field is one edit here.
import { z } from 'zod';
import type { AttemptRecord } from './attempt.js';
import { CLASSIFICATION_KINDS } from './classify.js';

// The field order is the order manifests in the wild were written in: a manifest is signed over
// its parsed form, so parsing must give back the same text.
export const attemptEntrySchema = z.object({
  /** The job's run attempt (GITHUB_RUN_ATTEMPT) this agent attempt belonged to. */
  runAttempt: z.number().int().positive(),
  /** The agent attempt within its job attempt, from 1. */
  number: z.number().int().positive(),
  startedAt: z.iso.datetime({ offset: true }),
  durationMs: z.number().nonnegative(),
  mode: z.enum(['fresh', 'resume']),
  /** How the attempt ended: the classification's kind. */
  outcome: z.enum(CLASSIFICATION_KINDS),
  /** The classification's reason (a string: a later version may know more reasons). */
  reason: z.string(),
  /** API calls the proxy retried during the attempt. */
  apiRetries: z.number().int().nonnegative(),
  /** Cost and turns when the agent reported them. */
  costUsd: z.number().nonnegative().optional(),
  turns: z.number().int().nonnegative().optional(),
});

export type AttemptEntry = z.infer<typeof attemptEntrySchema>;

/**
 * A history as read back from a manifest or the main→post state: entries this version does not
 * understand (another shape, a newer outcome) are left out rather than refusing the whole history,
 * since the checkpoint they come with is still worth restoring.
 */
export const attemptHistorySchema = z.array(z.unknown()).transform((entries) =>
  entries.flatMap((entry) => {
    const parsed = attemptEntrySchema.safeParse(entry);
    return parsed.success ? [parsed.data] : [];
  }),
);

export function attemptEntryOf(record: AttemptRecord, runAttempt: number): AttemptEntry {
  return {
    runAttempt,
    number: record.number,
    startedAt: record.startedAt.toISOString(),
    durationMs: record.durationMs,
    mode: record.mode,
    outcome: record.classification.kind,
    reason: record.classification.reason,
    apiRetries: record.apiRetries,
    ...(record.costUsd === undefined ? {} : { costUsd: record.costUsd }),
    ...(record.numTurns === undefined ? {} : { turns: record.numTurns }),
  };
}
