import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useActionsStoresJob } from '../support/actions-stores-job.js';
import { interruptedRun } from '../support/rerun.js';
import { agentTestEnv, CLAUDE, runAction } from '../support/run-action.js';

const STEPS = 6;
const ALL_STEPS = Array.from({ length: STEPS }, (_, i) => `step-${i + 1}`);
const SECRET = 'sk-ant-test-0123456789abcdef-do-not-store';

// The re-run story through the real @actions/cache and @actions/artifact clients, talking to the
// local emulator of the Actions services: attempt 1 dies, attempt 2 on a fresh runner resumes.
describe('re-run through the Actions cache and artifacts', () => {
  // The first attempt hangs at the last step, so it is still running when the test interrupts it.
  const setup = useActionsStoresJob({ api: { script: { steps: STEPS }, faults: [{ kind: 'stall', at: { step: STEPS }, count: 1 }] } });

  const inputs = {
    prompt: 'Work through the task step by step.',
    anthropic_api_key: SECRET,
    path_to_claude_code_executable: CLAUDE,
    claude_args: '--allowedTools Bash',
    checkpoint_store: 'both',
    checkpoint_min_gap: '0s',
    checkpoint_interval: '1h',
  };
  const env = (attempt: number) => ({ ...agentTestEnv(setup.ws, setup.api.url), ...setup.actionsEnv(attempt) });

  async function secondAttempt() {
    const { ws, api } = setup;
    api.setFaults([]);
    const result = await runAction(ws, inputs, { env: env(2), runAttempt: 2, runnerTemp: await setup.freshRunner(2) });
    expect(result.outputs.conclusion, result.stdout.slice(-5000)).toBe('success');
    expect(result.outputs.resumed, result.stdout.split('\n').filter((l) => /heckpoint|estore|warning/.test(l)).join('\n')).toBe('true');
    expect([...new Set(await ws.marks())].sort()).toEqual([...ALL_STEPS].sort());
    return result;
  }

  it('restores from the cache after the runner was lost', async () => {
    const { ws, actions } = setup;
    await interruptedRun(ws, inputs, { env: env(1), runnerTemp: await setup.freshRunner(1), step: 4, signal: 'SIGKILL' });
    expect(actions.cacheEntries.length).toBeGreaterThan(0);
    const result = await secondAttempt();
    expect(result.stdout).toMatch(/Restored checkpoint \d+ \(cache durable-agent-v2-[0-9a-f]{16}-m-\d{6}\)/);
  });

  it('falls back to the artifact when the cache entry was evicted', async () => {
    const { ws, actions } = setup;
    const first = await interruptedRun(ws, inputs, { env: env(1), runnerTemp: await setup.freshRunner(1), step: 3, signal: 'SIGINT' });
    expect(first.stdout).toMatch(/Checkpoint \d+ saved \(cancelled\): .* to cache durable-agent-v2-\S+, artifact durable-agent-/);
    for (const entry of actions.cacheEntries) actions.evictCacheEntry(entry.key, entry.ref);
    expect(actions.cacheEntries).toHaveLength(0);
    const result = await secondAttempt();
    expect(result.stdout).toMatch(/Restored checkpoint \d+ \(artifact durable-agent-/);
  });

  it('never uploads a secret the step knows, and names the file it left out', async () => {
    const { ws, api, actions } = setup;
    api.setFaults([]);
    writeFileSync(path.join(ws.repo, 'notes.txt'), `the key is ${SECRET}\n`);
    const result = await runAction(ws, inputs, { env: env(1), runAttempt: 1 });
    expect(result.outputs.conclusion).toBe('success');
    expect(result.stdout).toMatch(/left out workspace file notes\.txt, which holds a secret value/);
    expect(actions.artifacts.length + actions.cacheEntries.length).toBeGreaterThan(0);
    expect(actions.searchBlobs(SECRET)).toEqual([]);
    expect(result.stdout.replace(/^::add-mask::.*$/gm, '')).not.toContain(SECRET);
  });

  it('warns and goes on when the cache token is read-only', async () => {
    const { ws, api, actions, runId } = setup;
    api.setFaults([]);
    const readOnly = { ...agentTestEnv(ws, api.url), ...actions.clientEnv({ runId, attempt: 1, cacheWrite: false }) };
    const result = await runAction(ws, { ...inputs, checkpoint_store: 'cache' }, { env: readOnly, runAttempt: 1 });
    expect(result.outputs.conclusion).toBe('success');
    expect(result.stdout).toMatch(/::warning::Checkpoint \d+ was not saved to the cache store; the run goes on\./);
    expect(await ws.marks()).toEqual(ALL_STEPS);
  });
});
