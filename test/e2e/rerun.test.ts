import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startModelApi, type ModelApi } from '../support/model-api.js';
import { freshRunner, interruptedRun, makeOrigin } from '../support/rerun.js';
import { agentTestEnv, CLAUDE, OPENCODE, runAction, type ActionResult } from '../support/run-action.js';
import { createWorkspace, type Workspace } from '../support/workspace.js';

const STEPS = 8;
const ALL_STEPS = Array.from({ length: STEPS }, (_, i) => `step-${i + 1}`);
const AGENTS = [
  { agent: 'claude', inputs: { path_to_claude_code_executable: CLAUDE, claude_args: '--allowedTools Bash' }, killAt: [2, 6] },
  { agent: 'opencode', inputs: { path_to_opencode_executable: OPENCODE, model: 'claude-test' }, killAt: [4] },
] as const;

/** The work tree's files (not .git) with their contents, to compare two checkouts. */
function tree(root: string, dir = ''): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(path.join(root, dir))) {
    if (dir === '' && name === '.git') continue;
    const rel = path.join(dir, name);
    if (statSync(path.join(root, rel)).isDirectory()) Object.assign(files, tree(root, rel));
    else files[rel] = readFileSync(path.join(root, rel), 'utf8');
  }
  return files;
}

describe.each(AGENTS)('a re-run of a killed $agent job', ({ agent, inputs, killAt }) => {
  let ws: Workspace;
  let api: ModelApi;
  let origin: string;
  beforeEach(async () => {
    ws = await createWorkspace();
    // The repository the runner checks out: each job attempt starts from a fresh clone of it.
    origin = await makeOrigin(ws);
    // The first attempt hangs at the last step, so it is still running when the test interrupts it.
    api = await startModelApi({ script: { steps: STEPS }, faults: [{ kind: 'stall', at: { step: STEPS }, count: 1 }] });
  });
  afterEach(async () => {
    await api.close();
    await ws.dispose();
  });

  const jobInputs = {
    agent,
    prompt: 'Work through the task step by step.',
    anthropic_api_key: 'sk-test',
    checkpoint_min_gap: '0s',
    checkpoint_interval: '1h',
    ...inputs,
  };

  const interrupted = async (step: number, signal: 'SIGKILL' | 'SIGINT'): Promise<ActionResult> =>
    interruptedRun(ws, jobInputs, { env: agentTestEnv(ws, api.url), runnerTemp: await freshRunner(ws, origin, 1), step, signal });

  /** Runs attempt 2; returns its result and the step the resumed conversation continued at. */
  async function rerun(): Promise<ActionResult & { resumedAt: number }> {
    api.setFaults([]);
    const before = api.requests.length;
    const result = await runAction(ws, jobInputs, { env: agentTestEnv(ws, api.url), runAttempt: 2, runnerTemp: await freshRunner(ws, origin, 2) });
    const resumedAt = api.requests.slice(before).find((request) => request.kind === 'conversation')?.step ?? 1;
    const marks = await ws.marks();
    expect(result.outputs.conclusion, result.stdout.slice(-5000)).toBe('success');
    expect(result.outputs.resumed).toBe('true');
    expect(result.outputs.restored_from).toMatch(/^\d+@/);
    // Every step is there; none before the restored point ran twice.
    expect([...new Set(marks)].sort()).toEqual([...ALL_STEPS].sort());
    for (const mark of ALL_STEPS.slice(0, resumedAt - 1)) expect(marks.filter((m) => m === mark), `${mark} in ${marks.join(',')}`).toHaveLength(1);
    return { ...result, resumedAt };
  }

  it.each(killAt)('resumes from the last checkpoint after the runner was lost at step %i', async (step) => {
    const first = await interrupted(step, 'SIGKILL');
    expect(first.signal).toBe('SIGKILL');
    const second = await rerun();
    expect(second.stdout).toMatch(/Restored checkpoint \d+/);
    expect(second.stdout).toMatch(/Attempt 1: \S+( Code)?, resuming session/);

    // The same as a run that was never interrupted.
    const uninterrupted = await createWorkspace();
    try {
      const plainApi = await startModelApi({ script: { steps: STEPS } });
      await runAction(uninterrupted, jobInputs, { env: agentTestEnv(uninterrupted, plainApi.url) });
      await plainApi.close();
      const resumed = tree(ws.repo);
      resumed['progress.txt'] = [...new Set((resumed['progress.txt'] ?? '').split('\n'))].join('\n');
      expect(resumed).toEqual(tree(uninterrupted.repo));
    } finally {
      await uninterrupted.dispose();
    }
  });

  it('takes a final checkpoint on cancel, and the re-run goes on from there', async () => {
    const first = await interrupted(3, 'SIGINT');
    expect(first.outputs.failure_reason).toBe('cancelled');
    expect(first.stdout).toMatch(/Checkpoint \d+ saved \(cancelled\)/);
    const marksAtCancel = (await ws.marks()).length;
    const second = await rerun();
    // The conversation continues after everything that finished before the cancel; only a tool
    // call the cancel cut off (its result never recorded) may run again.
    expect(second.resumedAt).toBeGreaterThanOrEqual(marksAtCancel);
    const marks = await ws.marks();
    expect(marks.length).toBeLessThanOrEqual(STEPS + 1);
  });
});
