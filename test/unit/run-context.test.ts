import { describe, expect, it } from 'vitest';
import { cacheStagingDir, claudeCodeActionExecutionFile, cliHome, guardDaemonLog, guardStatusFile, guardTempDir, homeLayout } from '../../src/home-layout.js';
import { actionSettingsContext, readRunContext } from '../../src/run-context.js';

const homedir = (): string => '/home/account';

describe('readRunContext', () => {
  it('reads an Actions job', () => {
    const run = readRunContext(
      {
        GITHUB_ACTIONS: 'true',
        GITHUB_WORKSPACE: '/w/repo',
        RUNNER_TEMP: '/w/_temp',
        GITHUB_REPOSITORY: 'octo/repo',
        GITHUB_WORKFLOW: 'CI',
        GITHUB_JOB: 'agent',
        GITHUB_RUN_ID: '42',
        GITHUB_RUN_ATTEMPT: '3',
        GITHUB_HEAD_REF: 'feature',
        GITHUB_REF_NAME: '7/merge',
        GITHUB_EVENT_NAME: 'pull_request',
        GITHUB_EVENT_PATH: '/w/_temp/event.json',
        GITHUB_API_URL: 'https://ghe.example/api/v3',
        GITHUB_TOKEN: 'ghs_x',
        ACTIONS_RUNTIME_TOKEN: 'a.b.c',
        ACTIONS_CACHE_MODE: 'read',
        DURABLE_AGENT_CHECKPOINT_REQUEST: '/w/_temp/durable-agent/checkpoint-request',
        HOME: '/home/runner',
      },
      homedir,
    );
    expect(run).toMatchObject({
      inActions: true,
      workspace: '/w/repo',
      runnerTemp: '/w/_temp',
      repository: 'octo/repo',
      workflow: 'CI',
      job: 'agent',
      runId: '42',
      runAttempt: 3,
      branch: 'feature',
      eventName: 'pull_request',
      eventPath: '/w/_temp/event.json',
      apiUrl: 'https://ghe.example/api/v3',
      token: 'ghs_x',
      runtimeToken: 'a.b.c',
      cacheMode: 'read',
      checkpointRequest: '/w/_temp/durable-agent/checkpoint-request',
      user: { home: '/home/runner', stateHome: undefined },
    });
    expect(Object.isFrozen(run)).toBe(true);
  });

  it('has defaults outside Actions', () => {
    const run = readRunContext({}, homedir);
    expect(run).toMatchObject({ inActions: false, workspace: undefined, repository: undefined, runAttempt: 1, branch: undefined, apiUrl: 'https://api.github.com' });
    expect(run.user.home).toBe('/home/account');
  });

  it('parses the run attempt once, as a positive integer or 1', () => {
    for (const [given, attempt] of [['2', 2], [' 4 ', 4], ['0', 1], ['-1', 1], ['x', 1], ['', 1], ['1.5', 1]] as const) {
      expect(readRunContext({ GITHUB_RUN_ATTEMPT: given }, homedir).runAttempt).toBe(attempt);
    }
  });

  it('takes the branch from the pull request head, then the ref name, ignoring empty values', () => {
    expect(readRunContext({ GITHUB_HEAD_REF: '', GITHUB_REF_NAME: 'main' }, homedir).branch).toBe('main');
    expect(readRunContext({ GITHUB_REF_NAME: '' }, homedir).branch).toBeUndefined();
  });

  it('keeps only an absolute XDG_STATE_HOME, and HOME unless empty', () => {
    expect(readRunContext({ HOME: '/h', XDG_STATE_HOME: 'rel' }, homedir).user.stateHome).toBeUndefined();
    expect(readRunContext({ HOME: '', XDG_STATE_HOME: '/s' }, homedir).user).toEqual({ home: '/home/account', stateHome: '/s' });
  });

  it('gives the action its folders: the workspace and RUNNER_TEMP', () => {
    expect(actionSettingsContext(readRunContext({ GITHUB_WORKSPACE: '/w/repo', RUNNER_TEMP: '/w/_temp', GITHUB_JOB: 'j' }, homedir))).toEqual({
      baseDir: '/w/repo',
      tempDir: '/w/_temp',
      job: 'j',
      workspace: '/w/repo',
    });
  });
});

describe('home layout', () => {
  it('places every file of a run below its temp folder', () => {
    expect(homeLayout('/t')).toEqual({
      root: '/t/durable-agent',
      checkpoints: '/t/durable-agent/checkpoints',
      checkpointDir: '/t/durable-agent/checkpoint-dir',
      checkpointRequest: '/t/durable-agent/checkpoint-request',
      staging: '/t/durable-agent/staging',
      tools: '/t/durable-agent/tools',
      executionFile: '/t/durable-agent/execution.ndjson',
      executionArray: '/t/claude-execution-output.json',
      claudeConfig: '/t/durable-agent/claude-config',
      opencode: { data: '/t/durable-agent/opencode/data', config: '/t/durable-agent/opencode/config', cache: '/t/durable-agent/opencode/cache', state: '/t/durable-agent/opencode/state' },
    });
  });

  it("names the guard's, the cache staging and claude-code-action's files", () => {
    expect(guardTempDir('/t')).toBe('/t/durable-agent-guard');
    expect(guardStatusFile('/t')).toBe('/t/durable-agent-guard/status.json');
    expect(guardDaemonLog('/t')).toBe('/t/durable-agent-guard/daemon.log');
    expect(cacheStagingDir('/tmp', 'abc')).toBe('/tmp/durable-agent-cache-abc');
    expect(claudeCodeActionExecutionFile('/t')).toBe('/t/claude-execution-output.json');
  });

  it('gives the CLI one stable private home per working directory', () => {
    const user = readRunContext({ HOME: '/home/me' }, homedir).user;
    expect(cliHome('/work/repo', user)).toBe(cliHome('/work/repo', user));
    expect(cliHome('/work/repo', user)).not.toBe(cliHome('/work/other', user));
  });
});
