import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useActionsStoresJob } from '../support/actions-stores-job.js';
import { isAlive } from '../support/processes.js';
import { CLAUDE, hostEnvironment, parseCommandFile, runAction } from '../support/run-action.js';
import { splitShellWords } from '../../src/settings/shell-words.js';

// The guard's daemon gets the runner's Actions credentials through its environment only, and
// saves through the real @actions/cache and @actions/artifact clients (against the emulator).
describe('guard mode through the Actions cache and artifacts', () => {
  const setup = useActionsStoresJob({ api: { script: { steps: 4 }, faults: [{ kind: 'stall', at: { step: 3 }, count: 1 }] } });

  const inputs = { agent: 'claude', checkpoint_store: 'both', checkpoint_interval: '1h', checkpoint_min_gap: '0s' };

  async function job(attempt: number, resume: boolean): Promise<{ code: number | null; post: string; resumed: string }> {
    const { ws, api } = setup;
    const runnerTemp = await setup.freshRunner(attempt);
    const home = path.join(ws.root, `home-${attempt}`);
    mkdirSync(home, { recursive: true });
    const env = { HOME: home, ANTHROPIC_BASE_URL: api.url, ...setup.actionsEnv(attempt) };
    const main = await runAction(ws, inputs, { entry: 'guard-main', runAttempt: attempt, runnerTemp, env });
    expect(main.exitCode, main.stdout).toBe(0);
    const daemon = Number(main.state.guard_daemon_pid);
    const exported = parseCommandFile(readFileSync(path.join(ws.root, 'github-env'), 'utf8'));
    const args = ['-p', resume ? 'Continue the task.' : 'Work through the task step by step.', ...splitShellWords(main.outputs.claude_args ?? ''), '--output-format', 'stream-json', '--verbose', '--allowedTools', 'Bash'];
    const agent = spawn(CLAUDE, args, { cwd: ws.repo, env: { ...hostEnvironment(), HOME: home, ...exported, ANTHROPIC_API_KEY: 'sk-test', CLAUDE_CODE_MAX_RETRIES: '0' }, stdio: ['ignore', 'ignore', 'ignore'] });
    const ended = new Promise<number | null>((resolve) => agent.on('close', resolve));
    let code: number | null;
    if (resume) {
      code = await ended;
    } else {
      // The job is cancelled while the agent waits on step 3.
      for (let tries = 0; !api.requests.some((request) => request.step === 3); tries++) {
        if (tries > 900) throw new Error('step 3 never came');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      agent.kill('SIGINT');
      code = await ended;
    }
    const post = await runAction(ws, { ...inputs, job_status: resume ? 'success' : 'cancelled' }, { entry: 'guard-post', runAttempt: attempt, runnerTemp, env });
    expect(isAlive(daemon)).toBe(false);
    return { code, post: post.stdout, resumed: main.outputs.resumed ?? '' };
  }

  it('saves the final checkpoint to the cache and an artifact, and a re-run resumes from there', async () => {
    const { ws, api, actions } = setup;
    const first = await job(1, false);
    expect(first.resumed).toBe('false');
    expect(first.post).toMatch(/Checkpoint \d+ saved \(guard post: end of the agent steps\).*cache/);
    expect(actions.cacheEntries.length).toBeGreaterThan(0);
    expect(actions.artifacts.length).toBe(1);
    expect(await ws.marks()).toEqual(['step-1', 'step-2']);

    api.setFaults([]);
    const second = await job(2, true);
    expect(second.resumed).toBe('true');
    expect(second.code).toBe(0);
    expect(await ws.marks()).toEqual(['step-1', 'step-2', 'step-3', 'step-4']);
  });
});
