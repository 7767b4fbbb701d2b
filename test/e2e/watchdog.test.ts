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
    githubRetryTimeMs: 10_000,
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
  it('a bad token, said at once, without retrying', async () => {
    scenario([{ name: 'agent', annotations: [LOST] }]);
    const result = await runWatchdog(options({ token: 'ghs_wrong' }));
    expect(result.decision).toBe('error');
    expect(result.reason).toMatch(/reading run \d+ .*bad credentials \(401\): github_token is invalid or expired.*answered 401 Bad credentials/);
    expect(api.requests.map((r) => r.status)).toEqual([401]);
  });

  it('a token that may not re-run (no actions: write)', async () => {
    scenario([{ name: 'agent', annotations: [LOST] }]);
    api.fail({ method: 'POST', path: /rerun-failed-jobs$/, status: 403, message: 'Resource not accessible by integration' });
    const result = await runWatchdog(options());
    expect(result).toMatchObject({ decision: 'error', jobs: [{ kind: 'transient' }] });
    expect(result.reason).toMatch(/re-running the failed jobs .*missing permission \(403\): the token needs actions: write.*403 Resource not accessible by integration/);
    expect(reruns()).toHaveLength(1);
  });

  it('annotations that cannot be read name checks: read, without retrying', async () => {
    scenario([{ name: 'agent', annotations: [LOST] }]);
    api.fail({ path: /annotations$/, status: 403, message: 'Resource not accessible by integration' });
    const { info, log } = collect();
    const result = await runWatchdog(options({ log }));
    expect(result.decision).toBe('error');
    expect(result.reason).toMatch(/reading the annotations of job 100 failed: missing permission \(403\): the token needs checks: read/);
    expect(result.reason).not.toMatch(/server|rate limit/);
    expect(api.requests.filter((r) => r.pathname.endsWith('/annotations'))).toHaveLength(1);
    expect(reruns()).toEqual([]);
    expect(info.some((m) => m.startsWith('Decision: error'))).toBe(true);
  });

  it('an unknown run', async () => {
    const result = await runWatchdog(options());
    expect(result).toMatchObject({ decision: 'error', reason: expect.stringMatching(/reading run \d+ .*not found \(404\).*answered 404 Not Found/) as unknown });
    expect(api.requests).toHaveLength(1);
  });

  it('nothing answers: retried within github_retry_time, then said', async () => {
    const port = await closedPort();
    const result = await runWatchdog(options({ apiUrl: `http://127.0.0.1:${port}`, githubRetryTimeMs: 1_000 }));
    expect(result.decision).toBe('error');
    expect(result.reason).toMatch(/no answer from the GitHub API .*gave up after \d+ tries/);
  });

  it('rejects invalid options before any request', async () => {
    await expect(runWatchdog(options({ repository: 'just-a-name' }))).rejects.toThrow(/owner\/name/);
    await expect(runWatchdog(options({ maxRunAttempts: 0 }))).rejects.toThrow(/max_run_attempts/);
    await expect(runWatchdog(options({ rerunDelayMs: -1 }))).rejects.toThrow(/rerun_delay/);
    await expect(runWatchdog(options({ githubRetryTimeMs: -1 }))).rejects.toThrow(/github_retry_time/);
    expect(api.requests).toEqual([]);
  });
});

