import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TEST_AGENTS } from './agents.js';
import { startModelApi, type ModelApi } from './model-api.js';
import { makeOrigin, runKillChain, workTree, writeOutputs } from './rerun.js';
import { agentTestEnv, runAction } from './run-action.js';
import { createWorkspace, type Workspace } from './workspace.js';

const STEPS = 8;
const ALL_STEPS = Array.from({ length: STEPS }, (_, i) => `step-${i + 1}`);
const KILL_AT = [2, 3, 4, 5, 6, 7];
// Experiment outputs big enough that a checkpoint takes real time (the model answers at once).
const OUTPUTS = { file: 'outputs/data.bin', bytes: 20 * 1024 * 1024 };

async function workspaceWithOutputs(): Promise<Workspace> {
  const ws = await createWorkspace();
  writeFileSync(path.join(ws.repo, '.gitignore'), 'outputs/\n');
  await ws.git('add', '.gitignore');
  await ws.git('commit', '-q', '-m', 'ignore outputs');
  return ws;
}

/**
 * One job of `agent`, SIGKILLed with the whole process tree after step 2, its re-run after step 3,
 * … after step 7, the last re-run finishing: every re-run on a fresh clone with the local store.
 * With the API proxy every checkpoint is taken at a turn boundary, so no finished step runs again
 * and the work tree ends as an uninterrupted run's; with min_gap 0 and ~20 MB of outputs the next
 * request waits for the checkpoint, so a re-run goes on from the step that was in flight.
 */
export function killChainSuite(agent: (typeof TEST_AGENTS)[number]): void {
  describe(`a ${agent.agent} job killed after every step from 2 to 7`, () => {
    const disposables: Array<{ dispose?: () => Promise<void>; close?: () => Promise<void> }> = [];
    afterEach(async () => {
      for (const item of disposables.splice(0).reverse()) await (item.close ?? item.dispose)?.();
    });

    const jobInputs = {
      agent: agent.agent,
      prompt: 'Work through the task step by step.',
      anthropic_api_key: 'sk-test',
      checkpoint_min_gap: '0s',
      checkpoint_interval: '1h',
      checkpoint_paths: 'outputs/**',
      ...agent.inputs,
    };

    it('runs every step exactly once over the re-runs and ends with the uninterrupted work tree', async () => {
      const ws = await workspaceWithOutputs();
      disposables.push(ws);
      const origin = await makeOrigin(ws);
      const api: ModelApi = await startModelApi({ script: { steps: STEPS } });
      disposables.push(api);

      const chain = await runKillChain(ws, origin, api, {
        inputs: jobInputs,
        env: agentTestEnv(ws, api.url),
        killAt: KILL_AT,
        prepare: (repo) => writeOutputs(repo, OUTPUTS.file, OUTPUTS.bytes),
      });
      const story = chain.links.map((link) => `attempt ${link.runAttempt} killed at ${link.killAt} with ${link.marksAtKill.length} marks, next went on at step ${link.resumedAt}`).join('\n');
      expect(chain.final.outputs.conclusion, `${story}\n${chain.final.stdout.slice(-5000)}`).toBe('success');
      expect(chain.final.outputs.resumed).toBe('true');
      // Every mark exactly once, in order: no finished step ran again, none was skipped.
      expect(await ws.marks(), story).toEqual(ALL_STEPS);
      expect([...chain.links.map((link) => link.stdout), chain.final.stdout].join('\n')).toMatch(/Checkpoint \d+ saved \(after agent turns\): .*; taken at a turn boundary$/m);
      for (const link of chain.links) {
        expect(link.stdout).toMatch(/Checkpoints are taken at turn boundaries/);
        // The agent's session store always caught up with the held request.
        expect(link.stdout).not.toMatch(/taken mid-turn/);
        // At most the step in flight at the kill is done again.
        expect(link.resumedAt, story).toBeGreaterThanOrEqual(link.marksAtKill.length);
      }

      const plain = await workspaceWithOutputs();
      disposables.push(plain);
      writeOutputs(plain.repo, OUTPUTS.file, OUTPUTS.bytes);
      const plainApi = await startModelApi({ script: { steps: STEPS } });
      disposables.push(plainApi);
      // Checkpoints do not change what the agent does: the reference run goes without, which is faster.
      const uninterrupted = await runAction(plain, { ...jobInputs, checkpoint_store: 'none' }, { env: agentTestEnv(plain, plainApi.url) });
      expect(uninterrupted.outputs.conclusion).toBe('success');
      expect(workTree(ws.repo)).toEqual(workTree(plain.repo));
    }, 600_000);
  });
}
