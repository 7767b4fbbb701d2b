import { readFile, rename, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { parseJsonAs } from '../parse-json.js';

// The daemon's status file: how main learns the daemon is ready (and what it restored), and how
// post learns what it did. Written whole and renamed into place, so a reader never sees half.

const checkpoint = z.object({
  kind: z.enum(['saved', 'restored']),
  at: z.string(),
  sequence: z.number(),
  sizeBytes: z.number(),
  store: z.string(),
  durationMs: z.number().optional(),
  /** What a saved checkpoint guarantees (turn-boundary, mid-turn, agent-state-first). */
  consistency: z.string().optional(),
});

export const guardStatusSchema = z.object({
  state: z.enum(['starting', 'running', 'stopped', 'failed']),
  pid: z.number().int(),
  message: z.string().optional(),
  proxyUrl: z.string().optional(),
  /** Variable → proxy URL, for $GITHUB_ENV. */
  baseUrls: z.record(z.string(), z.string()).default({}),
  resumed: z.boolean().default(false),
  restoredFrom: z.string().default(''),
  sessionId: z.string().optional(),
  proxy: z
    .object({
      requests: z.number(),
      retriedRequests: z.number(),
      retries: z.number(),
      recovered: z.number(),
      passedOnFailures: z.number(),
      failuresByStatus: z.record(z.string(), z.number()),
      waitMs: z.number(),
      /** Requests held through an outage (HoldRecord). */
      holds: z.array(z.object({ startedAt: z.number(), durationMs: z.number(), tries: z.number(), finalStatus: z.string() })).default([]),
    })
    .optional(),
  /** turn-boundary or agent-state-first (CheckpointMode); empty without checkpoints. */
  checkpointMode: z.enum(['turn-boundary', 'agent-state-first', '']).default(''),
  checkpoints: z.array(checkpoint).default([]),
  checkpointKey: z.string().default(''),
});
export type GuardStatus = z.infer<typeof guardStatusSchema>;

export async function writeStatus(file: string, status: GuardStatus): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(status, null, 2));
  await rename(temp, file);
}

export async function readStatus(file: string): Promise<GuardStatus | undefined> {
  return parseJsonAs(guardStatusSchema, await readFile(file, 'utf8').catch(() => ''));
}
