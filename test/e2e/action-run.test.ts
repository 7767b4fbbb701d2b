import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { descendants, exitedWithin, waitForOutput } from '../support/processes.js';
import { TEST_AGENTS } from '../support/agents.js';
import { agentTestEnv, runAction, startAction } from '../support/run-action.js';
import { useWorkspaceAndModelApi } from '../support/workspace-and-model-api.js';

describe.each(TEST_AGENTS)('the action running $agent', ({ agent, inputs }) => {
  const setup = useWorkspaceAndModelApi();

  const baseInputs = (extra: Record<string, string> = {}) => ({
    agent,
    prompt: 'Work through the task step by step.',
    anthropic_api_key: 'sk-test-secret-value',
    ...inputs,
    ...extra,
  });

  it('runs a 3-step task to success, each step once, with outputs and the execution file', async () => {
    // Step 2 prints a long output: the transcript shows its start, the execution file all the agent printed.
    await setup.startApi({ script: { steps: 3, extraCommands: { 2: 'seq 100001 120000' } } });
    const result = await runAction(setup.ws, baseInputs(), { env: agentTestEnv(setup.ws, setup.api.url) });

    expect(result.exitCode, result.stdout).toBe(0);
    expect(await setup.ws.marks()).toEqual(['step-1', 'step-2', 'step-3']);
    expect(result.outputs.conclusion).toBe('success');
    expect(result.outputs.failure_reason).toBe('');
    expect(result.outputs.attempts).toBe('1');
    expect(result.outputs.session_id).toMatch(/\S{8,}/);

    const lines = readFileSync(result.outputs.execution_log ?? '', 'utf8').trim().split('\n');
    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const text = lines.join('\n');
    for (const step of [1, 2, 3]) expect(text).toContain(`echo step-${step} >> progress.txt`);
    expect(events.some((event) => JSON.stringify(event).includes(result.outputs.session_id ?? '-'))).toBe(true);

    // The transcript shows each tool call in a group; the secret never shows.
    expect(result.stdout).toContain('::group::Attempt 1');
    expect(result.stdout).toMatch(/▶ bash: echo step-2 >> progress.txt/i);
    // Both CLIs cut a long output themselves (a preview, a tail); the transcript shows its start.
    expect(result.stdout).toMatch(/✓ bash\n {4}[^]*?… \(about \d+(\.\d)? KiB more\)/i);
    expect(result.stdout).not.toContain('119999');
    expect(text).toMatch(/1[01]\d{4}\\n1[01]\d{4}\\n/);
    // `::add-mask::` is the one line that may carry it: the runner hides the value everywhere after.
    const logged = (result.stdout + result.stderr).replace(/^::add-mask::.*$/m, '');
    expect(logged + text).not.toContain('sk-test-secret-value');
    expect(result.stdout).toMatch(/^::add-mask::sk-test-secret-value$/m);
  });

  it('fails the step with bad_request on a 400', async () => {
    await setup.startApi({ script: { steps: 3 }, faults: [{ kind: 'http400', at: { step: 2 }, count: 100 }] });
    const result = await runAction(setup.ws, baseInputs(), { env: agentTestEnv(setup.ws, setup.api.url) });

    expect(result.exitCode).toBe(1);
    expect(result.outputs.conclusion).toBe('failure');
    expect(result.outputs.failure_reason).toBe('bad_request');
    expect(result.stdout).toMatch(/::error::bad_request: .*(400|invalid request)/i);
    expect(await setup.ws.marks()).toEqual(['step-1']);
  });

  it('ends a stalled agent after idle_timeout', async () => {
    await setup.startApi({ script: { steps: 3 }, faults: [{ kind: 'stall', at: { step: 2 }, count: 100 }] });
    const result = await runAction(setup.ws, baseInputs({ idle_timeout: '3s', max_attempts: '1' }), { env: agentTestEnv(setup.ws, setup.api.url) });

    expect(result.exitCode).toBe(1);
    expect(result.outputs.failure_reason).toBe('stalled');
    expect(result.stdout).toMatch(/::error::stalled: the agent printed nothing for longer than idle_timeout/);
  });

  it('stops the agent and its whole process group on SIGINT', async () => {
    await setup.startApi({ script: { steps: 3 }, faults: [{ kind: 'stall', at: { step: 2 }, count: 100 }] });
    const run = startAction(setup.ws, baseInputs(), { env: agentTestEnv(setup.ws, setup.api.url) });
    const { child } = run;
    if (!child.stdout || child.pid === undefined) throw new Error('no action process');
    await waitForOutput(child.stdout, (text) => /▶ bash: echo step-1/i.test(text));
    const agentProcesses = descendants(child.pid);
    expect(agentProcesses.length).toBeGreaterThan(0);

    const signalled = Date.now();
    child.kill('SIGINT');
    const result = await run.done;
    expect(Date.now() - signalled).toBeLessThan(7500); // GitHub's own grace before SIGTERM
    expect(result.exitCode).toBe(1);
    expect(result.outputs.failure_reason).toBe('cancelled');
    for (const pid of agentProcesses) expect(await exitedWithin(pid, 5000), `process ${pid}`).toBe(true);
  });
});
