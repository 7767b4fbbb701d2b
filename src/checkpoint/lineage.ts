// Lineage and sequence helpers for the local store and the restore. The hash and the sequence
// format are the ones the GitHub stores use (stores/lineage-key.ts), so every store names a
// lineage's checkpoints the same way.
import { z } from 'zod';
import type { CheckpointRef, Lineage } from './store.js';
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

/** The parts of a workflow event payload the lineage reads; the rest is ignored. */
const eventPayloadSchema = z.object({
  pull_request: z
    .object({
      number: z.number().int().positive(),
      head: z.object({ repo: z.object({ full_name: z.string().min(1).max(200) }).nullable() }),
    })
    .optional(),
  issue: z.object({ number: z.number().int().positive() }).optional(),
});

/** Events that only someone with write access to the repository can cause. */
const TRUSTED_EVENTS: ReadonlySet<string> = new Set(['push', 'workflow_dispatch', 'schedule', 'repository_dispatch', 'release', 'merge_group', 'create']);
const PULL_REQUEST_EVENTS: ReadonlySet<string> = new Set(['pull_request', 'pull_request_target', 'pull_request_review', 'pull_request_review_comment']);

/**
 * Who may have shaped the run, as part of the lineage: `trusted` for events only writers cause
 * (push, dispatch, schedule...); for a pull request the event, the head repository and the
 * number (a fork's `main` is not this repository's `main`); for issue events the number; else the
 * event's name. Runs of different classes never restore each other's checkpoints.
 */
export function trustClass(eventName: string | undefined, payload: unknown): string {
  if (!eventName) return 'local';
  if (TRUSTED_EVENTS.has(eventName)) return 'trusted';
  const parsed = eventPayloadSchema.safeParse(payload);
  const data = parsed.success ? parsed.data : {};
  if (PULL_REQUEST_EVENTS.has(eventName)) {
    const pr = data.pull_request;
    // An unreadable payload still makes a class of its own, never the trusted one.
    return pr ? `${eventName}:${pr.head.repo?.full_name ?? 'deleted-repository'}#${pr.number}` : `${eventName}:unknown`;
  }
  if (data.issue) return `${eventName}#${data.issue.number}`;
  return eventName.replace(/[^\w.-]/g, '-').slice(0, 60) || 'unknown';
}

/** Why a checkpoint saved under `saved` does not belong to `current` (every field is compared), or undefined. */
export function lineageMismatch(saved: Lineage, current: Lineage): string | undefined {
  const fields = ['repository', 'workflow', 'job', 'checkpointId', 'runId'] as const;
  const differing = fields.filter((field) => saved[field] !== current[field]);
  if (differing.length === 0) return undefined;
  return `saved for another lineage (${differing.map((field) => `${field} '${saved[field]}', this run's '${current[field]}'`).join('; ')})`;
}

/** What git says about the checkout and a checkpoint's base commit, for `branchRestoreProblem`. */
export interface CheckoutFacts {
  /** The checkout's HEAD. */
  readonly head: string;
  /** The checkpoint's base commit (the commit its run started from). */
  readonly base: string;
  /** Whether the checkout has the base commit at all (a shallow clone may not). */
  readonly hasBase: boolean;
  /** Whether HEAD is the base or one of its ancestors (restoring then moves the checkout forward or not at all). */
  readonly headIsAncestorOfBase: boolean;
}

/**
 * Why restoring a checkpoint of another run on this branch would move the checkout backwards
 * (drop commits pushed since), or undefined when it would not.
 */
export function branchRestoreProblem(facts: CheckoutFacts): string | undefined {
  if (facts.head === facts.base || facts.headIsAncestorOfBase) return undefined;
  if (!facts.hasBase) {
    return `it was taken from commit ${facts.base.slice(0, 12)}, which this checkout does not have (a shallow clone?), so it cannot tell whether restoring would drop commits: check out with fetch-depth: 0 to continue across pushes`;
  }
  return `the branch moved on since it was taken: the checkout (${facts.head.slice(0, 12)}) has commits that its base ${facts.base.slice(0, 12)} lacks, and restoring it would move the checkout backwards`;
}
