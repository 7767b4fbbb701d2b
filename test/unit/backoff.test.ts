import { describe, expect, it } from 'vitest';
import { backoffCeilingMs, backoffDelay } from '../../src/backoff.js';

const backoff = { initialDelayMs: 1000, maxDelayMs: 8000, factor: 3 };

describe('backoff', () => {
  it('grows the ceiling by the factor up to the maximum', () => {
    expect([0, 1, 2, 3, 4].map((retry) => backoffCeilingMs(backoff, retry))).toEqual([1000, 1000, 3000, 8000, 8000]);
  });

  it('jitters fully between zero and the ceiling', () => {
    expect(backoffDelay(backoff, 2, undefined, () => 0)).toEqual({ delayMs: 0, fromHint: false });
    expect(backoffDelay(backoff, 2, undefined, () => 0.5)).toEqual({ delayMs: 1500, fromHint: false });
    expect(backoffDelay(backoff, 2, undefined, () => 1)).toEqual({ delayMs: 3000, fromHint: false });
  });

  it('lets a hint of zero or more win, capped by the maximum; a negative one is no hint', () => {
    expect(backoffDelay(backoff, 1, 0, () => 1)).toEqual({ delayMs: 0, fromHint: true });
    expect(backoffDelay(backoff, 1, 60_000, () => 0)).toEqual({ delayMs: 8000, fromHint: true });
    expect(backoffDelay(backoff, 1, -5, () => 1)).toEqual({ delayMs: 1000, fromHint: false });
  });

  it('never waits less than the floor, hinted or not', () => {
    expect(backoffDelay(backoff, 1, undefined, () => 0, 250)).toEqual({ delayMs: 250, fromHint: false });
    expect(backoffDelay(backoff, 1, 0, () => 0, 250)).toEqual({ delayMs: 250, fromHint: true });
    expect(backoffDelay(backoff, 1, 9000, () => 0, 250)).toEqual({ delayMs: 8000, fromHint: true });
  });
});
