// Trust boundaries with the real Claude Code: what restored state and the agent's environment
// can and cannot do.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshRunner, makeOrigin } from '../support/rerun.js';
import { agentTestEnv, CLAUDE, runAction } from '../support/run-action.js';
import { GIT_IDENTITY } from '../support/workspace.js';
import { useWorkspaceAndModelApi } from '../support/workspace-and-model-api.js';

const CLAUDE_INPUTS = { agent: 'claude', path_to_claude_code_executable: CLAUDE, claude_args: '--allowedTools Bash', anthropic_api_key: 'sk-test-trust-key', checkpoint_min_gap: '0s' };

/** Every byte under a folder, to look for a value in what a store holds. */
function allBytes(dir: string): Buffer {
  const parts: Buffer[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    parts.push(statSync(full).isDirectory() ? allBytes(full) : readFileSync(full));
  }
  return Buffer.concat(parts);
}

describe('trust boundaries (real Claude Code)', () => {
  const setup = useWorkspaceAndModelApi();

  it('a hook the agent wrote in attempt 1 does not run after a re-run restores its checkpoint', async () => {
    const origin = await makeOrigin(setup.ws);
    const ran = (where: string): string => path.join(setup.ws.root, `hook-ran-${where}`);
    const hooks = (where: string): string => JSON.stringify({ hooks: { SessionStart: [{ hooks: [{ type: 'command', command: `touch ${ran(where)}` }] }] } });
    // The scripted step's command appends to its mark file: the agent also plants a SessionStart
    // hook in its own config folder and in the work tree's .claude/.
    const plant = `mkdir -p .claude && printf %s '${hooks('work-tree')}' > .claude/settings.json && printf %s '${hooks('config')}' > "$CLAUDE_CONFIG_DIR/settings.json"`;
    await setup.startApi({ script: { steps: 2, markFile: `progress.txt; ${plant}` } });
    const inputs = { ...CLAUDE_INPUTS, prompt: 'Do the task.' };
    const first = await runAction(setup.ws, inputs, { env: agentTestEnv(setup.ws, setup.api.url), runnerTemp: await freshRunner(setup.ws, origin, 1) });
    expect(first.outputs.conclusion, first.stdout.slice(-3000)).toBe('success');
    expect(existsSync(path.join(setup.ws.repo, '.claude', 'settings.json'))).toBe(true);

    // The control first: allowed, the restored work-tree hook does run, so its absence below means
    // something. The hook in the agent's config folder never comes back: it was never saved.
    const allowed = await runAction(setup.ws, { ...inputs, restore_agent_config: 'true' }, { env: agentTestEnv(setup.ws, setup.api.url), runAttempt: 2, runnerTemp: await freshRunner(setup.ws, origin, 2) });
    expect(allowed.outputs.resumed, allowed.stdout.slice(-3000)).toBe('true');
    expect(existsSync(ran('work-tree'))).toBe(true);
    expect(existsSync(ran('config'))).toBe(false);
    rmSync(ran('work-tree'));

    const held = await runAction(setup.ws, inputs, { env: agentTestEnv(setup.ws, setup.api.url), runAttempt: 3, runnerTemp: await freshRunner(setup.ws, origin, 3) });
    expect(held.outputs.resumed, held.stdout.slice(-3000)).toBe('true');
    expect(held.stdout).toMatch(/Held back agent configuration .*: work tree: \.claude\/settings\.json/);
    expect(existsSync(path.join(setup.ws.repo, '.claude', 'settings.json'))).toBe(false);
    expect(existsSync(ran('work-tree'))).toBe(false);
    expect(existsSync(ran('config'))).toBe(false);
    // The agent's own work came back.
    expect(await setup.ws.marks()).toEqual(expect.arrayContaining(['step-1', 'step-2']));
  });

  it("the agent's Bash tool does not see the runner's command files; job secrets are redacted and never stored", async () => {
    const awsSecret = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';
    const seen = path.join(setup.ws.root, 'seen-env.txt');
    const exposed = path.join(setup.ws.root, 'exposed-environ.txt');
    // Also what the agent can read in its ancestors' /proc/<pid>/environ (same user).
    const runnerToken = `runner-token-${process.pid}-${Date.now()}`;
    const readEnviron = `grep -lae 'INPUT_ANTHROPIC_API_KEY=sk-test-trust-key' -e '${runnerToken}' /proc/[0-9]*/environ > ${exposed} 2>/dev/null; true`;
    await setup.startApi({ script: { steps: 1, markFile: `progress.txt; env > ${seen}; echo "aws=$AWS_SECRET_ACCESS_KEY"; echo "$AWS_SECRET_ACCESS_KEY" > results.txt; ${readEnviron}` } });
    const result = await runAction(
      setup.ws,
      { ...CLAUDE_INPUTS, prompt: 'Do the task.', checkpoint_paths: 'results.txt\n*.{ckpt,pt}' },
      { env: { ...agentTestEnv(setup.ws, setup.api.url), AWS_SECRET_ACCESS_KEY: awsSecret, ACTIONS_RUNTIME_TOKEN: runnerToken } },
    );
    expect(result.outputs.conclusion, result.stdout.slice(-3000)).toBe('success');
    const env = readFileSync(seen, 'utf8');
    for (const name of ['GITHUB_ENV', 'GITHUB_PATH', 'GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY', 'ACTIONS_RUNTIME_TOKEN', 'INPUT_ANTHROPIC_API_KEY']) {
      expect(env).not.toMatch(new RegExp(`^${name}=`, 'm'));
    }
    expect(readFileSync(exposed, 'utf8')).toBe('');
    // A job variable is the user's grant to the step: the agent may need it (Bedrock, its tools).
    expect(env).toContain(`AWS_SECRET_ACCESS_KEY=${awsSecret}`);
    // It is known as a secret all the same: masked, redacted in the execution file, never in a checkpoint.
    expect(result.stdout).toMatch(new RegExp(`^::add-mask::${awsSecret}$`, 'm'));
    const execution = readFileSync(result.outputs.execution_file ?? '', 'utf8');
    expect(execution).toContain('aws=***');
    expect(execution).not.toContain(awsSecret);
    expect(statSync(result.outputs.execution_file ?? '').mode & 0o777).toBe(0o600);
    expect(allBytes(path.join(setup.ws.root, 'checkpoints')).includes(awsSecret)).toBe(false);
    // The brace pattern is read as a glob; matching nothing, it is named.
    expect(result.stdout).toMatch(/checkpoint_paths: '\*\.\{ckpt,pt\}' matched nothing/);
  });

  it('resume_from: branch gives the new prompt, never rewinds the checkout, and keeps a fork PR apart', async () => {
    const origin = await makeOrigin(setup.ws);
    const git = async (cwd: string, ...args: string[]): Promise<string> =>
      (await promisify(execFile)('git', args, { cwd, env: { ...process.env, ...GIT_IDENTITY } })).stdout.trim();
    await setup.startApi({ script: { steps: 1 } });
    const inputs = { ...CLAUDE_INPUTS, resume_from: 'branch', prompt: 'FIRST-TASK: do the task.' };
    const push = (runId: string): Record<string, string> => ({ ...agentTestEnv(setup.ws, setup.api.url), GITHUB_EVENT_NAME: 'push', GITHUB_REF_NAME: 'main', GITHUB_RUN_ID: runId });
    const first = await runAction(setup.ws, inputs, { env: push('2001'), runnerTemp: await freshRunner(setup.ws, origin, 1) });
    expect(first.outputs.conclusion, first.stdout.slice(-3000)).toBe('success');

    // Someone pushes to the branch; the next run's full clone has a commit the checkpoint lacks.
    const other = path.join(setup.ws.root, 'other-clone');
    await git(setup.ws.root, 'clone', '-q', origin, other);
    writeFileSync(path.join(other, 'pushed.txt'), 'pushed since\n');
    await git(other, 'add', 'pushed.txt');
    await git(other, 'commit', '-q', '-m', 'pushed since');
    await git(other, 'push', '-q', 'origin', 'HEAD:main');
    const pushed = await git(other, 'rev-parse', 'HEAD');
    const second = await runAction(setup.ws, inputs, { env: push('2002'), runnerTemp: await freshRunner(setup.ws, origin, 2) });
    expect(second.outputs.conclusion, second.stdout.slice(-3000)).toBe('success');
    expect(second.stdout).toMatch(/refused checkpoint .*the branch moved on since it was taken/);
    expect(second.outputs.resumed).toBe('false');
    expect(await git(setup.ws.repo, 'merge-base', '--is-ancestor', pushed, 'HEAD').then(() => true)).toBe(true);
    expect(existsSync(path.join(setup.ws.repo, 'pushed.txt'))).toBe(true);

    // A pull request from a fork whose branch is also named main: its own lineage, nothing to restore.
    const event = path.join(setup.ws.root, 'event.json');
    writeFileSync(event, JSON.stringify({ pull_request: { number: 9, head: { repo: { full_name: 'mallory/demo' } } } }));
    const fork = await runAction(setup.ws, inputs, {
      env: { ...push('2003'), GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: event, GITHUB_HEAD_REF: 'main', GITHUB_REF_NAME: '9/merge' },
      runnerTemp: await freshRunner(setup.ws, origin, 3),
    });
    expect(fork.stdout).toContain('run branch:pull_request:mallory/demo#9:main');
    expect(fork.stdout).toContain('No checkpoint to restore for this lineage');

    // The next push run continues the branch's session (the second run's), with its own task.
    const before = setup.api.requests.length;
    const next = await runAction(setup.ws, { ...inputs, prompt: 'SECOND-TASK: do more.' }, { env: push('2004'), runnerTemp: await freshRunner(setup.ws, origin, 4) });
    expect(next.outputs.resumed, next.stdout.slice(-3000)).toBe('true');
    const asked = setup.api.requests.slice(before).filter((request) => request.kind === 'conversation');
    expect(asked.length).toBeGreaterThan(0);
    const lastUser = JSON.stringify(asked[0]?.body);
    expect(lastUser).toContain('SECOND-TASK: do more.');
    expect(lastUser).toContain('this is a new run on this branch');
    expect(lastUser).toContain('FIRST-TASK');
  });
});

