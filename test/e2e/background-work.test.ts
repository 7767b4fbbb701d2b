/**
 * An experiment the agent started detached (`nohup … &`) keeps running through a process retry,
 * and the resumed agent is told it is still running.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_AGENTS } from '../support/agents.js';
import { isAlive } from '../support/processes.js';
import { agentTestEnv, runAction } from '../support/run-action.js';
import { useWorkspaceAndModelApi } from '../support/workspace-and-model-api.js';

// A distinctive command line, so the prompt can be checked for it.
// Braces keep the mark's `&&` out of the background job.
const EXPERIMENT = "{ nohup sh -c 'echo $$ > experiment.pid; exec sleep 1234' >/dev/null 2>&1 & }";

describe.each(TEST_AGENTS)('background work with $agent', ({ agent, inputs, cliTries }) => {
  const setup = useWorkspaceAndModelApi();
  let experiment: number | undefined;
  // Registered after the set-up's hooks, so it runs before they close the workspace.
  afterEach(() => {
    if (experiment !== undefined && isAlive(experiment)) process.kill(experiment, 'SIGKILL');
    experiment = undefined;
  });

  it('keeps a nohup job running through a process retry and names it in the resume prompt', async () => {
    await setup.startApi({
      script: { steps: 3, extraCommands: { 1: EXPERIMENT } },
      faults: [{ kind: 'http500', at: { step: 2 }, count: cliTries, retryAfterSeconds: 0 }],
    });
    const result = await runAction(
      setup.ws,
      { agent, prompt: 'Work through the task step by step.', anthropic_api_key: 'sk-test', api_proxy: 'false', initial_delay: '100ms', max_delay: '500ms', ...inputs },
      { env: agentTestEnv(setup.ws, setup.api.url) },
    );
    expect(result.outputs.conclusion, result.stdout.slice(-6000)).toBe('success');
    expect(result.outputs.attempts).toBe('2');
    expect(await setup.ws.marks()).toEqual(['step-1', 'step-2', 'step-3']);

    experiment = Number(readFileSync(path.join(setup.ws.repo, 'experiment.pid'), 'utf8').trim());
    expect(isAlive(experiment)).toBe(true);
    expect(result.stdout).toContain(`Still running from earlier attempts (named in the next prompt): pid ${experiment}`);
    // The first request of attempt 2 carries the resume prompt with the survivor in it.
    const resumed = setup.api.requests.filter((request) => request.kind === 'conversation' && request.step === 2 && request.status === 200)[0];
    const text = JSON.stringify(resumed?.body);
    expect(text).toContain('Processes you started earlier are still running');
    expect(text).toContain(`pid ${experiment}: sleep 1234`);
  });
});
