import { describe, expect, it } from 'vitest';
import { failureMarker } from '../../src/report/failure-marker.js';
import { classifyJob, classifyRun, failedJobs, isWatchedWorkflow, precheckRun } from '../../src/watchdog/classify-run.js';
import type { AnnotationFacts, ClassifyRunOptions, JobFacts, RunFacts } from '../../src/watchdog/classify-run.js';

const options: ClassifyRunOptions = { maxRunAttempts: 3, rerunOn: [] };

const NOT_ACQUIRED = 'The job was not acquired by Runner of type hosted even after multiple attempts';
const INTERNAL = 'Internal server error. Correlation ID: 6b1e8f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
const LOST = 'The hosted runner: GitHub Actions 12 lost communication with the server. Anything in your workflow that terminates the runner process, starves it for CPU/Memory, or blocks its network access can cause this error.';
const SELF_HOSTED_LOST = 'The self-hosted runner: gpu-box-3 lost communication with the server. Verify the machine is running and has a healthy network connection.';
const SHUTDOWN = 'The runner has received a shutdown signal. This can happen when the runner service is stopped, or a manually started runner is canceled.';
const HOSTED_ERROR = 'The hosted runner encountered an error while running your job. (Error Type: Disconnect).';
const CANCELED = 'The operation was canceled.';
const EXIT_1 = 'Process completed with exit code 1.';

function run(overrides: Partial<RunFacts> = {}): RunFacts {
  return { id: 42, status: 'completed', conclusion: 'failure', runAttempt: 1, event: 'push', ...overrides };
}

function job(id: number, conclusion: string | null = 'failure', name = `job ${id}`): JobFacts {
  return { id, name, conclusion, steps: [{ name: 'Run agent', number: 3, conclusion }] };
}

function failure(message: string, extra: Partial<AnnotationFacts> = {}): AnnotationFacts {
  return { level: 'failure', title: null, message, rawDetails: null, ...extra };
}

function classify(jobs: JobFacts[], notes: Record<number, AnnotationFacts[]>, runOverrides: Partial<RunFacts> = {}, opts = options) {
  return classifyRun({ run: run(runOverrides), jobs, annotations: new Map(Object.entries(notes).map(([id, list]) => [Number(id), list])) }, opts);
}

