import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStore } from '../../src/checkpoint/local-store.js';
import { CheckpointScheduler } from '../../src/checkpoint/scheduler.js';
import { StoreSet } from '../../src/checkpoint/store-set.js';
import type { CheckpointManifest } from '../../src/checkpoint/manifest.js';
import type { Log } from '../../src/report/log.js';
import type { AttemptEntry } from '../../src/runner/attempt-entry.js';
import { RunLedger, type RunSnapshot } from '../../src/runner/run-ledger.js';
import { interruptedRun } from '../support/rerun.js';
import { agentTestEnv, CLAUDE, runAction, startAction } from '../support/run-action.js';
import { createWorkspace, type Workspace } from '../support/workspace.js';
import { useWorkspaceAndModelApi } from '../support/workspace-and-model-api.js';

const lineage = { repository: 'octo/demo', workflow: 'agent', job: 'agent', checkpointId: 'agent', runId: '7' };

/** A log that resolves a promise when a line matching the pattern is written. */
function watchingLog(): { log: Log; next: (pattern: RegExp) => Promise<string> } {
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  const write = (line: string): void => {
    for (const waiter of waiters.splice(0)) {
      if (waiter.pattern.test(line)) waiter.resolve(line);
      else waiters.push(waiter);
    }
  };
  return {
    log: { info: write, warning: write, error: write, debug: write, group: (_title, body) => body() },
    next: (pattern) => new Promise((resolve) => waiters.push({ pattern, resolve })),
  };
}

describe('the checkpoint scheduler', () => {
  let ws: Workspace;
  beforeEach(async () => {
    ws = await createWorkspace();
  });
  afterEach(async () => {
    await ws.dispose();
  });

  async function scheduler(log: Log, options: { intervalMs?: number; minGapMs?: number; runState?: () => RunSnapshot } = {}) {
    const baseCommit = (await ws.git('rev-parse', 'HEAD')).trim();
    const store = new LocalStore(path.join(ws.root, 'store'));
    const created = new CheckpointScheduler(
      {
        stores: new StoreSet([{ store, saves: 'every' }], log),
        lineage,
        workspace: ws.repo,
        baseCommit,
        stagingDir: ws.runnerTemp,
        agent: 'claude',
        agentStateDir: path.join(ws.root, 'state'),
        agentStateExclude: [],
        extraDir: path.join(ws.root, 'extra'),
        checkpointPaths: '',
        secrets: [],
        runAttempt: 1,
        runState: options.runState ?? (() => ({ sessionId: undefined, attempts: [], totals: { costUsd: 0, turns: 0 } })),
        log,
      },
      { startSequence: 1, intervalMs: options.intervalMs ?? 3_600_000, minGapMs: options.minGapMs ?? 3_600_000, requestFile: path.join(ws.root, 'request') },
    );
    return { created, store };
  }

  it('saves when the agent asks through the request file, even inside the minimum gap', async () => {
    const { log, next } = watchingLog();
    const { created, store } = await scheduler(log);
    writeFileSync(path.join(ws.repo, 'result.txt'), 'one\n');
    const saved = next(/Checkpoint 1 saved \(requested by the agent\)/);
    writeFileSync(path.join(ws.root, 'request'), '');
    created.onProgress();
    await saved;
    expect((await store.list(lineage)).map((ref) => ref.sequence)).toEqual([1]);
  });

  it('writes into each checkpoint the run as the ledger says it is when that checkpoint is saved', async () => {
    const { log } = watchingLog();
    const ledger = new RunLedger();
    const { created, store } = await scheduler(log, { runState: () => ledger.snapshot() });
    let told = 0;
    created.onSaved(() => (told += 1));
    ledger.sessionReported('session-a');
    await created.save('first', { force: true });
    const attempt: AttemptEntry = { runAttempt: 1, number: 1, startedAt: new Date().toISOString(), durationMs: 900, mode: 'resume', outcome: 'transient', reason: 'stalled', apiRetries: 1, costUsd: 0.5, turns: 3 };
    ledger.attemptEnded(attempt, 'session-b');
    await created.save('second', { force: true });
    const manifests = (await store.list(lineage))
      .sort((a, b) => a.sequence - b.sequence)
      .map((ref) => JSON.parse(readFileSync(path.join(ws.root, 'store', ref.key, 'manifest.json'), 'utf8')) as Pick<CheckpointManifest, 'sessionId' | 'attempts' | 'totals'>);
    expect(manifests.map(({ sessionId, attempts, totals }) => ({ sessionId, attempts, totals }))).toEqual([
      { sessionId: 'session-a', attempts: [], totals: { costUsd: 0, turns: 0 } },
      { sessionId: 'session-b', attempts: [attempt], totals: { costUsd: 0.5, turns: 3 } },
    ]);
    expect(told).toBe(2);
    expect(created.lastSequence).toBe(2);
  });

  it('saves on its interval only when the workspace changed', async () => {
    const { log, next } = watchingLog();
    const { created, store } = await scheduler(log, { intervalMs: 50 });
    writeFileSync(path.join(ws.repo, 'result.txt'), 'one\n');
    const first = next(/Checkpoint 1 saved \(interval\)/);
    created.start();
    await first;
    await next(/skipped: nothing changed/);
    writeFileSync(path.join(ws.repo, 'result.txt'), 'two\n');
    await next(/Checkpoint 2 saved \(interval\)/);
    created.stop();
    // An interval tick may have queued one more save: let it end before the workspace goes.
    await created.whenIdle();
    expect((await store.list(lineage)).map((ref) => ref.sequence)).toEqual([2, 1]);
  });
});

