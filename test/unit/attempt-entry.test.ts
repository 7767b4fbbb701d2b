import { describe, expect, it } from 'vitest';
import { parseManifest, serializeManifest, type CheckpointManifest } from '../../src/checkpoint/manifest.js';
import { signatureProblem, signManifest } from '../../src/checkpoint/signature.js';
import type { AttemptRecord } from '../../src/runner/attempt.js';
import { attemptEntryOf, attemptEntrySchema, attemptHistorySchema } from '../../src/runner/attempt-entry.js';

// Entries as format-2 manifests in the wild hold them (written by the pipeline since checkpoints
// were wired in): cost and turns only when the agent reported them.
const WRITTEN = [
  { runAttempt: 1, number: 1, startedAt: '2026-11-24T10:00:00.000Z', durationMs: 61_234, mode: 'fresh', outcome: 'transient', reason: 'server_error', apiRetries: 4, costUsd: 0.5, turns: 7 },
  { runAttempt: 1, number: 2, startedAt: '2026-11-24T10:01:16.000Z', durationMs: 812, mode: 'resume', outcome: 'fatal', reason: 'session_not_found', apiRetries: 0 },
  { runAttempt: 2, number: 1, startedAt: '2026-11-24T10:09:00.000Z', durationMs: 90_000, mode: 'fresh', outcome: 'success', reason: 'success', apiRetries: 0, costUsd: 0.75, turns: 12 },
];

function record(overrides: Partial<AttemptRecord> = {}): AttemptRecord {
  return {
    number: 3,
    mode: 'resume',
    sessionId: 's1',
    startedAt: new Date('2026-11-24T10:05:00.000Z'),
    durationMs: 4_500,
    classification: { kind: 'session_lost', reason: 'session_not_found', message: 'No conversation found with session ID: s1' },
    exitCode: 1,
    signal: null,
    agentRetries: 0,
    apiRetries: 1,
    retryAfterMs: undefined,
    numTurns: undefined,
    costUsd: undefined,
    ...overrides,
  };
}

describe('the attempt entry', () => {
  it('reads every entry manifests in the wild hold, unchanged', () => {
    for (const entry of WRITTEN) expect(attemptEntrySchema.parse(entry)).toEqual(entry);
  });

  it('is what an attempt record becomes, with cost and turns only when the agent reported them', () => {
    const entry = attemptEntryOf(record(), 2);
    expect(entry).toEqual({ runAttempt: 2, number: 3, startedAt: '2026-11-24T10:05:00.000Z', durationMs: 4_500, mode: 'resume', outcome: 'session_lost', reason: 'session_not_found', apiRetries: 1 });
    expect(Object.keys(entry)).not.toContain('costUsd');
    expect(attemptEntryOf(record({ costUsd: 0.25, numTurns: 3, classification: { kind: 'success', reason: 'success', message: '' } }), 1)).toMatchObject({ outcome: 'success', costUsd: 0.25, turns: 3 });
    // What it writes, it reads back.
    expect(attemptEntrySchema.parse(JSON.parse(JSON.stringify(entry)))).toEqual(entry);
  });

  it('refuses an entry of another shape', () => {
    expect(attemptEntrySchema.safeParse({ attempt: 1, outcome: 'transient', reason: 'server_error' }).success).toBe(false);
    expect(attemptEntrySchema.safeParse({ ...WRITTEN[0], outcome: 'exploded' }).success).toBe(false);
    expect(attemptEntrySchema.safeParse({ ...WRITTEN[0], startedAt: 'yesterday' }).success).toBe(false);
  });

  it('leaves entries it cannot read out of a history instead of refusing it', () => {
    const history = [{ attempt: 1, reason: 'server_error' }, WRITTEN[0], 'text', null, { ...WRITTEN[1], mode: 'other' }, WRITTEN[2]];
    expect(attemptHistorySchema.parse(history)).toEqual([WRITTEN[0], WRITTEN[2]]);
    expect(attemptHistorySchema.safeParse('not a list').success).toBe(false);
  });
});

describe('a manifest with an attempt history', () => {
  const SHA = 'a'.repeat(40);
  const base = {
    schemaVersion: 2,
    lineage: { repository: 'octo/demo', workflow: 'agent.yml', job: 'agent', checkpointId: 'default', runId: '1' },
    sequence: 3,
    attempt: 2,
    createdAt: '2026-11-24T10:10:00.000Z',
    agent: 'claude',
    sessionId: null,
    consistency: 'agent-state-first',
    workspace: { path: '/home/runner/work/demo/demo', base: SHA, head: SHA, branch: null, bundle: null, changes: null, omitted: null },
    checkpointPaths: '',
    extraDir: null,
    agentStateDir: null,
    attempts: WRITTEN as unknown[],
    totals: { costUsd: 1.25, turns: 19 },
    areas: [],
    objects: [],
    excluded: [],
  };

  it('parses as it was written, so its text and its signature stay the same', () => {
    // Key for key as createCheckpoint wrote it.
    const text = `${JSON.stringify(base, null, 2)}\n`;
    const parsed = parseManifest(text);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.manifest.attempts).toEqual(WRITTEN);
    expect(serializeManifest(parsed.manifest)).toBe(text);
    const signed = serializeManifest(signManifest(parsed.manifest, 'key'));
    const again = parseManifest(signed);
    expect(again.ok && signatureProblem(again.manifest, 'key')).toBeUndefined();
  });

  it('still parses with entries of another shape, without them', () => {
    const parsed = parseManifest(JSON.stringify({ ...base, attempts: [{ attempt: 1, outcome: 'transient', reason: 'server_error' }, WRITTEN[2]] }));
    expect(parsed.ok && parsed.manifest.attempts).toEqual([WRITTEN[2]] as CheckpointManifest['attempts']);
  });
});
