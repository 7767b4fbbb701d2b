import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { TEST_AGENTS } from '../support/agents.js';
import type { ModelApi } from '../support/model-api.js';
import { waitForOutput } from '../support/processes.js';
import { freshRunner, interruptedRun, killTree, makeOrigin } from '../support/rerun.js';
import { agentTestEnv, CLAUDE, runAction, startAction, type ActionResult } from '../support/run-action.js';
import { useWorkspaceAndModelApi } from '../support/workspace-and-model-api.js';

// Killed runs at every step are in rerun-killed-*.test.ts; here: cancel, a long tool call, no proxy.
const STEPS = 4;
const ALL_STEPS = Array.from({ length: STEPS }, (_, i) => `step-${i + 1}`);

const setup = useWorkspaceAndModelApi();
let origin: string;
beforeEach(async () => {
  // The repository the runner checks out: each job attempt starts from a fresh clone of it.
  origin = await makeOrigin(setup.ws);
});

const summary = (): string => readFileSync(path.join(setup.ws.root, 'github-step-summary'), 'utf8');

/** Runs attempt `runAttempt` to its end; returns it and the first step the resumed conversation asked for. */
async function rerun(model: ModelApi, inputs: Record<string, string>, runAttempt = 2): Promise<ActionResult & { resumedAt: number; firstRequest: string }> {
  model.setFaults([]);
  const before = model.requests.length;
  const result = await runAction(setup.ws, inputs, { env: agentTestEnv(setup.ws, model.url), runAttempt, runnerTemp: await freshRunner(setup.ws, origin, runAttempt) });
  const first = model.requests.slice(before).find((request) => request.kind === 'conversation');
  expect(result.outputs.conclusion, result.stdout.slice(-5000)).toBe('success');
  expect(result.outputs.resumed).toBe('true');
  expect(result.stdout).toMatch(/Restored checkpoint \d+/);
  return { ...result, resumedAt: first?.step ?? 1, firstRequest: JSON.stringify(first?.body ?? '') };
}

describe.each(TEST_AGENTS)('a re-run of an interrupted $agent job', ({ agent, inputs }) => {
  const jobInputs = {
    agent,
    prompt: 'Work through the task step by step.',
    anthropic_api_key: 'sk-test',
    checkpoint_min_gap: '0s',
    checkpoint_interval: '1h',
    ...inputs,
  };

  it('takes a final checkpoint on cancel, and the re-run goes on from there', async () => {
    // The first attempt hangs at the last step, so it is still running when the test cancels it.
    await setup.startApi({ script: { steps: STEPS }, faults: [{ kind: 'stall', at: { step: STEPS }, count: 1 }] });
    const first = await interruptedRun(setup.ws, jobInputs, { env: agentTestEnv(setup.ws, setup.api.url), runnerTemp: await freshRunner(setup.ws, origin, 1), step: 3, signal: 'SIGINT' });
    expect(first.outputs.failure_reason).toBe('cancelled');
    expect(first.stdout).toMatch(/Checkpoint \d+ saved \(cancelled\)/);
    expect(summary()).toMatch(/Checkpoints: \*\*at turn boundaries\*\*/);
    const marksAtCancel = await setup.ws.marks();
    const second = await rerun(setup.api, jobInputs);
    // The conversation goes on after everything that finished before the cancel; only a tool call
    // the cancel cut off (its result never recorded) may run again.
    expect(second.resumedAt).toBeGreaterThanOrEqual(marksAtCancel.length);
    const marks = await setup.ws.marks();
    expect([...new Set(marks)].sort()).toEqual(ALL_STEPS);
    expect(marks.length).toBeLessThanOrEqual(STEPS + 1);
    // The re-run's summary tells the lineage's story: the cancelled job attempt's attempt, from the checkpoint, first.
    const attempts = (summary().split('### Attempts').at(-1) ?? '').split('###')[0] ?? '';
    expect(attempts).toMatch(/\| 1\.1 \|[^\n]*\| fatal \| cancelled \|[^\n]*\n\| 2\.1 \|[^\n]*\| success \| success \| resumed \|/);
  });

  it('checkpoints one long tool call mid-turn, and the resumed agent is told which call was cut off', async () => {
    // Step 2 runs for a while: the interval's checkpoint finds no turn boundary and is taken mid-tool.
    await setup.startApi({ script: { steps: STEPS, slowSteps: { 2: 8 } } });
    const slowInputs = { ...jobInputs, checkpoint_interval: '1s' };
    const run = startAction(setup.ws, slowInputs, { env: agentTestEnv(setup.ws, setup.api.url), runAttempt: 1, runnerTemp: await freshRunner(setup.ws, origin, 1) });
    if (!run.child.stdout || run.child.pid === undefined) throw new Error('no action process');
    const log = await waitForOutput(run.child.stdout, (text) => /Checkpoint \d+ saved \(interval\): .*; taken mid-turn during tool call \w+ \(toolu_step_2_/i.test(text));
    killTree(run.child.pid);
    await run.done;
    expect(log).toMatch(/waited \S+ for a turn boundary during tool call \w+: taking it mid-turn/);
    const callId = /taken mid-turn during tool call \w+ \((toolu_step_2_\w+)\)/.exec(log)?.[1] ?? '';

    const second = await rerun(setup.api, jobInputs);
    expect(second.firstRequest).toContain(`(id ${callId}) was still running`);
    expect(second.firstRequest).toContain('its outputs may be partial');
    // The cut-off call ran again from its start; every finished step exactly once.
    const marks = await setup.ws.marks();
    expect(marks.filter((mark) => /^step-\d+$/.test(mark))).toEqual(ALL_STEPS);
    expect(marks.filter((mark) => mark === 'step-2-started')).toHaveLength(2);
  }, 180_000);
});

describe('without the API proxy', () => {
  const jobInputs = {
    prompt: 'Work through the task step by step.',
    anthropic_api_key: 'sk-test',
    path_to_claude_code_executable: CLAUDE,
    claude_args: '--allowedTools Bash',
    api_proxy: 'false',
    checkpoint_min_gap: '0s',
    checkpoint_interval: '1h',
  };

  it('keeps the agent state first, says so in the log and the summary, and loses no step', async () => {
    await setup.startApi({ script: { steps: STEPS } });
    const first = await interruptedRun(setup.ws, jobInputs, { env: agentTestEnv(setup.ws, setup.api.url), runnerTemp: await freshRunner(setup.ws, origin, 1), step: 3, signal: 'SIGKILL' });
    expect(first.stdout).toMatch(/Checkpoints are taken agent state first \(no API proxy/);
    expect(first.stdout).toMatch(/Checkpoint \d+ saved \(after agent turns\): .*; agent state copied first$/m);
    const second = await rerun(setup.api, jobInputs);
    expect(summary()).toMatch(/Checkpoints: \*\*agent state first\*\* \(no API proxy: after a restore a step may run again\)/);
    // A step may run again in this mode; none is lost.
    expect([...new Set(await setup.ws.marks())].sort()).toEqual(ALL_STEPS);
    // Only checkpoints taken while the agent was not running (after the restore, the last one) are at a boundary.
    expect(second.stdout).not.toMatch(/saved \((after agent turns|interval)\): .*; taken at a turn boundary$/m);
  });
});
