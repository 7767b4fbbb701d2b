import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { splitShellWords } from '../../src/settings/shell-words.js';
import { startModelApi } from '../support/model-api.js';
import { writeOpenCodeConfig } from '../support/opencode-config.js';
import { descendants, exitedWithin, isAlive } from '../support/processes.js';
import { freshRunner, makeOrigin } from '../support/rerun.js';
import { CLAUDE, hostEnvironment, OPENCODE, parseCommandFile, runAction, type ActionResult } from '../support/run-action.js';
import { createWorkspace, type Workspace } from '../support/workspace.js';
import { useWorkspaceAndModelApi } from '../support/workspace-and-model-api.js';

// Guard mode as a job uses it: the guard's main step, then the user's own step starting the real
// CLI with the environment the guard exported, then the guard's post step.

const STEPS = 6;
const ALL_STEPS = Array.from({ length: STEPS }, (_, i) => `step-${i + 1}`);

const statusSchema = z.object({
  pid: z.number(),
  checkpointMode: z.string(),
  checkpoints: z.array(z.object({ kind: z.string(), at: z.string(), sequence: z.number(), consistency: z.string().optional() })),
});

interface AgentStep {
  readonly child: ChildProcess;
  readonly done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** How a later step of the job starts each agent: its own command line, the job's environment. */
const AGENTS = [
  {
    agent: 'claude',
    start: (ws: Workspace, env: Record<string, string>, resumeArgs: string): AgentStep =>
      startCli(CLAUDE, ['-p', resumeArgs ? 'Continue the task.' : 'Work through the task step by step.', ...splitShellWords(resumeArgs), '--output-format', 'stream-json', '--verbose', '--allowedTools', 'Bash'], ws, env),
  },
  {
    agent: 'opencode',
    start: (ws: Workspace, env: Record<string, string>, resumeArgs: string): AgentStep =>
      startCli(OPENCODE, ['run', '--format', 'json', ...(resumeArgs ? splitShellWords(resumeArgs) : ['--title', 'guarded']), resumeArgs ? 'Continue the task.' : 'Work through the task step by step.'], ws, env),
  },
] as const;

function startCli(executable: string, args: string[], ws: Workspace, env: Record<string, string>): AgentStep {
  // No stdin: an open pipe hangs `opencode run`.
  const child = spawn(executable, args, { cwd: ws.repo, env: { ...env, PWD: ws.repo }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

function writeJson(file: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(value));
}

function killTree(pid: number): void {
  for (const each of [pid, ...descendants(pid)]) {
    try {
      process.kill(each, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 90_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.each(AGENTS)('guard mode in front of $agent', ({ agent, start }) => {
  const setup = useWorkspaceAndModelApi();
  let origin: string;
  const started: number[] = [];
  beforeEach(async () => {
    origin = await makeOrigin(setup.ws);
  });
  // Registered after the set-up's hooks, so the daemons stop before the API and the workspace go.
  afterEach(() => {
    for (const pid of started.splice(0)) killTree(pid);
  });

  const guardInputs = { agent, checkpoint_interval: '1s', checkpoint_min_gap: '0s', api_max_delay: '1s', api_retry_attempts: '5' };

  /** One job attempt's guard main: a fresh HOME, the job's env file read back. */
  async function guardMain(attempt: number, runnerTemp: string): Promise<{ result: ActionResult; home: string; jobEnv: Record<string, string> }> {
    const home = path.join(setup.ws.root, `home-${attempt}`);
    mkdirSync(home, { recursive: true });
    const result = await runAction(setup.ws, guardInputs, { entry: 'guard-main', runAttempt: attempt, runnerTemp, env: { HOME: home, ANTHROPIC_BASE_URL: setup.api.url } });
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    const pid = Number(result.state.guard_daemon_pid);
    started.push(pid);
    const exported = parseCommandFile(readFileSync(path.join(setup.ws.root, 'github-env'), 'utf8'));
    const jobEnv: Record<string, string> = { ...hostEnvironment(), HOME: home, ...exported, ANTHROPIC_API_KEY: 'sk-test', CLAUDE_CODE_MAX_RETRIES: '0', npm_config_offline: 'true' };
    if (agent === 'opencode') {
      // A project's OpenCode config whose Anthropic provider takes its base URL from the job.
      jobEnv.OPENCODE_CONFIG = await writeOpenCodeConfig(path.join(setup.ws.root, 'opencode-config'), 'http://unused', '{env:ANTHROPIC_API_KEY}');
      const config = JSON.parse(readFileSync(jobEnv.OPENCODE_CONFIG, 'utf8')) as { provider: { local: { options: Record<string, unknown> } } };
      config.provider.local.options.baseURL = '{env:ANTHROPIC_BASE_URL}';
      writeFileSync(jobEnv.OPENCODE_CONFIG, JSON.stringify(config));
      Object.assign(jobEnv, { OPENCODE_DISABLE_AUTOUPDATE: '1', OPENCODE_DISABLE_MODELS_FETCH: '1' });
    }
    return { result, home, jobEnv };
  }

  it('absorbs a 500 burst, survives losing the runner, and resumes the session on a re-run', async () => {
    await setup.startApi({
      script: { steps: STEPS },
      faults: [
        { kind: 'http500', at: { step: 2 }, count: 3 },
        { kind: 'stall', at: { step: 5 }, count: 1 },
      ],
    });
    // Attempt 1: guard, then the agent; the runner is lost while the agent waits on step 5.
    const runner1 = await freshRunner(setup.ws, origin, 1);
    const first = await guardMain(1, runner1);
    expect(first.result.outputs.resumed).toBe('false');
    expect(first.result.outputs.proxy_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const baseUrl = first.jobEnv.ANTHROPIC_BASE_URL ?? '';
    expect(baseUrl).toBe(agent === 'claude' ? first.result.outputs.proxy_url : `${first.result.outputs.proxy_url ?? ''}/v1`);
    const daemon = Number(first.result.state.guard_daemon_pid);

    // The job's own Claude Code settings (claude-code-action writes them): never part of a checkpoint.
    const settingsOf = (home: string): string => path.join(home, '.claude', 'settings.json');
    if (agent === 'claude') writeJson(settingsOf(first.home), { fromAttempt: 1 });
    const step = start(setup.ws, first.jobEnv, '');
    if (step.child.pid) started.push(step.child.pid);
    await until('the request of step 5', () => setup.api.requests.some((request) => request.step === 5 && request.fault === 'stall'));
    // The runner is lost the moment step 5's request has left the proxy: no waiting for a
    // checkpoint, since the turn gate took one before it let that request go.
    killTree(step.child.pid ?? 0);
    killTree(daemon);
    expect(await exitedWithin(daemon, 10_000)).toBe(true);
    expect(await setup.ws.marks()).toEqual(ALL_STEPS.slice(0, 4));
    // The 500s of step 2 never reached the agent: the daemon's proxy retried them.
    expect(setup.api.requests.filter((request) => request.step === 2 && request.status === 500)).toHaveLength(3);
    const statusFile = path.join(runner1, 'durable-agent-guard', 'status.json');
    const status1 = statusSchema.parse(JSON.parse(readFileSync(statusFile, 'utf8')));
    expect(status1.checkpointMode).toBe('turn-boundary');
    expect(first.result.stdout).toMatch(/Checkpoints are taken at turn boundaries/);

    // Attempt 2: a fresh clone, a fresh HOME; the guard restores and the agent resumes its session.
    setup.api.setFaults([]);
    const runner2 = await freshRunner(setup.ws, origin, 2);
    if (agent === 'claude') writeJson(settingsOf(path.join(setup.ws.root, 'home-2')), { fromAttempt: 2 });
    const second = await guardMain(2, runner2);
    if (agent === 'claude') expect(JSON.parse(readFileSync(settingsOf(second.home), 'utf8'))).toEqual({ fromAttempt: 2 });
    expect(second.result.outputs.resumed, second.result.stdout).toBe('true');
    expect(second.result.outputs.session_id).toMatch(/\S{8,}/);
    const resumeArgs = agent === 'claude' ? second.result.outputs.claude_args : second.result.outputs.opencode_args;
    expect(resumeArgs).toBe(`${agent === 'claude' ? '--resume' : '--session'} ${second.result.outputs.session_id ?? ''}`);
    const before = setup.api.requests.length;
    const resumed = start(setup.ws, second.jobEnv, resumeArgs ?? '');
    if (resumed.child.pid) started.push(resumed.child.pid);
    const ended = await resumed.done;
    expect(ended.code, `${ended.stdout.slice(-3000)}\n${ended.stderr}`).toBe(0);
    expect(setup.api.requests.slice(before).find((request) => request.kind === 'conversation')?.step).toBe(5);
    // Every step's mark once: nothing redone, nothing skipped.
    expect(await setup.ws.marks()).toEqual(ALL_STEPS);

    // The post step: a final checkpoint, and no daemon left.
    const daemon2 = Number(second.result.state.guard_daemon_pid);
    const post = await runAction(setup.ws, { ...guardInputs, job_status: 'success' }, { entry: 'guard-post', runAttempt: 2, runnerTemp: runner2, env: { HOME: second.home } });
    expect(post.exitCode).toBe(0);
    expect(post.stdout).toMatch(/Checkpoint \d+ saved \(guard post/);
    expect(isAlive(daemon2)).toBe(false);
    const jobSummary = readFileSync(path.join(setup.ws.root, 'github-step-summary'), 'utf8');
    expect(jobSummary).toMatch(/API retry proxy: \d+ model requests/);
    expect(jobSummary).toMatch(/Checkpoints: \*\*at turn boundaries\*\* through the API proxy/);
    // The final checkpoint after the agent ended on its own is a turn boundary.
    expect(jobSummary).toMatch(/\| turn-boundary \|\s*$/);
  });

  // Once is enough to prove it: OpenCode's start-up alone takes most of a run's time.
  it.runIf(agent === 'claude')('takes a final checkpoint in post after the agent step was cancelled, marks nothing transient, and leaves no daemon', async () => {
    await setup.startApi({ script: { steps: 3 }, faults: [{ kind: 'stall', at: { step: 2 }, count: 1 }] });
    const runner = await freshRunner(setup.ws, origin, 1);
    const job = await guardMain(1, runner);
    const daemon = Number(job.result.state.guard_daemon_pid);
    const step = start(setup.ws, job.jobEnv, '');
    await until('the request of step 2', () => setup.api.requests.some((request) => request.step === 2));
    // The runner cancels the agent's step.
    step.child.kill('SIGINT');
    await step.done;
    const post = await runAction(setup.ws, { ...guardInputs, job_status: 'cancelled' }, { entry: 'guard-post', runnerTemp: runner, env: { HOME: job.home } });
    expect(post.exitCode).toBe(0);
    expect(post.stdout).toMatch(/Checkpoint \d+ saved \(guard post: end of the agent steps\)/);
    expect(post.stdout).not.toMatch(/durable-agent:transient/);
    expect(isAlive(daemon)).toBe(false);
    expect(await setup.ws.marks()).toEqual(['step-1']);
  });
});

describe('guard mode when the agent step fails on the model API', () => {
  it('marks the job for the watchdog as transient', async () => {
    const ws = await createWorkspace();
    const api = await startModelApi({ script: { steps: 2 }, faults: [{ kind: 'http500', at: { step: 1 }, count: 100 }] });
    let daemon = 0;
    try {
      const home = path.join(ws.root, 'home');
      // No outage hold: the failures reach the agent, as after a hold that ran out.
      const main = await runAction(ws, { agent: 'claude', api_max_delay: '0s', api_retry_attempts: '2', api_retry_time: '0' }, { entry: 'guard-main', env: { HOME: home, ANTHROPIC_BASE_URL: api.url } });
      daemon = Number(main.state.guard_daemon_pid);
      const exported = parseCommandFile(readFileSync(path.join(ws.root, 'github-env'), 'utf8'));
      const env = { ...hostEnvironment(), HOME: home, ...exported, ANTHROPIC_API_KEY: 'sk-test', CLAUDE_CODE_MAX_RETRIES: '0' };
      const step = await AGENTS[0].start(ws, env, '').done;
      expect(step.code).toBe(1);
      const post = await runAction(ws, { agent: 'claude', job_status: 'failure' }, { entry: 'guard-post', env: { HOME: home } });
      expect(post.stdout).toMatch(/^::error::The agent step failed on the model API \(server_error\) \[durable-agent:transient:server_error\]$/m);
      expect(isAlive(daemon)).toBe(false);
    } finally {
      if (daemon) killTree(daemon);
      await api.close();
      await ws.dispose();
    }
  });
});

describe('guard mode through an outage', () => {
  it('holds the agent step\'s request until the API answers again, and the summary says so', async () => {
    const ws = await createWorkspace();
    // More failures than the daemon's two tries and Claude Code's single try (CLAUDE_CODE_MAX_RETRIES=0) survive.
    const api = await startModelApi({ script: { steps: 2 }, faults: [{ kind: 'http500', at: { step: 1 }, count: 8, retryAfterSeconds: 0 }] });
    let daemon = 0;
    try {
      const home = path.join(ws.root, 'home');
      const main = await runAction(ws, { agent: 'claude', api_max_delay: '0s', api_retry_attempts: '2' }, { entry: 'guard-main', env: { HOME: home, ANTHROPIC_BASE_URL: api.url, DURABLE_AGENT_HOLD_PING_MS: '200' } });
      expect(main.exitCode, main.stdout + main.stderr).toBe(0);
      daemon = Number(main.state.guard_daemon_pid);
      const exported = parseCommandFile(readFileSync(path.join(ws.root, 'github-env'), 'utf8'));
      expect(Number(exported.API_TIMEOUT_MS)).toBeGreaterThan(30 * 60_000);
      const env = { ...hostEnvironment(), HOME: home, ...exported, ANTHROPIC_API_KEY: 'sk-test', CLAUDE_CODE_MAX_RETRIES: '0' };
      const step = await AGENTS[0].start(ws, env, '').done;
      expect(step.code).toBe(0);
      expect(await ws.marks()).toEqual(['step-1', 'step-2']);
      await runAction(ws, { agent: 'claude', job_status: 'success' }, { entry: 'guard-post', env: { HOME: home } });
      const summary = readFileSync(path.join(ws.root, 'github-step-summary'), 'utf8');
      expect(summary).toMatch(/Requests held through an outage: 1/);
      expect(summary).toMatch(/\| 200 \|/);
    } finally {
      if (daemon) killTree(daemon);
      await api.close();
      await ws.dispose();
    }
  });
});
