import { describe, expect, it } from 'vitest';
import { branchRestoreProblem, formatSequence, lineageHash, lineageMismatch, newestFirst, nextSequence, parseSequenceLabel, trustClass } from '../../src/checkpoint/lineage.js';
import type { Lineage } from '../../src/checkpoint/store.js';

const LINEAGE: Lineage = { repository: 'octo/demo', workflow: 'agent.yml', job: 'agent', checkpointId: 'default', runId: '123' };

describe('lineage hashing', () => {
  it('is stable, short and hex', () => {
    expect(lineageHash(LINEAGE)).toMatch(/^[0-9a-f]{16}$/);
    expect(lineageHash({ ...LINEAGE })).toBe(lineageHash(LINEAGE));
  });

  it('differs for every field, including shifts between fields', () => {
    const variants: Lineage[] = [
      { ...LINEAGE, repository: 'octo/other' },
      { ...LINEAGE, workflow: 'x.yml' },
      { ...LINEAGE, job: 'agent-2' },
      { ...LINEAGE, checkpointId: 'leg-2' },
      { ...LINEAGE, runId: '124' },
      { ...LINEAGE, workflow: 'agent.ymlagent', job: '' },
    ];
    const hashes = new Set([LINEAGE, ...variants].map(lineageHash));
    expect(hashes.size).toBe(variants.length + 1);
  });

  it('is the hash the GitHub stores use', () => {
    // Pinned: the local, cache and artifact stores must agree on it across releases.
    expect(lineageHash(LINEAGE)).toBe(lineageHash({ ...LINEAGE }));
    expect(lineageHash(LINEAGE)).toMatchInlineSnapshot(`"87533950ccdb0221"`);
  });
});

describe('sequence labels', () => {
  it('round-trips and refuses everything else', () => {
    expect(parseSequenceLabel(formatSequence(42))).toBe(42);
    expect(parseSequenceLabel(formatSequence(12_345_678))).toBe(12_345_678);
    expect(parseSequenceLabel('.tmp-000042-x')).toBeUndefined();
    expect(parseSequenceLabel('42')).toBeUndefined();
    expect(() => formatSequence(-1)).toThrow(RangeError);
  });

  it('numbers the next checkpoint after the highest', () => {
    expect(nextSequence([])).toBe(0);
    expect(nextSequence([{ sequence: 3 }, { sequence: 9 }, { sequence: 4 }])).toBe(10);
  });

  it('orders newest first, newer attempt first on a tie', () => {
    const refs = [
      { sequence: 1, attempt: 1 },
      { sequence: 3, attempt: 1 },
      { sequence: 3, attempt: 2 },
      { sequence: 2, attempt: 5 },
    ];
    expect(newestFirst(refs)).toEqual([
      { sequence: 3, attempt: 2 },
      { sequence: 3, attempt: 1 },
      { sequence: 2, attempt: 5 },
      { sequence: 1, attempt: 1 },
    ]);
  });
});

describe('trust class of a run', () => {
  const pr = (headRepo: string | null, number: number) => ({ pull_request: { number, head: { repo: headRepo === null ? null : { full_name: headRepo } } } });

  it('puts pull requests apart from pushes, and apart from each other', () => {
    expect(trustClass('push', {})).toBe('trusted');
    expect(trustClass('workflow_dispatch', {})).toBe('trusted');
    expect(trustClass('pull_request', pr('fork/demo', 7))).toBe('pull_request:fork/demo#7');
    expect(trustClass('pull_request', pr('octo/demo', 7))).toBe('pull_request:octo/demo#7');
    expect(trustClass('pull_request_target', pr('fork/demo', 7))).toBe('pull_request_target:fork/demo#7');
    expect(trustClass('pull_request', pr(null, 8))).toBe('pull_request:deleted-repository#8');
    expect(trustClass('issue_comment', { issue: { number: 3 } })).toBe('issue_comment#3');
    expect(trustClass(undefined, undefined)).toBe('local');
  });

  it('never takes a malformed payload for a trusted one', () => {
    expect(trustClass('pull_request', { pull_request: { number: 'x' } })).toBe('pull_request:unknown');
    expect(trustClass('pull_request', 'junk')).toBe('pull_request:unknown');
    expect(trustClass('workflow_run', null)).toBe('workflow_run');
  });
});

describe('lineageMismatch', () => {
  it('compares every field, not only the repository', () => {
    expect(lineageMismatch(LINEAGE, { ...LINEAGE })).toBeUndefined();
    expect(lineageMismatch({ ...LINEAGE, runId: 'branch:main' }, { ...LINEAGE, runId: 'branch:pull_request:fork/demo#7:main' })).toBe(
      "saved for another lineage (runId 'branch:main', this run's 'branch:pull_request:fork/demo#7:main')",
    );
    expect(lineageMismatch({ ...LINEAGE, workflow: 'other.yml', job: 'x' }, LINEAGE)).toMatch(/workflow 'other.yml', this run's 'agent.yml'; job 'x'/);
  });
});

describe('branchRestoreProblem', () => {
  const base = 'a'.repeat(40);
  const head = 'b'.repeat(40);
  it('allows a checkout at or behind the base, refuses one ahead or unknown', () => {
    expect(branchRestoreProblem({ head: base, base, hasBase: true, headIsAncestorOfBase: true })).toBeUndefined();
    expect(branchRestoreProblem({ head, base, hasBase: true, headIsAncestorOfBase: true })).toBeUndefined();
    expect(branchRestoreProblem({ head, base, hasBase: true, headIsAncestorOfBase: false })).toMatch(/the branch moved on since it was taken: .* would move the checkout backwards/);
    expect(branchRestoreProblem({ head, base, hasBase: false, headIsAncestorOfBase: false })).toMatch(/does not have \(a shallow clone\?\).*fetch-depth: 0/);
  });
});
