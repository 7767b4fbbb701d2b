import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentTestEnv, BIN, CLAUDE, hostEnvironment, REPO_ROOT } from '../support/run-action.js';
import { useWorkspaceAndModelApi } from '../support/workspace-and-model-api.js';

// `npm run local-action` is how a contributor runs the action from src/ on a laptop: GitHub's
// @github/local-action imports src/main.ts, calls its run(), then the post step's.
describe('npm run local-action', () => {
  const setup = useWorkspaceAndModelApi();

  it('runs main and post from src/ with the inputs of a .env file', async () => {
    await setup.startApi({ script: { steps: 2 }, faults: [{ kind: 'http500', at: { step: 2 }, count: 1 }] });
    const dotenv = path.join(setup.ws.root, 'local.env');
    const settings: Record<string, string> = {
      INPUT_AGENT: 'claude',
      INPUT_PROMPT: 'Work through the task step by step.',
      INPUT_ANTHROPIC_API_KEY: 'sk-test',
      INPUT_PATH_TO_CLAUDE_CODE_EXECUTABLE: CLAUDE,
      INPUT_CLAUDE_ARGS: '--allowedTools Bash --max-turns 10',
      INPUT_CHECKPOINT_STORE: 'local',
      INPUT_CHECKPOINT_DIR: path.join(setup.ws.root, 'checkpoints'),
      GITHUB_WORKSPACE: setup.ws.repo,
      RUNNER_TEMP: setup.ws.runnerTemp,
      GITHUB_REPOSITORY: 'octo/demo',
      GITHUB_JOB: 'agent',
      GITHUB_RUN_ID: '1',
      GITHUB_RUN_ATTEMPT: '1',
    };
    writeFileSync(dotenv, Object.entries(settings).map(([name, value]) => `${name}=${JSON.stringify(value)}`).join('\n'));

    const child = spawn(path.join(BIN, 'local-action'), [REPO_ROOT, 'src/main.ts', dotenv, '--post', 'src/post.ts'], {
      cwd: REPO_ROOT,
      env: { ...hostEnvironment(), ...agentTestEnv(setup.ws, setup.api.url) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    // local-action runs tsx in a child of its own: a stuck run is ended as a whole process group.
    const timer = setTimeout(() => process.kill(-(child.pid ?? 0), 'SIGKILL'), 90_000);
    const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);

    expect(exitCode, stdout.slice(-4000)).toBe(0);
    expect(stdout).toContain('::set-output name=conclusion::success');
    expect(stdout).toMatch(/API proxy: POST \/v1\/messages recovered after 1 retry/);
    expect(stdout).toContain('Running Post Step');
    expect(await setup.ws.marks()).toEqual(['step-1', 'step-2']);
  });
});
