import { describe, expect, it } from 'vitest';
import { mayExtend, nextChain, type BundleChain, type BundleLink } from '../../src/checkpoint/bundle-chain.js';
import { inParallel } from '../../src/checkpoint/in-parallel.js';
import { MAX_BUNDLE_CHAIN } from '../../src/checkpoint/manifest.js';

const link = (n: number): BundleLink => ({ size: n, segments: [[n.toString(16).padStart(64, '0'), 0, n]] });
const state = { scanKey: 'k', base: 'b'.repeat(40), head: 'c'.repeat(40) };
const chain = (links: BundleLink[]): BundleChain => ({ version: 1, scanKey: 'k', base: state.base, head: 'a'.repeat(40), links });

describe('nextChain', () => {
  it('starts over with a bundle against base, extends with one since the last checkpoint, and keeps the chain without new commits', () => {
    expect(nextChain(undefined, 'full', link(1), state)).toEqual({ version: 1, ...state, links: [link(1)] });
    expect(nextChain(chain([link(1)]), 'full', link(2), state)?.links).toEqual([link(2)]);
    expect(nextChain(chain([link(1)]), 'since', link(2), state)).toEqual({ version: 1, ...state, links: [link(1), link(2)] });
    expect(nextChain(chain([link(1), link(2)]), 'unchanged', undefined, state)).toEqual(chain([link(1), link(2)]));
  });

  it('forgets the chain when HEAD has no commits of the agent', () => {
    expect(nextChain(chain([link(1)]), 'none', undefined, state)).toBeUndefined();
  });
});

describe('mayExtend', () => {
  it('lets the chain grow to the manifest bound, then a save starts over', () => {
    expect(mayExtend(chain(Array.from({ length: MAX_BUNDLE_CHAIN }, (_, index) => link(index + 1))))).toBe(true);
    expect(mayExtend(chain(Array.from({ length: MAX_BUNDLE_CHAIN + 1 }, (_, index) => link(index + 1))))).toBe(false);
  });
});

describe('inParallel', () => {
  it('keeps the order of the results and never runs more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const results = await inParallel([5, 1, 4, 2, 3], 2, async (value, index) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setImmediate(resolve));
      running -= 1;
      return value * 10 + index;
    });
    expect(results).toEqual([50, 11, 42, 23, 34]);
    expect(most).toBe(2);
  });
});
