/**
 * The watchdog against a local GitHub REST API: the real @actions/github client over real HTTP on
 * 127.0.0.1, with GitHub's payload shapes, token checks, and every request recorded.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { failureMarker } from '../../src/report/failure-marker.js';
import { resolveWatchedRun, WatchdogEventError } from '../../src/watchdog/event.js';
import { runWatchdog } from '../../src/watchdog/watchdog.js';
import type { WatchdogOptions } from '../../src/watchdog/watchdog.js';
import { startGitHubApi, step } from '../support/github-api.js';
import type { FakeAnnotation, FakeGitHubApi, FakeRun } from '../support/github-api.js';

const RUN_ID = 9_876_543_210;
const NOT_ACQUIRED = 'The job was not acquired by Runner of type hosted even after multiple attempts';
const INTERNAL = 'Internal server error. Correlation ID: 6b1e8f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
const LOST = 'The hosted runner: GitHub Actions 12 lost communication with the server. Anything in your workflow that terminates the runner process, starves it for CPU/Memory, or blocks its network access can cause this error.';
const EXIT_1 = 'Process completed with exit code 1.';

let api: FakeGitHubApi;
let tmp: string;

beforeAll(async () => {
  api = await startGitHubApi();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'durable-watchdog-'));
});

afterAll(async () => {
  await api.close();
  await rm(tmp, { recursive: true, force: true });
});

beforeEach(() => api.reset());

interface JobSpec {
  name: string;
  conclusion?: string;
  /** Failure-level annotation messages of the job's check run. */
  annotations?: Array<string | (Partial<FakeAnnotation> & { message: string })>;
  /** No step ran (the job never got a runner). */
  noSteps?: boolean;
}

/** A run of the watched workflow at one attempt with these jobs; job ids count up from 100. */
function scenario(jobs: JobSpec[], run: Partial<FakeRun> = {}): FakeRun {
  const added = api.addRun({ id: RUN_ID, ...run });
  api.setJobs(
    added.id,
    added.run_attempt,
    jobs.map((spec, index) => {
      const conclusion = spec.conclusion ?? 'failure';
      return {
        id: 100 + index,
        name: spec.name,
        conclusion,
        steps: spec.noSteps ? [] : [step(1, 'Set up job'), step(2, 'Run actions/checkout@v5'), step(3, 'Run durable-agent/durable-agent@v0', conclusion === 'success' ? 'success' : 'failure')],
      };
    }),
  );
  jobs.forEach((spec, index) => {
    api.setAnnotations(
      100 + index,
      (spec.annotations ?? []).map((note) => (typeof note === 'string' ? { message: note } : note)),
    );
  });
  return added;
}

function collect(): { info: string[]; warning: string[]; log: WatchdogOptions['log'] } {
  const info: string[] = [];
  const warning: string[] = [];
  return { info, warning, log: { info: (m) => info.push(m), warning: (m) => warning.push(m) } };
}

function options(overrides: Partial<WatchdogOptions> = {}): WatchdogOptions {
  return {
    token: api.token,
    apiUrl: api.url,
    repository: api.repository,
    runId: RUN_ID,
    maxRunAttempts: 3,
    rerunDelayMs: 60_000,
    rerunOn: [],
    log: collect().log,
    // The delay is asserted through the calls, never waited for.
    sleep: () => Promise.resolve(),
    ...overrides,
  };
}

const rerunPath = (): string => `/repos/${api.repository}/actions/runs/${RUN_ID}/rerun-failed-jobs`;
const reruns = () => api.requests.filter((r) => r.method === 'POST');