describe('classifyJob', () => {
  it.each([
    ['runner not acquired', NOT_ACQUIRED],
    ['GitHub internal server error', INTERNAL],
    ['runner lost communication', LOST],
    ['runner lost communication', SELF_HOSTED_LOST],
    ['runner shutdown', SHUTDOWN],
    ['hosted runner error', HOSTED_ERROR],
  ])('reads "%s" as transient', (name, message) => {
    const verdict = classifyJob(job(1), [failure(message)], []);
    expect(verdict).toMatchObject({ id: 1, kind: 'transient' });
    expect(verdict.why).toContain(name);
  });

  it("reads durable-agent's transient marker as transient, with its reason", () => {
    const verdict = classifyJob(job(1), [failure(`server_error: the API kept answering 500 ${failureMarker('transient', 'server_error')}`)], []);
    expect(verdict.kind).toBe('transient');
    expect(verdict.why).toContain('server_error');
    expect(verdict.why).toContain("'Run agent'");
  });

  it('finds the marker in the title or the raw details too', () => {
    expect(classifyJob(job(1), [failure('failed', { rawDetails: `line\n${failureMarker('transient', 'overloaded')}` })], []).kind).toBe('transient');
    expect(classifyJob(job(1), [failure('failed', { title: failureMarker('transient', 'network') })], []).kind).toBe('transient');
  });

  it("lets durable-agent's fatal marker win over every transient pattern", () => {
    const verdict = classifyJob(job(1), [failure(LOST), failure(`auth: 401 ${failureMarker('fatal', 'auth')}`), failure(failureMarker('transient', 'server_error'))], [/401/]);
    expect(verdict.kind).toBe('fatal');
    expect(verdict.why).toContain('auth');
  });

  it('reads a plain step failure as fatal and quotes it', () => {
    const verdict = classifyJob(job(1), [failure(EXIT_1)], []);
    expect(verdict.kind).toBe('fatal');
    expect(verdict.why).toContain(EXIT_1);
  });

  it('reads a bare cancel as fatal (a cancel or a timeout), and a cancel with a runner-lost message as transient', () => {
    expect(classifyJob(job(1), [failure(CANCELED)], []).kind).toBe('fatal');
    expect(classifyJob(job(1), [failure(CANCELED)], []).why).toContain('without a runner-lost message');
    const lost = classifyJob(job(1), [failure(SHUTDOWN), failure(CANCELED)], []);
    expect(lost.kind).toBe('transient');
    expect(lost.why).toContain('canceled');
  });

  it('does not count a cancel next to a message that is not about the runner', () => {
    expect(classifyJob(job(1), [failure(CANCELED), failure('The job running on runner X has exceeded the maximum execution time of 360 minutes.')], []).kind).toBe('fatal');
  });

  it("applies the user's rerun_on patterns, global flag included, the same way every time", () => {
    const pattern = /flaky GPU driver/g;
    const notes = [failure(EXIT_1), failure('nvidia: flaky GPU driver reset')];
    expect(classifyJob(job(1), notes, [pattern])).toMatchObject({ kind: 'transient', why: expect.stringContaining('rerun_on') as unknown });
    expect(classifyJob(job(1), notes, [pattern]).kind).toBe('transient');
    expect(classifyJob(job(1), notes, []).kind).toBe('fatal');
  });

  it('ignores notices and warnings', () => {
    expect(classifyJob(job(1), [failure(LOST, { level: 'warning' }), failure(EXIT_1)], []).kind).toBe('fatal');
    expect(classifyJob(job(1), [failure(failureMarker('transient', 'network'), { level: 'notice' })], []).kind).toBe('fatal');
  });

  it('reads a job with no annotation as fatal: nothing says a re-run helps', () => {
    const verdict = classifyJob({ id: 1, name: 'build', conclusion: 'failure', steps: [] }, [], []);
    expect(verdict.kind).toBe('fatal');
    expect(verdict.why).toContain('no failure annotation');
    expect(verdict.why).toContain('no step ran');
  });
});

describe('precheckRun', () => {
  it.each([
    ['success', /did not fail/],
    ['neutral', /did not fail/],
    ['skipped', /did not fail/],
    ['action_required', /did not fail/],
    ['cancelled', /cancelled run is never re-run/],
    ['startup_failure', /failed to start/],
  ])('skips a run that ended %s', (conclusion, reason) => {
    const decision = precheckRun(run({ conclusion }), options);
    expect(decision?.decision).toBe('skip');
    expect(decision?.reason).toMatch(reason);
  });

  it('skips a run still in progress', () => {
    expect(precheckRun(run({ status: 'in_progress', conclusion: null }), options)?.reason).toContain('in_progress');
  });

  it('lets failed and timed-out runs through while attempts remain', () => {
    expect(precheckRun(run({ conclusion: 'failure', runAttempt: 2 }), options)).toBeUndefined();
    expect(precheckRun(run({ conclusion: 'timed_out' }), options)).toBeUndefined();
  });

  it('skips at max_run_attempts and beyond', () => {
    expect(precheckRun(run({ runAttempt: 3 }), options)?.reason).toContain('max_run_attempts is 3');
    expect(precheckRun(run({ runAttempt: 4 }), options)?.decision).toBe('skip');
    expect(precheckRun(run({ runAttempt: 1 }), { maxRunAttempts: 1 })?.decision).toBe('skip');
  });
});

