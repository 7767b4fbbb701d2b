// When the scheduler says a checkpoint is due: the debounce after agent turns, the agent's request
// file, the interval. Every due checkpoint goes to the placer (turn-checkpoints.ts in a run), which
// records it here, so no checkpoint is written.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CheckpointScheduler, debounceWaitMs, type SaveOptions } from '../../src/checkpoint/scheduler.js';
import { StoreSet } from '../../src/checkpoint/store-set.js';
import { terminalLog } from '../../src/report/log.js';
import { RunLedger } from '../../src/runner/run-ledger.js';

const MIN_GAP_MS = 60_000;
const INTERVAL_MS = 600_000;

let dir: string;
let due: Array<{ reason: string; options: SaveOptions }>;

function scheduler(): CheckpointScheduler {
  const log = terminalLog({ write: () => true } as unknown as NodeJS.WritableStream);
  const ledger = new RunLedger();
  const created = new CheckpointScheduler(
    {
      stores: new StoreSet([], log),
      lineage: { repository: 'octo/demo', workflow: 'agent.yml', job: 'agent', checkpointId: 'default', runId: '1' },
      workspace: dir,
      baseCommit: 'a'.repeat(40),
      stagingDir: dir,
      agent: 'claude',
      agentStateDir: path.join(dir, 'state'),
      agentStateExclude: [],
      extraDir: path.join(dir, 'extra'),
      checkpointPaths: '',
      secrets: [],
      runAttempt: 1,
      runState: () => ledger.snapshot(),
      log,
    },
    { startSequence: 1, intervalMs: INTERVAL_MS, minGapMs: MIN_GAP_MS, requestFile: path.join(dir, 'checkpoint-request') },
  );
  created.placer = (reason, options) => {
    due.push({ reason, options });
    return Promise.resolve(undefined);
  };
  return created;
}

beforeEach(() => {
  vi.useFakeTimers();
  dir = mkdtempSync(path.join(os.tmpdir(), 'scheduler-'));
  due = [];
});

afterEach(() => {
  vi.useRealTimers();
  rmSync(dir, { recursive: true, force: true });
});

describe('CheckpointScheduler', () => {
  it('debounces agent turns into one checkpoint', () => {
    const created = scheduler();
    created.onProgress();
    // Before any save the minimum gap has long passed: due on the next tick.
    created.onProgress();
    created.onProgress();
    vi.advanceTimersByTime(0);
    expect(due).toEqual([{ reason: 'after agent turns', options: {} }]);
    created.onProgress();
    vi.advanceTimersByTime(0);
    expect(due).toHaveLength(2);
  });

  it('waits out the minimum gap after the last save', () => {
    expect(debounceWaitMs(0, MIN_GAP_MS, 1_000_000)).toBe(0);
    expect(debounceWaitMs(1_000_000, MIN_GAP_MS, 1_010_000)).toBe(MIN_GAP_MS - 10_000);
    expect(debounceWaitMs(1_000_000, MIN_GAP_MS, 1_000_000 + MIN_GAP_MS + 1)).toBe(0);
    expect(debounceWaitMs(1_000_000, 0, 1_000_000)).toBe(0);
  });

  it('takes a checkpoint at once, forced, when the agent writes the request file, and consumes the request', () => {
    const created = scheduler();
    writeFileSync(created.requestPath, '');
    created.onProgress();
    expect(due).toEqual([{ reason: 'requested by the agent', options: { force: true } }]);
    expect(existsSync(created.requestPath)).toBe(false);
    // The next turn is an ordinary one again.
    created.onProgress();
    vi.advanceTimersByTime(0);
    expect(due.map((entry) => entry.reason)).toEqual(['requested by the agent', 'after agent turns']);
  });

  it('tells whether the agent asked, once per request', () => {
    const created = scheduler();
    expect(created.takeRequest()).toBe(false);
    writeFileSync(created.requestPath, 'now please');
    expect(created.takeRequest()).toBe(true);
    expect(created.takeRequest()).toBe(false);
  });

  it('is due on its interval until stopped, and a stop drops a pending debounce', () => {
    const created = scheduler();
    created.start();
    vi.advanceTimersByTime(INTERVAL_MS * 2);
    expect(due.map((entry) => entry.reason)).toEqual(['interval', 'interval']);
    created.onProgress();
    created.stop();
    vi.advanceTimersByTime(INTERVAL_MS * 2);
    expect(due).toHaveLength(2);
  });

  it('saves nothing and tells no one without a store', async () => {
    const created = scheduler();
    created.placer = undefined;
    let told = 0;
    created.onSaved(() => (told += 1));
    await expect(created.save('interval', { force: true })).resolves.toBeUndefined();
    expect(told).toBe(0);
    expect(created.lastSequence).toBe(0);
  });
});
