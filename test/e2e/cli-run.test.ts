import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { FLAG_INPUTS, flagName } from '../../src/cli/run-command.js';
import { agentTestEnv, REPO_ROOT } from '../support/run-action.js';
import { useWorkspaceAndModelApi } from '../support/workspace-and-model-api.js';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

interface CliResult { code: number; stdout: string; stderr: string }

async function cli(args: string[], options: { cwd: string; env: Record<string, string> }): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], options);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('durable-agent run (CLI)', () => {
  const setup = useWorkspaceAndModelApi();

  it.each(['claude', 'opencode'])('runs %s through the same pipeline', async (agent) => {
    await setup.startApi({ script: { steps: 3 } });
    const extra = agent === 'claude' ? ['--', '--allowedTools', 'Bash'] : ['--model', 'claude-test'];
    const result = await cli(['run', '--agent', agent, '--prompt', 'Do the task.', '--home', path.join(setup.ws.root, 'home'), ...extra], {
      cwd: setup.ws.repo,
      env: { ...agentTestEnv(setup.ws, setup.api.url), ANTHROPIC_API_KEY: 'sk-cli-test' },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(await setup.ws.marks()).toEqual(['step-1', 'step-2', 'step-3']);
    expect(result.stdout).toMatch(/^conclusion=success$/m);
    expect(result.stdout).toMatch(/^session_id=\S+$/m);
    expect(result.stderr).toMatch(/▶ bash: echo step-3 >> progress.txt/i);
  });

  it('refuses a bad flag value with one line naming it, exit 2', async () => {
    const result = await cli(['run', '--agent', 'gpt', '--prompt', 'x'], { cwd: setup.ws.repo, env: { PATH: process.env.PATH ?? '' } });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe("durable-agent: agent: 'gpt' is not one of claude, opencode");
  });

  it('lists every flag in --help', async () => {
    const result = await cli(['run', '--help'], { cwd: setup.ws.repo, env: { PATH: process.env.PATH ?? '' } });
    expect(result.code).toBe(0);
    for (const input of FLAG_INPUTS) expect(result.stdout).toContain(`--${flagName(input)}`);
  });
});