describe('classifyRun', () => {
  it('re-runs when every failed job failed transiently', () => {
    const decision = classify([job(1), job(2), job(3, 'success')], { 1: [failure(NOT_ACQUIRED)], 2: [failure(failureMarker('transient', 'overloaded'))] });
    expect(decision.decision).toBe('rerun');
    expect(decision.jobs.map((j) => [j.id, j.kind])).toEqual([
      [1, 'transient'],
      [2, 'transient'],
    ]);
    expect(decision.reason).toContain('all 2 failed jobs failed transiently');
    expect(decision.reason).toContain('attempt 1 of at most 3');
  });

  it('skips a mix of transient and fatal jobs, naming the fatal one', () => {
    const decision = classify([job(1, 'failure', 'agent'), job(2, 'failure', 'lint')], { 1: [failure(INTERNAL)], 2: [failure(EXIT_1)] });
    expect(decision.decision).toBe('skip');
    expect(decision.reason).toContain("1 of 2 failed jobs failed for a reason a re-run does not fix ('lint')");
    expect(decision.jobs.map((j) => j.kind)).toEqual(['transient', 'fatal']);
  });

  it('skips a fatal failure', () => {
    const decision = classify([job(1)], { 1: [failure(`auth: invalid x-api-key ${failureMarker('fatal', 'auth')}`)] });
    expect(decision).toMatchObject({ decision: 'skip', jobs: [{ id: 1, kind: 'fatal' }] });
    expect(decision.reason).toContain('its failed job failed for a reason a re-run does not fix');
  });

  it('counts timed-out jobs as failed and leaves cancelled and skipped jobs out of the decision', () => {
    const decision = classify([job(1, 'timed_out'), job(2, 'cancelled'), job(3, 'skipped')], { 1: [failure(LOST)], 2: [failure(CANCELED)] });
    expect(decision.decision).toBe('rerun');
    expect(decision.jobs.map((j) => j.id)).toEqual([1]);
    expect(failedJobs([job(1, 'failure'), job(2, null), job(3, 'neutral')]).map((j) => j.id)).toEqual([1]);
  });

  it('skips a failed run without a failed job', () => {
    expect(classify([job(1, 'cancelled')], {}).reason).toContain('none of its jobs did');
  });

  it('skips at max_run_attempts even when every job was transient', () => {
    const decision = classify([job(1)], { 1: [failure(LOST)] }, { runAttempt: 3 });
    expect(decision).toMatchObject({ decision: 'skip', jobs: [] });
    expect(decision.reason).toContain('attempt 3');
  });

  it('skips a cancelled run whatever its jobs say', () => {
    expect(classify([job(1)], { 1: [failure(LOST)] }, { conclusion: 'cancelled' }).decision).toBe('skip');
  });

  it('uses rerun_on from the options', () => {
    expect(classify([job(1)], { 1: [failure('ENOSPC on the cache volume')] }, {}, { maxRunAttempts: 3, rerunOn: [/ENOSPC/] }).decision).toBe('rerun');
  });
});

describe('isWatchedWorkflow', () => {
  const agent = { name: 'Agent', path: '.github/workflows/agent.yml' };

  it('watches every workflow when the list is empty', () => {
    expect(isWatchedWorkflow(agent, [])).toBe(true);
    expect(isWatchedWorkflow(agent, ['', '  '])).toBe(true);
  });

  it('matches by name, path, ./path and file name', () => {
    for (const entry of ['Agent', '.github/workflows/agent.yml', './.github/workflows/agent.yml', 'agent.yml', ' agent.yml ']) {
      expect(isWatchedWorkflow(agent, [entry]), entry).toBe(true);
    }
  });

  it('does not match other workflows or partial names', () => {
    for (const entry of ['CI', 'agent', 'gent.yml', 'ci.yml', 'workflows/ci.yml']) expect(isWatchedWorkflow(agent, [entry]), entry).toBe(false);
  });

  it('ignores the ref a run path may carry', () => {
    expect(isWatchedWorkflow({ name: 'Agent', path: '.github/workflows/agent.yml@refs/heads/main' }, ['agent.yml'])).toBe(true);
  });
});
