import { describe, expect, it } from 'vitest';
import { formatSequence, lineageHash, newestFirst, nextSequence, parseSequenceLabel } from '../../src/checkpoint/lineage.js';
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
