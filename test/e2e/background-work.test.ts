/**
 * An experiment the agent started detached (`nohup … &`) keeps running through a process retry,
 * and the resumed agent is told it is still running.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_AGENTS } from '../support/agents.js';
import { startModelApi, type ModelApi } from '../support/model-api.js';
import { isAlive } from '../support/processes.js';
import { agentTestEnv, runAction } from '../support/run-action.js';
import { createWorkspace, type Workspace } from '../support/workspace.js';

// A distinctive command line, so the prompt can be checked for it.
// Braces keep the mark's `&&` out of the background job.
const EXPERIMENT = "{ nohup sh -c 'echo $$ > experiment.pid; exec sleep 1234' >/dev/null 2>&1 & }";

describe.each(TEST_AGENTS)('background work with $agent', ({ agent, inputs, cliTries }) => {
  let ws: Workspace;
  let api: ModelApi | undefined;
  let experiment: number | undefined;
  beforeEach(async () => {
    ws = await createWorkspace();
  });
  afterEach(async () => {
    if (experiment !== undefined && isAlive(experiment)) process.kill(experiment, 'SIGKILL');
    experiment = undefined;
    await api?.close();
    api = undefined;
    await ws.dispose();
  });

  it('keeps a nohup job running through a process retry and names it in the resume prompt', async () => {
    api = await startModelApi({
      script: { steps: 3, extraCommands: { 1: EXPERIMENT } },
      faults: [{ kind: 'http500', at: { step: 2 }, count: cliTries, retryAfterSeconds: 0 }],
    });
    const result = await runAction(
      ws,
      { agent, prompt: 'Work through the task step by step.', anthropic_api_key: 'sk-test', api_proxy: 'false', initial_delay: '100ms', max_delay: '500ms', ...inputs },
      { env: agentTestEnv(ws, api.url) },
    );
    expect(result.outputs.conclusion, result.stdout.slice(-6000)).toBe('success');
    expect(result.outputs.attempts).toBe('2');
    expect(await ws.marks()).toEqual(['step-1', 'step-2', 'step-3']);

    experiment = Number(readFileSync(path.join(ws.repo, 'experiment.pid'), 'utf8').trim());
    expect(isAlive(experiment)).toBe(true);
    expect(result.stdout).toContain(`Still running from earlier attempts (named in the next prompt): pid ${experiment}`);
    // The first request of attempt 2 carries the resume prompt with the survivor in it.
    const resumed = api.requests.filter((request) => request.kind === 'conversation' && request.step === 2 && request.status === 200)[0];
    const text = JSON.stringify(resumed?.body);
    expect(text).toContain('Processes you started earlier are still running');
    expect(text).toContain(`pid ${experiment}: sleep 1234`);
  });
});