describe('runWatchdog re-runs', () => {
  it.each([
    ['a job no runner acquired', { name: 'agent', noSteps: true, annotations: [NOT_ACQUIRED] }],
    ["GitHub's internal server error", { name: 'agent', annotations: [INTERNAL] }],
    ['a runner that lost communication', { name: 'agent', annotations: [LOST, 'The operation was canceled.'] }],
    ["durable-agent's own transient marker", { name: 'agent', annotations: [`server_error: API Error: 500 {"type":"api_error"} ${failureMarker('transient', 'server_error')}`] }],
  ])('%s', async (_, job: JobSpec) => {
    scenario([job, { name: 'lint', conclusion: 'success' }]);
    const result = await runWatchdog(options());
    expect(result.decision).toBe('rerun');
    expect(result.jobs).toEqual([expect.objectContaining({ id: 100, name: 'agent', kind: 'transient' })]);
    expect(reruns()).toHaveLength(1);
    expect(api.getRun(RUN_ID)).toMatchObject({ run_attempt: 2, status: 'queued' });
  });

  it('sends the re-run request exactly once, to the right path, with the token, after reading run, jobs and annotations', async () => {
    scenario([{ name: 'agent', annotations: [LOST] }, { name: 'agent (2)', annotations: [INTERNAL] }], { run_attempt: 2 });
    const slept: number[] = [];
    const { info, warning, log } = collect();
    const result = await runWatchdog(options({ log, sleep: (ms) => (slept.push(ms), Promise.resolve()), rerunDelayMs: 45_000 }));

    expect(result.decision).toBe('rerun');
    expect(slept).toEqual([45_000]);
    const repo = `/repos/${api.repository}`;
    expect(api.requests.map((r) => `${r.method} ${r.pathname}`)).toEqual([
      `GET ${repo}/actions/runs/${RUN_ID}`,
      `GET ${repo}/actions/runs/${RUN_ID}/attempts/2/jobs`,
      `GET ${repo}/check-runs/100/annotations`,
      `GET ${repo}/check-runs/101/annotations`,
      `GET ${repo}/actions/runs/${RUN_ID}`,
      `POST ${rerunPath()}`,
    ]);
    expect(reruns()).toEqual([expect.objectContaining({ method: 'POST', pathname: rerunPath(), authorization: `token ${api.token}`, status: 201 })]);
    expect(api.requests.every((r) => r.authorization === `token ${api.token}`)).toBe(true);
    expect(info.some((m) => m.includes("Job 'agent' (100): transient — infrastructure: runner lost communication"))).toBe(true);
    expect(info.some((m) => m.startsWith('Decision: rerun'))).toBe(true);
    expect(info.some((m) => m.includes('attempt 3 of at most 3'))).toBe(true);
    expect(warning).toEqual([]);
  });

  it("re-runs on the user's rerun_on pattern", async () => {
    scenario([{ name: 'agent', annotations: [EXIT_1, 'error: CUDA driver reset (Xid 79)'] }]);
    expect((await runWatchdog(options({ rerunOn: [/Xid 79/] }))).decision).toBe('rerun');
    expect(reruns()).toHaveLength(1);
  });

  it('reads every page of jobs', async () => {
    const jobs: JobSpec[] = Array.from({ length: 105 }, (_, i) => ({ name: `shard ${i}`, conclusion: 'success' }));
    jobs[103] = { name: 'shard 103', annotations: [LOST] };
    scenario(jobs);
    const result = await runWatchdog(options());
    expect(result).toMatchObject({ decision: 'rerun', jobs: [{ id: 203, name: 'shard 103' }] });
    expect(api.requests.filter((r) => r.pathname.endsWith('/jobs')).map((r) => new URL(r.path, api.url).searchParams.get('page'))).toEqual(['1', '2']);
  });

  it('runs on the run a workflow_run event names, watched by file name', async () => {
    scenario([{ name: 'agent', annotations: [NOT_ACQUIRED] }]);
    const eventPath = path.join(tmp, 'event.json');
    await writeFile(
      eventPath,
      JSON.stringify({
        action: 'completed',
        workflow_run: { id: RUN_ID, name: 'Agent', path: '.github/workflows/agent.yml', status: 'completed', conclusion: 'failure', run_attempt: 1, event: 'push', head_branch: 'main' },
        workflow: { id: 161335, name: 'Agent', path: '.github/workflows/agent.yml', state: 'active' },
        repository: { id: 1, full_name: api.repository },
        sender: { login: 'octocat' },
      }),
    );
    const target = await resolveWatchedRun({ eventPath });
    expect(target).toMatchObject({ runId: RUN_ID, repository: api.repository, workflowName: 'Agent', workflowPath: '.github/workflows/agent.yml', conclusion: 'failure', runAttempt: 1 });
    const result = await runWatchdog(options({ runId: target.runId, repository: target.repository ?? '', watchedWorkflows: ['agent.yml'] }));
    expect(result.decision).toBe('rerun');
  });
});

