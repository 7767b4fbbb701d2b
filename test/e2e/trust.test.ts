// Trust boundaries with the real Claude Code: what restored state and the agent's environment
// can and cannot do.
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startModelApi, type ModelApi } from '../support/model-api.js';
import { freshRunner, makeOrigin } from '../support/rerun.js';
import { agentTestEnv, CLAUDE, runAction } from '../support/run-action.js';
import { createWorkspace, type Workspace } from '../support/workspace.js';

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
  let ws: Workspace;
  let api: ModelApi | undefined;
  beforeEach(async () => {
    ws = await createWorkspace();
  });
  afterEach(async () => {
    await api?.close();
    api = undefined;
    await ws.dispose();
  });

  it('a hook the agent wrote in attempt 1 does not run after a re-run restores its checkpoint', async () => {
    const origin = await makeOrigin(ws);
    const ran = (where: string): string => path.join(ws.root, `hook-ran-${where}`);
    const hooks = (where: string): string => JSON.stringify({ hooks: { SessionStart: [{ hooks: [{ type: 'command', command: `touch ${ran(where)}` }] }] } });
    // The scripted step's command appends to its mark file: the agent also plants a SessionStart
    // hook in its own config folder and in the work tree's .claude/.
    const plant = `mkdir -p .claude && printf %s '${hooks('work-tree')}' > .claude/settings.json && printf %s '${hooks('config')}' > "$CLAUDE_CONFIG_DIR/settings.json"`;
    api = await startModelApi({ script: { steps: 2, markFile: `progress.txt; ${plant}` } });
    const inputs = { ...CLAUDE_INPUTS, prompt: 'Do the task.' };
    const first = await runAction(ws, inputs, { env: agentTestEnv(ws, api.url), runnerTemp: await freshRunner(ws, origin, 1) });
    expect(first.outputs.conclusion, first.stdout.slice(-3000)).toBe('success');
    expect(existsSync(path.join(ws.repo, '.claude', 'settings.json'))).toBe(true);

    // The control first: allowed, the restored work-tree hook does run, so its absence below means
    // something. The hook in the agent's config folder never comes back: it was never saved.
    const allowed = await runAction(ws, { ...inputs, restore_agent_config: 'true' }, { env: agentTestEnv(ws, api.url), runAttempt: 2, runnerTemp: await freshRunner(ws, origin, 2) });
    expect(allowed.outputs.resumed, allowed.stdout.slice(-3000)).toBe('true');
    expect(existsSync(ran('work-tree'))).toBe(true);
    expect(existsSync(ran('config'))).toBe(false);
    rmSync(ran('work-tree'));

    const held = await runAction(ws, inputs, { env: agentTestEnv(ws, api.url), runAttempt: 3, runnerTemp: await freshRunner(ws, origin, 3) });
    expect(held.outputs.resumed, held.stdout.slice(-3000)).toBe('true');
    expect(held.stdout).toMatch(/Held back agent configuration .*: work tree: \.claude\/settings\.json/);
    expect(existsSync(path.join(ws.repo, '.claude', 'settings.json'))).toBe(false);
    expect(existsSync(ran('work-tree'))).toBe(false);
    expect(existsSync(ran('config'))).toBe(false);
    // The agent's own work came back.
    expect(await ws.marks()).toEqual(expect.arrayContaining(['step-1', 'step-2']));
  });

  it("the agent's Bash tool does not see the runner's command files; job secrets are redacted and never stored", async () => {
    const awsSecret = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';
    const seen = path.join(ws.root, 'seen-env.txt');
    api = await startModelApi({ script: { steps: 1, markFile: `progress.txt; env > ${seen}; echo "aws=$AWS_SECRET_ACCESS_KEY"; echo "$AWS_SECRET_ACCESS_KEY" > results.txt` } });
    const result = await runAction(
      ws,
      { ...CLAUDE_INPUTS, prompt: 'Do the task.', checkpoint_paths: 'results.txt\n*.{ckpt,pt}' },
      { env: { ...agentTestEnv(ws, api.url), AWS_SECRET_ACCESS_KEY: awsSecret } },
    );
    expect(result.outputs.conclusion, result.stdout.slice(-3000)).toBe('success');
    const env = readFileSync(seen, 'utf8');
    for (const name of ['GITHUB_ENV', 'GITHUB_PATH', 'GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY', 'ACTIONS_RUNTIME_TOKEN', 'INPUT_ANTHROPIC_API_KEY']) {
      expect(env).not.toMatch(new RegExp(`^${name}=`, 'm'));
    }
    // A job variable is the user's grant to the step: the agent may need it (Bedrock, its tools).
    expect(env).toContain(`AWS_SECRET_ACCESS_KEY=${awsSecret}`);
    // It is known as a secret all the same: masked, redacted in the execution file, never in a checkpoint.
    expect(result.stdout).toMatch(new RegExp(`^::add-mask::${awsSecret}$`, 'm'));
    const execution = readFileSync(result.outputs.execution_file ?? '', 'utf8');
    expect(execution).toContain('aws=***');
    expect(execution).not.toContain(awsSecret);
    expect(statSync(result.outputs.execution_file ?? '').mode & 0o777).toBe(0o600);
    expect(allBytes(path.join(ws.root, 'checkpoints')).includes(awsSecret)).toBe(false);
    // The brace pattern is read as a glob; matching nothing, it is named.
    expect(result.stdout).toMatch(/checkpoint_paths: '\*\.\{ckpt,pt\}' matched nothing/);
  });
});
