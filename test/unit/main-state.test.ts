import { describe, expect, it } from 'vitest';
import {
  loadMainState,
  saveCheckpointState,
  saveHomeDir,
  saveMainFinished,
  saveMainStarted,
  type StateProvider,
} from '../../src/action/main-state.js';
import { States } from '../../src/names.js';
import type { AttemptEntry } from '../../src/runner/attempt-entry.js';

/** GITHUB_STATE as the runner gives it back to the post step: '' for a name never saved. */
function memoryState(initial: Record<string, string> = {}): StateProvider & { readonly saved: Map<string, string> } {
  const saved = new Map(Object.entries(initial));
  return { saved, save: (name, value) => saved.set(name, value), get: (name) => saved.get(name) ?? '' };
}

const ENTRY: AttemptEntry = { runAttempt: 1, number: 1, startedAt: '2026-05-01T12:00:00.000Z', durationMs: 5000, mode: 'fresh', outcome: 'transient', reason: 'stalled', apiRetries: 0 };

const CHECKPOINT = {
  lastSequence: 7,
  sessionId: 'session-1',
  baseCommit: 'a'.repeat(40),
  attempts: [ENTRY],
  totals: { costUsd: 1.5, turns: 12 },
};

describe('main→post state', () => {
  it('gives back what main saved', () => {
    const state = memoryState();
    saveMainStarted(state);
    saveHomeDir(state, '/runner/temp/durable-agent');
    saveCheckpointState(state, CHECKPOINT);
    expect(loadMainState(state)).toEqual({ started: true, finished: false, homeDir: '/runner/temp/durable-agent', checkpoint: CHECKPOINT });
    saveMainFinished(state);
    expect(loadMainState(state).finished).toBe(true);
    // Every value is stored under a name from src/names.ts.
    expect([...state.saved.keys()].every((name) => (Object.values(States) as string[]).includes(name))).toBe(true);
  });

  it('says nothing started when nothing was saved', () => {
    expect(loadMainState(memoryState())).toEqual({ started: false, finished: false, homeDir: undefined, checkpoint: undefined });
  });

  it('has no checkpoint to take before checkpoints were set up (no base commit)', () => {
    const state = memoryState();
    saveMainStarted(state);
    saveHomeDir(state, '/home');
    expect(loadMainState(state).checkpoint).toBeUndefined();
  });

  it('keeps only the newest 100 attempts and a session id of none as undefined', () => {
    const state = memoryState();
    const attempts = Array.from({ length: 130 }, (_, index) => ({ ...ENTRY, number: index + 1 }));
    saveCheckpointState(state, { ...CHECKPOINT, sessionId: undefined, attempts });
    const loaded = loadMainState(state).checkpoint;
    expect(loaded?.attempts).toHaveLength(100);
    expect(loaded?.attempts[0]).toEqual({ ...ENTRY, number: 31 });
    expect(loaded?.sessionId).toBeUndefined();
  });

  it('leaves out a history entry it cannot read, and keeps the rest', () => {
    const history = JSON.stringify({ attempts: [{ number: 1 }, ENTRY], totals: { costUsd: 1, turns: 2 } });
    const state = memoryState({ [States.mainStarted]: 'true', [States.baseCommit]: 'b'.repeat(40), [States.history]: history, [States.lastSequence]: '3' });
    expect(loadMainState(state).checkpoint).toMatchObject({ lastSequence: 3, attempts: [ENTRY], totals: { costUsd: 1, turns: 2 } });
  });

  it('takes the checkpoint with an empty history and sequence 0 when those values are damaged', () => {
    for (const [history, sequence] of [
      ['{not json', 'x'],
      [JSON.stringify({ attempts: 'no', totals: { costUsd: 1, turns: 2 } }), '-3'],
      [JSON.stringify({ attempts: [], totals: { costUsd: -1, turns: 2 } }), '1.5'],
      ['', ''],
    ]) {
      const state = memoryState({ [States.mainStarted]: 'true', [States.baseCommit]: 'b'.repeat(40), [States.history]: history ?? '', [States.lastSequence]: sequence ?? '' });
      expect(loadMainState(state).checkpoint, history).toEqual({ lastSequence: 0, sessionId: undefined, baseCommit: 'b'.repeat(40), attempts: [], totals: { costUsd: 0, turns: 0 } });
    }
  });
});
