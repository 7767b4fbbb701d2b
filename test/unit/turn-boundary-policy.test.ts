import { describe, expect, it } from 'vitest';
import {
  checkpointHoldMs,
  defaultLimits,
  dueAtBoundary,
  heldCheckpointConsistency,
  placeDueCheckpoint,
  plannedStopCheckpointInMs,
  storeWaitStep,
  whileWaitingForBoundary,
} from '../../src/checkpoint/turn-boundary-policy.js';

const bash = { name: 'Bash', id: 'toolu_1' };
const limits = { storeWaitMs: 3000, storePollMs: 5, holdDeadlineMs: 30_000, midTurnAfterMs: 600_000 };

describe('placeDueCheckpoint', () => {
  it('waits for the next model request when the proxy fronts a running agent', () => {
    expect(placeDueCheckpoint({ gated: true, agentRunning: true, toolsInFlight: [] })).toEqual({ kind: 'at-next-boundary' });
    expect(placeDueCheckpoint({ gated: true, agentRunning: true, toolsInFlight: [bash] })).toEqual({ kind: 'at-next-boundary' });
  });

  it('takes it now, agent state first, without the proxy', () => {
    expect(placeDueCheckpoint({ gated: false, agentRunning: true, toolsInFlight: [bash] })).toEqual({ kind: 'now', consistency: 'agent-state-first' });
  });

  it('takes it now at a boundary when the agent is not running, with or without the proxy', () => {
    for (const gated of [true, false]) {
      expect(placeDueCheckpoint({ gated, agentRunning: false, toolsInFlight: [] })).toEqual({ kind: 'now', consistency: 'turn-boundary' });
    }
  });

  it('says mid-turn and names the call when the agent stopped during a tool call', () => {
    expect(placeDueCheckpoint({ gated: true, agentRunning: false, toolsInFlight: [bash, { name: 'Read', id: 'toolu_2' }] })).toEqual({
      kind: 'now',
      consistency: 'mid-turn',
      interruptedTool: bash,
    });
  });
});

describe('whileWaitingForBoundary', () => {
  it('keeps waiting until the mid-turn bound, and says how long is left', () => {
    expect(whileWaitingForBoundary({ dueAt: 1000, now: 1000, limits, toolsInFlight: [bash] })).toEqual({ kind: 'wait', checkAgainInMs: 600_000 });
    expect(whileWaitingForBoundary({ dueAt: 1000, now: 601_000 - 1, limits, toolsInFlight: [bash] })).toEqual({ kind: 'wait', checkAgainInMs: 1 });
  });

  it('falls back to a mid-turn checkpoint during one long tool call, naming the oldest call', () => {
    expect(whileWaitingForBoundary({ dueAt: 1000, now: 601_000, limits, toolsInFlight: [bash, { name: 'Read', id: 'toolu_2' }] })).toEqual({
      kind: 'mid-turn',
      interruptedTool: bash,
    });
  });

  it('falls back without a name when no call is known (an agent that prints calls only when they end)', () => {
    expect(whileWaitingForBoundary({ dueAt: 0, now: 10_000_000, limits, toolsInFlight: [] })).toEqual({ kind: 'mid-turn', interruptedTool: undefined });
  });
});

describe('dueAtBoundary', () => {
  const base = { pending: false, requested: false, progressSinceSave: false, now: 10_000, lastSaveAt: 0, minGapMs: 5000 };

  it('holds for a pending checkpoint or one the agent asked for, whatever the gap', () => {
    expect(dueAtBoundary({ ...base, pending: true, lastSaveAt: 9999 })).toBe(true);
    expect(dueAtBoundary({ ...base, requested: true, lastSaveAt: 9999 })).toBe(true);
  });

  it('holds after progress once the minimum gap has passed', () => {
    expect(dueAtBoundary({ ...base, progressSinceSave: true, lastSaveAt: 5000 })).toBe(true);
    expect(dueAtBoundary({ ...base, progressSinceSave: true, lastSaveAt: 5001 })).toBe(false);
    expect(dueAtBoundary({ ...base, progressSinceSave: true, minGapMs: 0, lastSaveAt: 10_000 })).toBe(true);
  });

  it('lets the request go at once when nothing happened since the last checkpoint', () => {
    expect(dueAtBoundary(base)).toBe(false);
  });
});

describe('storeWaitStep', () => {
  it('is ready as soon as nothing is missing', () => {
    expect(storeWaitStep({ missing: 0, startedAt: 0, now: 10_000, limits })).toEqual({ kind: 'ready' });
  });

  it('polls while the store lags (Claude Code writes its transcript after sending the request)', () => {
    expect(storeWaitStep({ missing: 2, startedAt: 0, now: 80, limits })).toEqual({ kind: 'poll', inMs: 5 });
    // Never past the bound.
    expect(storeWaitStep({ missing: 1, startedAt: 0, now: 2998, limits })).toEqual({ kind: 'poll', inMs: 2 });
  });

  it('gives up at the bound: the checkpoint is then taken mid-turn', () => {
    expect(storeWaitStep({ missing: 1, startedAt: 0, now: 3000, limits })).toEqual({ kind: 'give-up' });
    expect(heldCheckpointConsistency({ storeCaughtUp: false, capturedBeforeRelease: true })).toBe('mid-turn');
  });
});

describe('the hold deadline', () => {
  it('leaves the checkpoint what the store wait did not use, never less than nothing', () => {
    expect(checkpointHoldMs({ heldSince: 0, now: 100, limits })).toBe(29_900);
    expect(checkpointHoldMs({ heldSince: 0, now: 40_000, limits })).toBe(0);
  });

  it('records a checkpoint whose capture outlived the hold as mid-turn', () => {
    expect(heldCheckpointConsistency({ storeCaughtUp: true, capturedBeforeRelease: false })).toBe('mid-turn');
    expect(heldCheckpointConsistency({ storeCaughtUp: true, capturedBeforeRelease: true })).toBe('turn-boundary');
  });

  it('takes mid-turn checkpoints on checkpoint_interval by default', () => {
    expect(defaultLimits(300_000).midTurnAfterMs).toBe(300_000);
    expect(defaultLimits(300_000).storeWaitMs).toBeLessThanOrEqual(5000);
  });
});

describe('plannedStopCheckpointInMs', () => {
  it('asks a tenth of the attempt ahead, at most a minute', () => {
    expect(plannedStopCheckpointInMs(100_000)).toBe(90_000);
    expect(plannedStopCheckpointInMs(6 * 3_600_000)).toBe(6 * 3_600_000 - 60_000);
  });

  it('plans nothing for a stop too far off for a timer, or none at all', () => {
    expect(plannedStopCheckpointInMs(Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(plannedStopCheckpointInMs(2 ** 32)).toBeUndefined();
    expect(plannedStopCheckpointInMs(0)).toBeUndefined();
  });
});
