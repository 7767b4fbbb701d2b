/**
 * Both real CLIs through the action while the model API is down for a stretch of time: the proxy
 * holds the request, the agent waits on pings, and the run goes on in the same process.
 *
 * How the outage is sized: every model request fails with 500 (retry-after: 0) for OUTAGE_MS from
 * the first one that meets it (the agent's request for step 2).
 * Alone, each CLI survives far less: Claude Code with CLAUDE_CODE_MAX_RETRIES=0 gives up on the
 * first failed request; OpenCode makes 1 + 5 tries, at once when told retry-after 0, so about six
 * failed requests. The step's short API_TIMEOUT_MS (3 s) must not end a hold either: measured with
 * Claude Code 2.1.331, it bounds the wait for the answer's headers, which a hold sends at once, and
 * the action raises it besides.
 * Through the proxy without a hold they get PROXY_TRIES tries per CLI try, about 2 s in all. The
 * control case (api_retry_time: 0) shows that outage ending in a process retry for both; with the
 * hold the same outage passes in one attempt, and the test checks the proxy's upstream tries
 * outnumbered what proxy and CLI together could absorb.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { quickRetryInputs, TEST_AGENTS } from '../support/agents.js';
import { startOutageUpstream, type OutageUpstream } from '../support/outage-upstream.js';
import { waitForOutput } from '../support/processes.js';
import { agentTestEnv, startAction, type ActionRun } from '../support/run-action.js';
import { useWorkspaceAndModelApi } from '../support/workspace-and-model-api.js';

const PROXY_TRIES = 2;
const OUTAGE_MS = 8_000;
const STEPS = ['step-1', 'step-2', 'step-3'];

describe.each(TEST_AGENTS)('$agent through an API outage', ({ agent, inputs, cliTries }) => {
  const setup = useWorkspaceAndModelApi();
  let front: OutageUpstream | undefined;
  // Registered after the set-up's hooks, so the front closes before the API behind it.
  afterEach(async () => {
    await front?.close();
    front = undefined;
  });

  /** The model API behind an outage front; `onStep1` runs as the answer to step 1 goes out. */
  const start = async (onStep1: (outage: OutageUpstream) => void, extra: Record<string, string> = {}): Promise<ActionRun> => {
    let started = false;
    await setup.startApi({
      script: { steps: STEPS.length },
      onRequest: (request) => {
        if (request.kind !== 'conversation' || request.step !== 1 || started || !front) return;
        started = true;
        onStep1(front);
      },
    });
    front = await startOutageUpstream(setup.api.url);
    return startAction(
      setup.ws,
      {
        ...quickRetryInputs(agent, PROXY_TRIES),
        api_retry_time: '2m',
        ...inputs,
        ...extra,
      },
      // A short request bound of Claude Code's own, which must not end a hold.
      { env: { ...agentTestEnv(setup.ws, front.url), API_TIMEOUT_MS: '3000', DURABLE_AGENT_HOLD_PING_MS: '1000' } },
    );
  };

  const failFor = (ms: number) => (outage: OutageUpstream) => outage.fail('http500', { forMs: ms, retryAfterSeconds: 0 });

  it('rides out the outage in one attempt: no failure reaches the agent, every step once', async () => {
    const action = await start(failFor(OUTAGE_MS));
    const result = await action.done;

    expect(result.outputs.conclusion, result.stdout.slice(-6000)).toBe('success');
    expect(result.outputs.attempts).toBe('1');
    expect(await setup.ws.marks()).toEqual(STEPS);
    expect(result.stdout).toMatch(/API proxy: POST \/v1\/messages answered 500 \(api_error\) after 2 tries; holding it/);
    expect(result.stdout).toMatch(/hold ended: the upstream answered 200 \(held \S+, \d+ upstream tries\); relaying its answer/);
    expect(result.stdout).not.toMatch(/passing it on to the agent/);
    // More failed upstream tries than the proxy and the CLI could have absorbed without a hold.
    expect(front?.failed).toBeGreaterThan(PROXY_TRIES * cliTries);
    // Nothing in the agent's own events says it saw a failure.
    // execution_file is one JSON array of the agent's event lines (claude-code-action's format).
    const events = JSON.parse(readFileSync(result.outputs.execution_file ?? '', 'utf8')) as { type?: string; subtype?: string }[];
    expect(events.length).toBeGreaterThan(0);
    expect(events.filter((event) => event.type === 'error' || event.subtype === 'api_retry')).toEqual([]);
    const summary = readFileSync(path.join(setup.ws.root, 'github-step-summary'), 'utf8');
    expect(summary).toMatch(/### Outage holds\n\n\| attempt \| started \| held \| upstream tries \| final status \|\n\|---\|---\|---\|---\|---\|\n\| 1 \| \S+ \| \S+ \| \d+ \| 200 \|/);
  });

  it('without a hold (api_retry_time: 0) the same outage costs a process retry', async () => {
    // Two attempts are enough to see it; whether the second one still meets the outage does not matter.
    const action = await start(failFor(OUTAGE_MS), { api_retry_time: '0', max_attempts: '2' });
    const result = await action.done;
    expect(result.outputs.attempts, result.stdout.slice(-6000)).toBe('2');
    expect(result.stdout).toMatch(/Attempt 1 ended with server_error/);
    expect(result.stdout).toMatch(/passing it on to the agent/);
  });

  // One agent is enough for the hand-over; OpenCode would first spend a minute on its own retries.
  it.runIf(agent === 'claude')('hands over to the process retry when the outage outlasts api_retry_time', async () => {
    // Process retries far enough apart that the outage ends before max_attempts does.
    const action = await start(failFor(OUTAGE_MS), { api_retry_time: '2s', initial_delay: '2s', max_delay: '4s', max_attempts: '10' });
    const result = await action.done;
    expect(result.outputs.conclusion, result.stdout.slice(-6000)).toBe('success');
    expect(Number(result.outputs.attempts)).toBeGreaterThanOrEqual(2);
    expect(result.stdout).toMatch(/hold ended: api_retry_time is used up/);
    expect(result.stdout).toMatch(/Attempt 1 ended with server_error/);
    expect(await setup.ws.marks()).toEqual(STEPS);
  });

  it('fails fast with auth when a 401 arrives during a hold', async () => {
    const action = await start((outage) => outage.fail('http500', { retryAfterSeconds: 0 }));
    if (!action.child.stdout) throw new Error('no stdout');
    await waitForOutput(action.child.stdout, (text) => /holding it/.test(text));
    front?.fail('http401');
    const switched = Date.now();
    const result = await action.done;
    expect(result.outputs.conclusion, result.stdout.slice(-6000)).toBe('failure');
    expect(result.outputs.failure_reason).toBe('auth');
    expect(result.outputs.attempts).toBe('1');
    expect(Date.now() - switched).toBeLessThan(30_000);
    expect(result.stdout).toMatch(/hold ended: the upstream answered 401/);
  });

  it('ends the step within seconds when cancelled during a hold', async () => {
    const action = await start((outage) => outage.fail('http500', { retryAfterSeconds: 0 }));
    if (!action.child.stdout) throw new Error('no stdout');
    await waitForOutput(action.child.stdout, (text) => /holding it/.test(text));
    const signalled = Date.now();
    action.child.kill('SIGINT');
    const result = await action.done;
    expect(Date.now() - signalled).toBeLessThan(8_000);
    expect(result.outputs.failure_reason).toBe('cancelled');
    expect(result.outputs.attempts).toBe('1');
  });
});
