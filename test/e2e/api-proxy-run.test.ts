import { describe, expect, it } from 'vitest';
import type { Fault } from '../support/model-api.js';
import { quickRetryInputs, TEST_AGENTS } from '../support/agents.js';
import { agentTestEnv, runAction } from '../support/run-action.js';
import { useWorkspaceAndModelApi } from '../support/workspace-and-model-api.js';

// The proxy tries each request PROXY_TRIES times; the CLI itself tries cliTries times (Claude with
// CLAUDE_CODE_MAX_RETRIES=0 once; OpenCode 1 + 5 times, immediately when told retry-after 0).
const PROXY_TRIES = 2;
const AGENTS = TEST_AGENTS;
const STEPS = ['step-1', 'step-2', 'step-3', 'step-4'];

describe.each(AGENTS)('$agent through the API retry proxy', ({ agent, inputs, cliTries, idleTimeout }) => {
  const setup = useWorkspaceAndModelApi();

  const run = async (faults: Fault[], extra: Record<string, string> = {}) => {
    await setup.startApi({ script: { steps: 4 }, faults });
    const result = await runAction(
      setup.ws,
      {
        ...quickRetryInputs(agent, PROXY_TRIES),
        ...inputs,
        ...extra,
      },
      { env: agentTestEnv(setup.ws, setup.api.url) },
    );
    expect(await setup.ws.marks(), result.stdout.slice(-4000)).toEqual(STEPS);
    expect(result.outputs.conclusion).toBe('success');
    return result;
  };

  it('absorbs a 500 burst: the agent never notices', async () => {
    const result = await run([{ kind: 'http500', at: { step: 2 }, count: PROXY_TRIES - 1, retryAfterSeconds: 0 }]);
    expect(result.outputs.attempts).toBe('1');
    expect(result.outputs.api_retries).toBe('1');
    expect(result.stdout).toMatch(/API proxy: POST \/v1\/messages\S* answered 500/);
  });

  // Without the outage hold (outage-hold.test.ts covers it), a burst that long reaches the agent.
  const NO_HOLD = { api_retry_time: '0' };

  it('resumes the session when a 500 burst outlasts the proxy and the CLI together', async () => {
    const result = await run([{ kind: 'http500', at: { step: 2 }, count: PROXY_TRIES * cliTries, retryAfterSeconds: 0 }], NO_HOLD);
    expect(result.outputs.attempts).toBe('2');
    expect(result.outputs.resumed_sessions).toBe('1');
    expect(Number(result.outputs.api_retries)).toBeGreaterThanOrEqual(cliTries);
  });

  it('gets through a 529 storm', async () => {
    const result = await run([{ kind: 'http529', at: { step: 3 }, count: PROXY_TRIES * cliTries + 1, retryAfterSeconds: 0 }], NO_HOLD);
    expect(result.outputs.attempts).toBe('2');
    expect(result.outputs.resumed_sessions).toBe('1');
  });

  it('honours retry-after on a 429', async () => {
    const result = await run([{ kind: 'http429', at: { step: 2 }, count: 1, retryAfterSeconds: 0.2 }]);
    expect(result.outputs.attempts).toBe('1');
    expect(result.stdout).toMatch(/answered 429.*in 200ms/);
  });

  it('retries a connection reset before the response', async () => {
    const result = await run([{ kind: 'reset-before-response', at: { step: 3 }, count: 1 }]);
    expect(result.outputs.attempts).toBe('1');
    expect(result.outputs.api_retries).toBe('1');
  });

  it('survives a reset mid-stream (the agent retries it; the proxy must not)', async () => {
    const result = await run([{ kind: 'reset-mid-stream', at: { step: 2 }, count: 1 }]);
    expect(result.outputs.api_retries).toBe('0');
  });

  it('resumes after a stall longer than idle_timeout', async () => {
    const result = await run([{ kind: 'stall', at: { step: 3 }, count: 1 }], { idle_timeout: idleTimeout });
    expect(result.outputs.attempts).toBe('2');
    expect(result.stdout).toMatch(/Attempt 1 ended with stalled/);
  });
});
