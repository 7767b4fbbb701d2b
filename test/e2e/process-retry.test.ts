import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Fault } from '../support/model-api.js';
import { waitForOutput } from '../support/processes.js';
import { TEST_AGENTS } from '../support/agents.js';
import { agentTestEnv, CLAUDE, runAction, startAction } from '../support/run-action.js';
import { useWorkspaceAndModelApi } from '../support/workspace-and-model-api.js';

const AGENTS = TEST_AGENTS;

describe.each(AGENTS)('process retry with $agent', ({ agent, inputs, cliTries, idleTimeout }) => {
  const setup = useWorkspaceAndModelApi();

  const run = async (faults: Fault[], extra: Record<string, string> = {}, steps = 4) => {
    await setup.startApi({ script: { steps }, faults });
    return runAction(
      setup.ws,
      {
        agent,
        prompt: 'Work through the task step by step.',
        anthropic_api_key: 'sk-test',
        api_proxy: 'false',
        initial_delay: '100ms',
        max_delay: '500ms',
        ...inputs,
        ...extra,
      },
      { env: agentTestEnv(setup.ws, setup.api.url) },
    );
  };

  it('resumes the same session after the agent gives up on a 500 burst, no step redone', async () => {
    const result = await run([{ kind: 'http500', at: { step: 3 }, count: cliTries, retryAfterSeconds: 0 }]);
    expect(result.outputs.conclusion, result.stdout.slice(-6000)).toBe('success');
    expect(result.outputs.attempts).toBe('2');
    expect(result.outputs.resumed_sessions).toBe('1');
    expect(await setup.ws.marks()).toEqual(['step-1', 'step-2', 'step-3', 'step-4']);
    expect(result.stdout).toMatch(/Attempt 1 ended with server_error: .*Waiting \d+(\.\d+)?(ms|s) before attempt 2 \(resuming session /);
    expect(result.stdout).toContain('::group::Attempt 2: ');
  });

  it('resumes after a stall longer than idle_timeout', async () => {
    const result = await run([{ kind: 'stall', at: { step: 2 }, count: 1 }], { idle_timeout: idleTimeout }, 3);
    expect(result.outputs.conclusion, result.stdout.slice(-6000)).toBe('success');
    expect(result.outputs.attempts).toBe('2');
    expect(result.outputs.resumed_sessions).toBe('1');
    expect(await setup.ws.marks()).toEqual(['step-1', 'step-2', 'step-3']);
    expect(result.stdout).toMatch(/Attempt 1 ended with stalled/);
  });

  it('fails fast on 401 with one attempt', async () => {
    const result = await run([{ kind: 'http401', at: { step: 2 }, count: 100 }]);
    expect(result.outputs.conclusion).toBe('failure');
    expect(result.outputs.failure_reason).toBe('auth');
    expect(result.outputs.attempts).toBe('1');
    expect(result.exitCode).toBe(1);
  });

  it('fails fast on 400 with one attempt', async () => {
    const result = await run([{ kind: 'http400', at: { step: 2 }, count: 100 }]);
    expect(result.outputs.failure_reason).toBe('bad_request');
    expect(result.outputs.attempts).toBe('1');
  });

  it('gives up after max_attempts with the last reason', async () => {
    const result = await run([{ kind: 'http529', at: { step: 2 }, count: 1000, retryAfterSeconds: 0 }], { max_attempts: '3' });
    expect(result.outputs.conclusion).toBe('failure');
    expect(result.outputs.failure_reason).toBe('overloaded');
    expect(result.outputs.attempts).toBe('3');
    expect(result.stdout).toMatch(/::error::overloaded: .*gave up: max_attempts \(3\) reached/);
    expect(await setup.ws.marks()).toEqual(['step-1']);
  });

  it('ends promptly when cancelled during a backoff wait', async () => {
    await setup.startApi({ script: { steps: 3 }, faults: [{ kind: 'http500', at: { step: 2 }, count: 1000, retryAfterSeconds: 0 }] });
    const action = startAction(
      setup.ws,
      { agent, prompt: 'Do it.', anthropic_api_key: 'sk-test', api_proxy: 'false', initial_delay: '10m', max_delay: '10m', ...inputs },
      { env: agentTestEnv(setup.ws, setup.api.url) },
    );
    if (!action.child.stdout) throw new Error('no stdout');
    await waitForOutput(action.child.stdout, (text) => /Waiting \S+ before attempt 2/.test(text));
    const signalled = Date.now();
    action.child.kill('SIGINT');
    const result = await action.done;
    expect(Date.now() - signalled).toBeLessThan(5000);
    expect(result.outputs.failure_reason).toBe('cancelled');
    expect(result.outputs.attempts).toBe('1');
  });
});

describe('a session that cannot be resumed', () => {
  const setup = useWorkspaceAndModelApi();

  it('falls back to a fresh session with the original prompt, and says so', async () => {
    await setup.startApi({ script: { steps: 3 }, faults: [{ kind: 'http500', at: { step: 2 }, count: 1 }] });
    const action = startAction(
      setup.ws,
      { prompt: 'Do it.', anthropic_api_key: 'sk-test', api_proxy: 'false', initial_delay: '2s', max_delay: '2s', path_to_claude_code_executable: CLAUDE, claude_args: '--allowedTools Bash' },
      { env: agentTestEnv(setup.ws, setup.api.url) },
    );
    if (!action.child.stdout) throw new Error('no stdout');
    await waitForOutput(action.child.stdout, (text) => /Waiting \S+ before attempt 2/.test(text));
    // The transcript disappears during the wait, as if the state folder had been lost.
    const projects = path.join(setup.ws.runnerTemp, 'durable-agent', 'claude-config', 'projects');
    for (const dir of readdirSync(projects)) rmSync(path.join(projects, dir), { recursive: true, force: true });
    const result = await action.done;

    expect(result.outputs.conclusion, result.stdout.slice(-6000)).toBe('success');
    expect(result.outputs.attempts).toBe('3');
    expect(result.outputs.fresh_session_fallbacks).toBe('1');
    expect(result.stdout).toMatch(/::warning::session \S+ could not be resumed .*starting a fresh session/);
    // A fresh session starts the script over: the workspace keeps the first run's step 1 as well.
    expect(await setup.ws.marks()).toEqual(['step-1', 'step-1', 'step-2', 'step-3']);
    const freshPrompt = setup.api.requests.filter((r) => r.kind === 'conversation').at(-1);
    expect(JSON.stringify(freshPrompt?.body)).toContain('Work may already be present in the workspace');
  });
});
