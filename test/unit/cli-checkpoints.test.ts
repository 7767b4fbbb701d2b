import { describe, expect, it } from 'vitest';
import type { CheckpointManifest, CheckpointRef, Lineage } from '../../src/checkpoint/index.js';
import { lineageHash } from '../../src/checkpoint/index.js';
import {
  formatAttemptEntry,
  formatCheckpointTable,
  formatManifest,
  formatTime,
  jsonRow,
  lineageCell,
} from '../../src/cli/checkpoints/format.js';
import { parseCheckpointKey } from '../../src/cli/checkpoints/key.js';

const LINEAGE: Lineage = { repository: 'octo/demo', workflow: 'agent', job: 'agent', checkpointId: 'agent', runId: '1001' };
const HASH = lineageHash(LINEAGE);

function ref(sequence: number, extra: Partial<CheckpointRef> = {}): CheckpointRef {
  return { key: `${HASH}/${String(sequence).padStart(6, '0')}`, sequence, attempt: 1, createdAt: '2026-05-01T12:34:56.789Z', sizeBytes: 46_080, store: 'local', ...extra };
}

describe('parseCheckpointKey', () => {
  it('tells the key forms apart', () => {
    expect(parseCheckpointKey('latest')).toEqual({ kind: 'latest' });
    expect(parseCheckpointKey('7')).toEqual({ kind: 'sequence', sequence: 7 });
    expect(parseCheckpointKey('0123456789abcdef/000012')).toEqual({ kind: 'local', key: '0123456789abcdef/000012', hash: '0123456789abcdef', sequence: 12 });
    // An unpadded sequence names the same folder.
    expect(parseCheckpointKey('0123456789abcdef/12')).toMatchObject({ kind: 'local', key: '0123456789abcdef/000012' });
    expect(parseCheckpointKey('durable-agent-v2-0123456789abcdef-m-000003')).toEqual({
      kind: 'cache',
      key: 'durable-agent-v2-0123456789abcdef-m-000003',
      hash: '0123456789abcdef',
      sequence: 3,
    });
    expect(parseCheckpointKey('durable-agent-agent-a2-000004')).toEqual({ kind: 'artifact', key: 'durable-agent-agent-a2-000004', attempt: 2, sequence: 4 });
  });

  it('refuses anything else, paths that would leave the store included', () => {
    for (const bad of ['', 'nope', '../000001', '0123456789abcdef/../../x', '0123456789ABCDEF/000001', '/etc/passwd', '-1', 'durable-agent-v2-xyz-m-000001', 'durable-agent-v2-0123456789abcdef-o-00ff']) {
      expect(parseCheckpointKey(bad), bad).toBeUndefined();
    }
  });
});

describe('formatCheckpointTable', () => {
  it('aligns the columns: lineage, sequence, time, size, attempt, store, key', () => {
    const table = formatCheckpointTable([
      { lineageHash: HASH, lineage: LINEAGE, ref: ref(12) },
      { lineageHash: HASH, lineage: LINEAGE, ref: ref(9, { sizeBytes: 900 }) },
      { lineageHash: 'ffffffffffffffff', lineage: undefined, ref: { key: 'durable-agent-v2-ffffffffffffffff-m-000001', sequence: 1, attempt: 0, createdAt: '', sizeBytes: 0, store: 'cache' } },
    ]);
    expect(table.split('\n')).toEqual([
      'LINEAGE                  SEQ  TIME                    SIZE  ATTEMPT  STORE  KEY',
      `${HASH.slice(0, 8)} agent run 1001   12  2026-05-01 12:34:56Z  45 KiB        1  local  ${HASH}/000012`,
      `${HASH.slice(0, 8)} agent run 1001    9  2026-05-01 12:34:56Z   900 B        1  local  ${HASH}/000009`,
      'ffffffff ?                 1  -                          -        -  cache  durable-agent-v2-ffffffffffffffff-m-000001',
    ]);
  });

  it('gives unknowns as null in JSON', () => {
    expect(jsonRow({ lineageHash: 'ffffffffffffffff', lineage: undefined, ref: { key: 'k', sequence: 1, attempt: 0, createdAt: '', sizeBytes: 0, store: 'cache' } })).toEqual({
      lineageHash: 'ffffffffffffffff',
      lineage: null,
      key: 'k',
      sequence: 1,
      attempt: null,
      createdAt: null,
      sizeBytes: null,
      store: 'cache',
    });
  });

  it('formats times in UTC and lineages by id and run', () => {
    expect(formatTime('2026-05-01T14:34:56+02:00')).toBe('2026-05-01 12:34:56Z');
    expect(formatTime('')).toBe('-');
    expect(formatTime('yesterday')).toBe('yesterday');
    expect(lineageCell(HASH, { ...LINEAGE, runId: 'branch:main' })).toBe(`${HASH.slice(0, 8)} agent run branch:main`);
  });
});