describe('checkpoints in the action', () => {
  const setup = useWorkspaceAndModelApi({ api: { script: { steps: 4 } } });

  const inputs = { prompt: 'Do the task.', anthropic_api_key: 'sk-test', path_to_claude_code_executable: CLAUDE, claude_args: '--allowedTools Bash', checkpoint_min_gap: '0s' };

  it('warns when the store cannot be written, and the run goes on', async () => {
    writeFileSync(path.join(setup.ws.root, 'not-a-folder'), '');
    const result = await runAction(setup.ws, { ...inputs, checkpoint_dir: path.join(setup.ws.root, 'not-a-folder', 'checkpoints') }, { env: agentTestEnv(setup.ws, setup.api.url) });
    expect(result.outputs.conclusion).toBe('success');
    expect(result.stdout).toMatch(/::warning::Checkpoint \d+ was not saved to the local store; the run goes on\. local store: cannot save checkpoint/);
    expect(result.outputs.checkpoints_saved).toBe('0');
    expect(await setup.ws.marks()).toEqual(['step-1', 'step-2', 'step-3', 'step-4']);
  });

  it('takes the last checkpoint in the post step when main was killed, with the attempt history', async () => {
    // Attempt 1 fails on a 500 and is resumed; attempt 2 hangs at the last step and the runner kills main.
    setup.api.setFaults([
      { kind: 'http500', at: { step: 2 }, count: 1 },
      { kind: 'stall', at: { step: 4 }, count: 1 },
    ]);
    const jobInputs = { ...inputs, api_proxy: 'false', initial_delay: '100ms', max_delay: '200ms' };
    const killed = await interruptedRun(setup.ws, jobInputs, { env: agentTestEnv(setup.ws, setup.api.url), runnerTemp: setup.ws.runnerTemp, step: 3, signal: 'SIGKILL' });
    expect(killed.stdout).toContain('Attempt 1 ended with server_error');
    expect(killed.state.durable_main_finished).toBeUndefined();
    const post = await startAction(setup.ws, jobInputs, { entry: 'post', env: agentTestEnv(setup.ws, setup.api.url) }).done;
    expect(post.exitCode).toBe(0);
    const saved = /Checkpoint (\d+) saved \(post step: main did not finish\): .* to local (\S+);/.exec(post.stdout);
    expect(saved, post.stdout).not.toBeNull();
    expect(Number(saved?.[1])).toBeGreaterThan(Number(killed.state.durable_last_sequence));
    const manifest = JSON.parse(readFileSync(path.join(setup.ws.root, 'checkpoints', saved?.[2] ?? '', 'manifest.json'), 'utf8')) as { attempts: Array<{ reason: string }> };
    expect(manifest.attempts.map((attempt) => attempt.reason)).toEqual(['server_error']);
  });
});