describe('runWatchdog with a flaky GitHub API', () => {
  const repo = (): string => `/repos/${api.repository}`;
  const BAD_GATEWAY = { status: 502, message: 'Server Error' };

  it('a 502 once on each of its four calls: each retried, the run re-run once', async () => {
    scenario([{ name: 'agent', annotations: [LOST] }]);
    api.fail({ method: 'GET', path: /\/actions\/runs\/\d+$/, ...BAD_GATEWAY, times: 1 });
    api.fail({ path: /\/jobs$/, ...BAD_GATEWAY, times: 1 });
    api.fail({ path: /\/annotations$/, ...BAD_GATEWAY, times: 1 });
    api.fail({ method: 'POST', path: /rerun-failed-jobs$/, ...BAD_GATEWAY, times: 1 });
    const { warning, log } = collect();
    const result = await runWatchdog(options({ log }));

    expect(result.decision).toBe('rerun');
    expect(api.requests.map((r) => `${r.status} ${r.method} ${r.pathname}`)).toEqual([
      `502 GET ${repo()}/actions/runs/${RUN_ID}`,
      `200 GET ${repo()}/actions/runs/${RUN_ID}`,
      `502 GET ${repo()}/actions/runs/${RUN_ID}/attempts/1/jobs`,
      `200 GET ${repo()}/actions/runs/${RUN_ID}/attempts/1/jobs`,
      `502 GET ${repo()}/check-runs/100/annotations`,
      `200 GET ${repo()}/check-runs/100/annotations`,
      `200 GET ${repo()}/actions/runs/${RUN_ID}`,
      `502 POST ${rerunPath()}`,
      // Before sending the re-run again: did the lost request go through? It did not.
      `200 GET ${repo()}/actions/runs/${RUN_ID}`,
      `201 POST ${rerunPath()}`,
    ]);
    expect(api.getRun(RUN_ID)?.run_attempt).toBe(2);
    expect(warning.filter((m) => m.includes('GitHub server error (502)') && m.includes('trying again in'))).toHaveLength(4);
  });

  it('a re-run whose answer was lost after it went through is not sent again', async () => {
    scenario([{ name: 'agent', annotations: [LOST] }]);
    api.fail({ method: 'POST', path: /rerun-failed-jobs$/, ...BAD_GATEWAY, afterEffect: true, times: 1 });
    const { info, log } = collect();
    const result = await runWatchdog(options({ log }));
    expect(result.decision).toBe('rerun');
    expect(reruns()).toHaveLength(1);
    expect(api.getRun(RUN_ID)?.run_attempt).toBe(2);
    expect(info.some((m) => m.includes('answer to the re-run request was lost'))).toBe(true);
  });

  it('a dropped connection is retried', async () => {
    scenario([{ name: 'agent', annotations: [LOST] }]);
    api.fail({ path: /\/jobs$/, status: 0, message: '', reset: true, times: 1 });
    const result = await runWatchdog(options());
    expect(result.decision).toBe('rerun');
    expect(api.requests.filter((r) => r.pathname.endsWith('/jobs')).map((r) => r.status)).toEqual([0, 200]);
  });

  it('a call that gets no answer at all ends in time and is tried again', async () => {
    scenario([{ name: 'agent', annotations: [LOST] }]);
    api.fail({ path: /\/jobs$/, status: 0, message: '', hang: true, times: 1 });
    const { warning, log } = collect();
    const result = await runWatchdog(options({ log, requestTimeoutMs: 500 }));
    expect(result.decision).toBe('rerun');
    expect(warning.some((m) => m.includes('listing the jobs') && m.includes('no answer from the GitHub API'))).toBe(true);
    expect(api.requests.filter((r) => r.pathname.endsWith('/jobs')).map((r) => r.status)).toEqual([-1, 200]);
  });

  it('a persistent 502: gives up within github_retry_time with decision error and what failed', async () => {
    scenario([{ name: 'agent', annotations: [LOST] }]);
    api.fail({ path: /\/jobs$/, ...BAD_GATEWAY });
    const started = performance.now();
    const result = await runWatchdog(options({ githubRetryTimeMs: 2_000 }));
    const elapsed = performance.now() - started;

    expect(result.decision).toBe('error');
    expect(result.reason).toMatch(/^listing the jobs of run \d+ attempt 1 failed: GitHub server error \(502\): .*answered 502 Server Error \(gave up after \d+ tries: .*github_retry_time 2s\)$/);
    expect(api.requests.filter((r) => r.pathname.endsWith('/jobs')).length).toBeGreaterThan(1);
    // The bound holds (a loaded machine adds the duration of the last tries, not more waiting).
    expect(elapsed).toBeLessThan(2_000 + 3_000);
    expect(reruns()).toEqual([]);
  });

  it('a secondary rate limit: waits what retry-after says, then goes on', async () => {
    scenario([{ name: 'agent', annotations: [LOST] }]);
    api.fail({
      path: /\/annotations$/,
      status: 403,
      message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      headers: { 'retry-after': '1' },
      times: 1,
    });
    const { warning, log } = collect();
    const result = await runWatchdog(options({ log }));
    expect(result.decision).toBe('rerun');
    expect(warning.find((m) => m.includes('secondary rate limit'))).toMatch(/GitHub secondary rate limit \(403\).*trying again in 1s/);
    expect(api.requests.filter((r) => r.pathname.endsWith('/annotations')).map((r) => r.status)).toEqual([403, 200]);
  });

  it('a rate limit that asks for longer than github_retry_time: said at once', async () => {
    scenario([{ name: 'agent', annotations: [LOST] }]);
    api.fail({ path: /\/jobs$/, status: 429, message: 'API rate limit exceeded', headers: { 'retry-after': '600' } });
    const result = await runWatchdog(options({ githubRetryTimeMs: 5_000 }));
    expect(result.decision).toBe('error');
    expect(result.reason).toMatch(/GitHub rate limit \(429\).*gave up after 1 try: GitHub asks to wait 600 s/);
    expect(api.requests.filter((r) => r.pathname.endsWith('/jobs'))).toHaveLength(1);
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
