import { describe, expect, it } from 'vitest';
import { backoffCeilingMs, backoffDelay } from '../../src/backoff.js';

const backoff = { initialDelayMs: 100, maxDelayMs: 5000, factor: 2 };

describe('backoff', () => {
  it('grows by the factor up to the maximum', () => {
    expect([1, 2, 3, 4, 6, 7, 20].map((retry) => backoffCeilingMs(backoff, retry))).toEqual([100, 200, 400, 800, 3200, 5000, 5000]);
  });

  it('jitters fully between zero and the ceiling', () => {
    expect(backoffDelay(backoff, 3, undefined, () => 0)).toEqual({ delayMs: 0, fromHint: false });
    expect(backoffDelay(backoff, 3, undefined, () => 0.5)).toEqual({ delayMs: 200, fromHint: false });
    expect(backoffDelay(backoff, 3, undefined, () => 0.999_999)).toEqual({ delayMs: 400, fromHint: false });
  });

  it('lets a server hint win, capped by the maximum delay; a negative one is no hint', () => {
    expect(backoffDelay(backoff, 1, 2500, () => 0)).toEqual({ delayMs: 2500, fromHint: true });
    expect(backoffDelay(backoff, 1, 60_000, () => 0)).toEqual({ delayMs: 5000, fromHint: true });
    expect(backoffDelay(backoff, 1, 0, () => 0.9)).toEqual({ delayMs: 0, fromHint: true });
    expect(backoffDelay(backoff, 1, -5, () => 1)).toEqual({ delayMs: 100, fromHint: false });
  });

  it('never waits less than the floor, hinted or not', () => {
    expect(backoffDelay(backoff, 1, undefined, () => 0, 250)).toEqual({ delayMs: 250, fromHint: false });
    expect(backoffDelay(backoff, 1, 0, () => 0, 250)).toEqual({ delayMs: 250, fromHint: true });
    expect(backoffDelay(backoff, 1, 9000, () => 0, 250)).toEqual({ delayMs: 5000, fromHint: true });
  });
});