describe('formatAttemptEntry', () => {
  it('says how an attempt went in one line', () => {
    expect(
      formatAttemptEntry({ runAttempt: 2, number: 3, startedAt: '2026-05-01T12:00:00.000Z', durationMs: 95_000, mode: 'resume', outcome: 'transient', reason: 'overloaded', apiRetries: 4, costUsd: 0.5, turns: 7 }),
    ).toBe('run attempt 2, attempt 3 (resume): transient (overloaded), started 2026-05-01 12:00:00Z, took 1m35s, 7 turns, $0.5000, 4 API retries');
    expect(formatAttemptEntry({ runAttempt: 1, number: 1, startedAt: '2026-05-01T12:00:00.000Z', durationMs: 800, mode: 'fresh', outcome: 'success', reason: 'success', apiRetries: 0 })).toBe(
      'run attempt 1, attempt 1 (fresh): success, started 2026-05-01 12:00:00Z, took 800ms',
    );
  });
});

describe('formatManifest', () => {
  const manifest: CheckpointManifest = {
    schemaVersion: 2,
    lineage: LINEAGE,
    sequence: 12,
    attempt: 2,
    createdAt: '2026-05-01T12:34:56.000Z',
    agent: 'claude',
    sessionId: 'session-1',
    consistency: 'agent-state-first',
    workspace: { path: '/work/repo', base: 'a'.repeat(40), head: 'b'.repeat(40), branch: 'main', bundle: { size: 2048, segments: [['d'.repeat(64), 0, 2048]] }, changes: 'c'.repeat(64), omitted: null },
    checkpointPaths: 'results/**\nlogs/*.txt\n',
    extraDir: '/runner/durable-agent/checkpoint-dir',
    agentStateDir: null,
    attempts: [{ runAttempt: 1, number: 1, startedAt: '2026-05-01T12:00:00.000Z', durationMs: 61_000, mode: 'fresh', outcome: 'transient', reason: 'killed', apiRetries: 0 }],
    totals: { costUsd: 1.25, turns: 40 },
    areas: [{ role: 'paths', tree: 'e'.repeat(64), files: 3, bytes: 10 }],
    objects: [
      { id: 'c'.repeat(64), size: 100 },
      { id: 'd'.repeat(64), size: 1948 },
      { id: 'e'.repeat(64), size: 10 },
    ],
    excluded: [{ area: 'workspace', path: '.env' }],
  };

  it('prints every field a person looks for, and the files with sizes', () => {
    expect(formatManifest(manifest, { key: `${HASH}/000012`, store: 'local', location: '/store/x', problem: undefined, manifestBytes: 1000 }).split('\n')).toEqual([
      `Checkpoint ${HASH}/000012 (local store, /store/x)`,
      `Lineage:      octo/demo / agent / agent / agent / run 1001 (hash ${HASH})`,
      'Sequence:     12',
      'Run attempt:  2',
      'Created:      2026-05-01 12:34:56Z',
      'Agent:        claude',
      'Session:      session-1',
      'Work tree:    /work/repo',
      `Base:         ${'a'.repeat(40)}`,
      `Head:         ${'b'.repeat(40)} on branch main`,
      `Changes:      listing ${'c'.repeat(16)}…, commits in a 2.0 KiB bundle`,
      'Paths:        results/**, logs/*.txt',
      'Extra folder: /runner/durable-agent/checkpoint-dir',
      'Totals:       $1.2500, 40 turns',
      'Attempts (1):',
      '  run attempt 1, attempt 1 (fresh): transient (killed), started 2026-05-01 12:00:00Z, took 1m1s',
      'Contents:',
      `  paths          3 files     10 B  listing ${'e'.repeat(16)}…`,
      '  manifest.json  manifest  1000 B  3 objects',
      '  total 3.0 KiB stored',
      'Left out (held a secret value):',
      '  workspace: .env',
      'Check:        ok (every object matches its size and sha256)',
    ]);
  });

  it('says when the work tree was not saved and when the check failed', () => {
    const text = formatManifest(
      { ...manifest, workspace: { ...manifest.workspace, branch: null, bundle: null, changes: null, omitted: 'a secret is in the agent\'s commits' }, areas: [], objects: [], excluded: [] },
      { key: 'k', store: 'cache', problem: 'x.bundle is missing (integrity)', manifestBytes: 10 },
    );
    expect(text).toContain('(detached)');
    expect(text).toMatch(/^Workspace:\s+not saved: a secret is in the agent's commits$/m);
    expect(text).toMatch(/^Check:\s+FAILED: x\.bundle is missing \(integrity\)$/m);
    expect(text.split('\n')[0]).toBe('Checkpoint k (cache store)');
  });
});