describe('runWatchdog skips', () => {
  it('a fatal failure', async () => {
    scenario([{ name: 'agent', annotations: [`auth: invalid x-api-key ${failureMarker('fatal', 'auth')}`] }]);
    const { warning, log } = collect();
    const result = await runWatchdog(options({ log }));
    expect(result).toMatchObject({ decision: 'skip', jobs: [{ kind: 'fatal', why: expect.stringContaining('auth') as unknown }] });
    expect(reruns()).toEqual([]);
    expect(warning.some((m) => m.startsWith('Decision: skip'))).toBe(true);
  });

  it('a mix of transient and fatal jobs', async () => {
    scenario([{ name: 'agent', annotations: [LOST] }, { name: 'tests', annotations: [EXIT_1] }]);
    const result = await runWatchdog(options());
    expect(result.decision).toBe('skip');
    expect(result.jobs.map((j) => `${j.name}:${j.kind}`)).toEqual(['agent:transient', 'tests:fatal']);
    expect(result.reason).toContain("'tests'");
    expect(reruns()).toEqual([]);
  });

  it('a run at max_run_attempts, without reading its jobs', async () => {
    scenario([{ name: 'agent', annotations: [LOST] }], { run_attempt: 3 });
    const result = await runWatchdog(options({ maxRunAttempts: 3 }));
    expect(result.decision).toBe('skip');
    expect(result.reason).toContain('max_run_attempts is 3');
    expect(api.requests.map((r) => r.method + ' ' + r.pathname)).toEqual([`GET /repos/${api.repository}/actions/runs/${RUN_ID}`]);
  });

  it('a cancelled run', async () => {
    scenario([{ name: 'agent', conclusion: 'cancelled', annotations: ['The operation was canceled.'] }], { conclusion: 'cancelled' });
    const result = await runWatchdog(options());
    expect(result).toMatchObject({ decision: 'skip', reason: expect.stringContaining('cancelled') as unknown });
    expect(api.requests).toHaveLength(1);
  });

  it('a successful run', async () => {
    scenario([{ name: 'agent', conclusion: 'success' }], { conclusion: 'success' });
    const { info, warning, log } = collect();
    const result = await runWatchdog(options({ log }));
    expect(result.reason).toContain('did not fail');
    expect(reruns()).toEqual([]);
    expect(warning).toEqual([]);
    expect(info.some((m) => m.startsWith('Decision: skip'))).toBe(true);
  });

  it('a workflow not watched', async () => {
    scenario([{ name: 'agent', annotations: [LOST] }], { name: 'Nightly', path: '.github/workflows/nightly.yml' });
    const result = await runWatchdog(options({ watchedWorkflows: ['Agent', '.github/workflows/agent.yml'] }));
    expect(result).toMatchObject({ decision: 'skip', jobs: [] });
    expect(result.reason).toContain("'Nightly'");
    expect(api.requests).toHaveLength(1);
  });

  it('a run a person re-ran during the delay', async () => {
    scenario([{ name: 'agent', annotations: [LOST] }]);
    const result = await runWatchdog(
      options({
        sleep: () => {
          // What clicking "Re-run failed jobs" does meanwhile.
          api.updateRun(RUN_ID, { run_attempt: 2, status: 'queued', conclusion: null });
          return Promise.resolve();
        },
      }),
    );
    expect(result.decision).toBe('skip');
    expect(result.reason).toContain('re-run by someone else');
    expect(result.jobs).toHaveLength(1);
    expect(reruns()).toEqual([]);
    expect(api.getRun(RUN_ID)?.run_attempt).toBe(2);
  });

  it('a run cancelled or changed during the delay', async () => {
    scenario([{ name: 'agent', annotations: [LOST] }]);
    const result = await runWatchdog(options({ sleep: () => (api.updateRun(RUN_ID, { status: 'in_progress', conclusion: null }), Promise.resolve()) }));
    expect(result.reason).toContain('status completed → in_progress');
    expect(reruns()).toEqual([]);
  });
});

