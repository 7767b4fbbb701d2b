import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentTestEnv, BIN, runAction } from '../support/run-action.js';
import { useWorkspaceAndModelApi } from '../support/workspace-and-model-api.js';

describe('the action without the agent CLI on PATH', () => {
  const setup = useWorkspaceAndModelApi({ api: { script: { steps: 1 } } });

  it('installs the pinned version with npm into its tool folder, says so, and runs it', async () => {
    const pathWithoutProjectBins = (process.env.PATH ?? '').split(':').filter((dir) => dir !== BIN && !dir.endsWith('node_modules/.bin')).join(':');
    const result = await runAction(
      setup.ws,
      { agent: 'opencode', prompt: 'Do the task.', anthropic_api_key: 'sk-test', model: 'claude-test' },
      {
        env: {
          ...agentTestEnv(setup.ws, setup.api.url),
          PATH: pathWithoutProjectBins,
          // npm ci already put the pinned package in npm's cache; the install must not need the network.
          npm_config_prefer_offline: 'true',
          npm_config_offline: 'false',
          // The tests give each run its own HOME; npm must still find this machine's settings and cache.
          npm_config_userconfig: path.join(os.homedir(), '.npmrc'),
          npm_config_cache: path.join(os.homedir(), '.npm'),
        },
      },
    );
    const tool = path.join(setup.ws.runnerTemp, 'durable-agent', 'tools', 'opencode-1.18.33', 'node_modules', '.bin', 'opencode');
    expect(result.stdout).toContain('opencode is not on PATH: installing opencode-ai@1.18.33 with npm');
    expect(result.stdout).toContain(`Agent: OpenCode (${tool}, from installed)`);
    expect(existsSync(tool)).toBe(true);
    expect(result.outputs.conclusion, result.stdout.slice(-3000)).toBe('success');
    expect(await setup.ws.marks()).toEqual(['step-1']);
  });
});
