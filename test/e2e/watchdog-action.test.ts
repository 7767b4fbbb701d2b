import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { failureMarker } from '../../src/report/failure-marker.js';
import { startGitHubApi, step, type FakeGitHubApi } from '../support/github-api.js';
import { REPO_ROOT, runAction } from '../support/run-action.js';
import { createWorkspace, type Workspace } from '../support/workspace.js';

const RUN_ID = 4242;

describe('the action in watchdog mode', () => {
  let ws: Workspace;
  let api: FakeGitHubApi;
  beforeEach(async () => {
    ws = await createWorkspace();
    api = await startGitHubApi();
  });
  afterEach(async () => {
    await api.close();
    await ws.dispose();
  });

  function failedRun(annotation: string): string {
    api.addRun({ id: RUN_ID, name: 'Agent', conclusion: 'failure', run_attempt: 1 });
    api.setJobs(RUN_ID, 1, [{ id: 7, name: 'agent', conclusion: 'failure', steps: [step(1, 'Set up job'), step(2, 'Run durable-agent', 'failure')] }]);
    api.setAnnotations(7, [{ message: annotation }]);
    const event = path.join(ws.root, 'event.json');
    writeFileSync(event, JSON.stringify({ action: 'completed', workflow_run: { id: RUN_ID, name: 'Agent', path: '.github/workflows/agent.yml', conclusion: 'failure', run_attempt: 1, repository: { full_name: api.repository } }, repository: { full_name: api.repository } }));
    return event;
  }

  const watchdog = (event: string, inputs: Record<string, string> = {}) =>
    runAction(ws, { mode: 'watchdog', github_token: api.token, rerun_delay: '0s', max_run_attempts: '3', ...inputs }, {
      env: { GITHUB_API_URL: api.url, GITHUB_EVENT_PATH: event, GITHUB_REPOSITORY: api.repository },
    });

  it('re-runs the failed jobs of a run that durable-agent marked transient, once, with the token', async () => {
    const result = await watchdog(failedRun(`server_error: API Error: 500 ${failureMarker('transient', 'server_error')}`));
    expect(result.exitCode, result.stdout).toBe(0);
    expect(result.outputs.decision).toBe('rerun');
    const posts = api.requests.filter((request) => request.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(posts[0]?.path).toBe(`/repos/${api.repository}/actions/runs/${RUN_ID}/rerun-failed-jobs`);
    expect(result.stdout.replace(/^::add-mask::.*$/m, '')).not.toContain(api.token);
  });

  it('leaves a fatal failure alone and says why', async () => {
    const result = await watchdog(failedRun(`auth: Invalid API key ${failureMarker('fatal', 'auth')}`));
    expect(result.exitCode).toBe(0);
    expect(result.outputs.decision).toBe('skip');
    expect(result.outputs.reason).toMatch(/failed for a reason/);
    expect(api.requests.filter((request) => request.method === 'POST')).toHaveLength(0);
  });

  it('gives up on a GitHub API that keeps failing within github_retry_time: decision error, the step fails saying what failed', async () => {
    const event = failedRun(`server_error: API Error: 500 ${failureMarker('transient', 'server_error')}`);
    api.fail({ path: /\/annotations$/, status: 503, message: 'Service Unavailable' });
    const result = await watchdog(event, { github_retry_time: '1s' });
    expect(result.exitCode).toBe(1);
    expect(result.outputs.decision).toBe('error');
    expect(result.outputs.reason).toMatch(/reading the annotations of job 7 failed: GitHub server error \(503\).*gave up after \d+ tries/);
    expect(result.stdout).toMatch(/^::error::Watchdog: reading the annotations of job 7 failed: GitHub server error \(503\)/m);
    expect(api.requests.filter((request) => request.method === 'POST')).toHaveLength(0);
  });

  it('sets decision error on a bad input, naming it', async () => {
    const result = await watchdog(failedRun('whatever'), { github_retry_time: 'soon' });
    expect(result.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ decision: 'error', reason: expect.stringContaining("github_retry_time: 'soon' is not a duration") as unknown });
    expect(api.requests).toEqual([]);
  });
});

describe('durable-agent watchdog (CLI)', () => {
  let api: FakeGitHubApi;
  beforeEach(async () => {
    api = await startGitHubApi();
  });
  afterEach(async () => {
    await api.close();
  });

  it('decides for an explicit run id and prints the decision', async () => {
    api.addRun({ id: RUN_ID, name: 'Agent', conclusion: 'failure', run_attempt: 1 });
    api.setJobs(RUN_ID, 1, [{ id: 7, name: 'agent', conclusion: 'failure', steps: [] }]);
    api.setAnnotations(7, [{ message: 'The job was not acquired by Runner of type hosted even after multiple attempts' }]);
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'dist', 'cli.js'), 'watchdog', '--run-id', String(RUN_ID), '--rerun-delay', '0s'], {
      env: { PATH: process.env.PATH ?? '', GITHUB_TOKEN: api.token, GITHUB_API_URL: api.url, GITHUB_REPOSITORY: api.repository },
    });
    expect(stdout).toMatch(/^decision=rerun$/m);
    expect(api.requests.filter((request) => request.method === 'POST')).toHaveLength(1);
  });

  it('prints decision=error and exits 1 when GitHub refuses, saying what failed', async () => {
    const result = await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'dist', 'cli.js'), 'watchdog', '--run-id', '99', '--github-retry-time', '0'], {
      env: { PATH: process.env.PATH ?? '', GITHUB_TOKEN: api.token, GITHUB_API_URL: api.url, GITHUB_REPOSITORY: api.repository },
    }).then(
      () => ({ code: 0, stdout: '' }),
      (error: unknown) => z.object({ code: z.number(), stdout: z.string() }).parse(error),
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^decision=error\nreason=reading run 99 of .* failed: not found \(404\)/m);
  });
});