describe('runWatchdog aborts', () => {
  it('at once during the delay, whatever the injected sleep does', async () => {
    scenario([{ name: 'agent', annotations: [LOST] }]);
    const controller = new AbortController();
    const result = await runWatchdog(
      options({
        signal: controller.signal,
        sleep: () => {
          controller.abort();
          return new Promise<void>(() => undefined);
        },
      }),
    );
    expect(result.decision).toBe('skip');
    expect(result.reason).toContain('aborted during the re-run delay');
    expect(result.jobs).toHaveLength(1);
    expect(reruns()).toEqual([]);
    expect(api.requests.filter((r) => r.pathname === `/repos/${api.repository}/actions/runs/${RUN_ID}`)).toHaveLength(1);
  });

  it('at once during the default timer of a one-hour delay', async () => {
    scenario([{ name: 'agent', annotations: [LOST] }]);
    const controller = new AbortController();
    const started = performance.now();
    const result = await runWatchdog(
      options({
        sleep: undefined,
        rerunDelayMs: 3_600_000,
        signal: controller.signal,
        log: { info: (m) => m.startsWith('Waiting') && queueMicrotask(() => controller.abort()), warning: () => undefined },
      }),
    );
    expect(result.reason).toContain('aborted during the re-run delay');
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(reruns()).toEqual([]);
  });

  it('before anything when the signal is already aborted', async () => {
    scenario([{ name: 'agent', annotations: [LOST] }]);
    const result = await runWatchdog(options({ signal: AbortSignal.abort() }));
    expect(result.reason).toContain('aborted');
    expect(api.requests).toEqual([]);
  });
});

describe('runWatchdog errors', () => {
  it('rejects a bad token with a message that says so', async () => {
    scenario([{ name: 'agent', annotations: [LOST] }]);
    await expect(runWatchdog(options({ token: 'ghs_wrong' }))).rejects.toThrow(/reading run \d+ .*answered 401 Bad credentials: the token is invalid or expired/);
    expect(api.requests[0]?.status).toBe(401);
  });

  it('rejects when the token may not re-run (no actions: write)', async () => {
    scenario([{ name: 'agent', annotations: [LOST] }]);
    api.fail({ method: 'POST', path: /rerun-failed-jobs$/, status: 403, message: 'Resource not accessible by integration' });
    await expect(runWatchdog(options())).rejects.toThrow(/re-running the failed jobs .*403 Resource not accessible by integration.*actions: write/);
  });

  it('rejects when annotations cannot be read (no checks: read)', async () => {
    scenario([{ name: 'agent', annotations: [LOST] }]);
    api.fail({ path: /annotations$/, status: 403, message: 'Resource not accessible by integration' });
    await expect(runWatchdog(options())).rejects.toThrow(/annotations of job 100 \(needs checks: read\)/);
    expect(reruns()).toEqual([]);
  });

  it('rejects an unknown run', async () => {
    await expect(runWatchdog(options())).rejects.toThrow(/404 Not Found: not found, or the token cannot see this repository/);
  });

  it('rejects when nothing answers', async () => {
    const port = await closedPort();
    await expect(runWatchdog(options({ apiUrl: `http://127.0.0.1:${port}` }))).rejects.toThrow(/no answer from the GitHub API/);
  });

  it('rejects invalid options before any request', async () => {
    await expect(runWatchdog(options({ repository: 'just-a-name' }))).rejects.toThrow(/owner\/name/);
    await expect(runWatchdog(options({ maxRunAttempts: 0 }))).rejects.toThrow(/max_run_attempts/);
    await expect(runWatchdog(options({ rerunDelayMs: -1 }))).rejects.toThrow(/rerun_delay/);
    expect(api.requests).toEqual([]);
  });
});

describe('resolveWatchedRun', () => {
  it('prefers an explicit run id and does not read the event', async () => {
    expect(await resolveWatchedRun({ runId: 7, eventPath: path.join(tmp, 'missing.json') })).toMatchObject({ runId: 7, repository: undefined });
  });

  it('refuses an event that is not workflow_run, and a missing one', async () => {
    const eventPath = path.join(tmp, 'push.json');
    await writeFile(eventPath, JSON.stringify({ ref: 'refs/heads/main', commits: [] }));
    await expect(resolveWatchedRun({ eventPath })).rejects.toThrow(WatchdogEventError);
    await expect(resolveWatchedRun({ eventPath })).rejects.toThrow(/not a workflow_run event/);
    await expect(resolveWatchedRun({})).rejects.toThrow(/no run to watch/);
    await expect(resolveWatchedRun({ eventPath: path.join(tmp, 'missing.json') })).rejects.toThrow(/cannot read the event payload/);
    await expect(resolveWatchedRun({ runId: 0 })).rejects.toThrow(/positive integer/);
  });
});

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
