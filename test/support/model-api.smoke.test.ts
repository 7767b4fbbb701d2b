/**
 * Drives the real Claude Code and OpenCode CLIs against the local model API, proving that the
 * scripted conversation, the faults and resume work with what the CLIs actually send.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli as runCliProcess, type CliEvent, type CliRun } from './run-cli.js';
import { CLAUDE, OPENCODE } from './run-action.js';
import { startModelApi } from './model-api.js';
import type { Fault, ModelApi } from './model-api.js';
import { openCodeEnv, writeOpenCodeConfig } from './opencode-config.js';

const RUN_TIMEOUT_MS = 60_000;

type Event = CliEvent;
type RunResult = CliRun;

const runCli = (command: string, args: string[], options: { cwd: string; env: Record<string, string> }): Promise<RunResult> =>
  runCliProcess(command, args, { ...options, timeoutMs: RUN_TIMEOUT_MS });

async function marks(repo: string): Promise<string[]> {
  const text = await readFile(join(repo, 'progress.txt'), 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line !== '');
}

function describeRun(run: RunResult): string {
  return `exit ${run.code} signal ${run.signal} timedOut ${run.timedOut}\nstderr: ${run.stderr.slice(0, 2000)}\nstdout: ${run.stdout.slice(-4000)}`;
}

interface Workspace {
  root: string;
  repo: string;
  home: string;
}

const git = promisify(execFile);

async function workspace(created: string[]): Promise<Workspace> {
  const root = await mkdtemp(join(tmpdir(), 'model-api-smoke-'));
  created.push(root);
  const repo = join(root, 'repo');
  const home = join(root, 'home');
  await mkdir(repo);
  await mkdir(home);
  const env = { PATH: process.env.PATH ?? '', HOME: home, GIT_CONFIG_NOSYSTEM: '1' };
  await git('git', ['init', '-q'], { cwd: repo, env });
  await git('git', ['-c', 'user.name=Smoke', '-c', 'user.email=smoke@example.com', 'commit', '-q', '--allow-empty', '-m', 'init'], { cwd: repo, env });
  return { root, repo, home };
}

describe('model API against the real CLIs', () => {
  const created: string[] = [];
  const apis: ModelApi[] = [];

  afterEach(async () => {
    await Promise.all(apis.splice(0).map((api) => api.close()));
    await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  async function api(steps: number, faults: Fault[] = []): Promise<ModelApi> {
    const started = await startModelApi({ script: { steps }, faults });
    apis.push(started);
    return started;
  }

  describe('claude', () => {
    function claude(ws: Workspace, server: ModelApi, args: string[], maxRetries = 0): Promise<RunResult> {
      // Only what the CLI needs: no inherited credentials or real API settings.
      const env = {
        PATH: process.env.PATH ?? '',
        HOME: ws.home,
        ANTHROPIC_BASE_URL: server.url,
        ANTHROPIC_API_KEY: 'test-key',
        CLAUDE_CONFIG_DIR: join(ws.root, 'claude-config'),
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        CLAUDE_CODE_MAX_RETRIES: String(maxRetries),
        DISABLE_AUTOUPDATER: '1',
      };
      return runCli(CLAUDE, [...args, '--output-format', 'stream-json', '--verbose', '--allowedTools', 'Bash'], { cwd: ws.repo, env });
    }

    function result(run: RunResult): Event | undefined {
      return run.events.findLast((event) => event.type === 'result');
    }

    it('plays a three-step script to the end', async () => {
      const ws = await workspace(created);
      const server = await api(3);
      const sessionId = randomUUID();
      const run = await claude(ws, server, ['-p', 'do the task', '--session-id', sessionId]);
      expect(run.code, describeRun(run)).toBe(0);
      expect(result(run)).toMatchObject({ subtype: 'success', is_error: false, session_id: sessionId, result: 'All 3 steps done.' });
      expect(await marks(ws.repo)).toEqual(['step-1', 'step-2', 'step-3']);
      expect(run.events[0]).toMatchObject({ type: 'system', subtype: 'init', session_id: sessionId });
      const conversation = server.requests.filter((request) => request.kind === 'conversation');
      expect(conversation.map((request) => request.step)).toEqual([1, 2, 3, 4]);
      expect(conversation[0]?.headers['x-claude-code-session-id']).toBe(sessionId);
    });

    it('resumes after a 400 without repeating or skipping a step', async () => {
      const ws = await workspace(created);
      // Claude Code answers a 400 by retrying up to 5 times with fewer beta headers, so the
      // fault has to outlast those attempts to fail the run.
      const server = await api(3, [{ kind: 'http400', at: { step: 2 }, count: 10 }]);
      const sessionId = randomUUID();
      const failed = await claude(ws, server, ['-p', 'do the task', '--session-id', sessionId]);
      expect(failed.code, describeRun(failed)).toBe(1);
      expect(result(failed)).toMatchObject({ is_error: true, terminal_reason: 'api_error', api_error_status: 400 });
      expect(await marks(ws.repo)).toEqual(['step-1']);

      server.setFaults([]);
      const resumed = await claude(ws, server, ['-p', 'continue', '--resume', sessionId]);
      expect(resumed.code, describeRun(resumed)).toBe(0);
      expect(result(resumed)).toMatchObject({ is_error: false, session_id: sessionId });
      expect(await marks(ws.repo)).toEqual(['step-1', 'step-2', 'step-3']);
    });

    it("absorbs a 500 with its own retry and reports it as api_retry", async () => {
      const ws = await workspace(created);
      const server = await api(2, [{ kind: 'http500', at: { request: 1 }, count: 1 }]);
      const run = await claude(ws, server, ['-p', 'do the task', '--session-id', randomUUID()], 2);
      expect(run.code, describeRun(run)).toBe(0);
      const retry = run.events.find((event) => event.type === 'system' && event.subtype === 'api_retry');
      expect(retry).toMatchObject({ attempt: 1, max_retries: 2, error_status: 500, error: 'server_error' });
      expect(typeof retry?.retry_delay_ms).toBe('number');
      expect(result(run)).toMatchObject({ is_error: false });
      expect(await marks(ws.repo)).toEqual(['step-1', 'step-2']);
    });
  });

  describe('opencode', () => {
    async function opencode(ws: Workspace, server: ModelApi, args: string[]): Promise<RunResult> {
      const config = await writeOpenCodeConfig(join(ws.root, 'opencode-config'), server.url, 'test-key');
      const env = { PATH: process.env.PATH ?? '', HOME: ws.home, PWD: ws.repo, ...openCodeEnv(join(ws.root, 'opencode-state'), config) };
      return runCli(OPENCODE, ['run', '--format', 'json', ...args], { cwd: ws.repo, env });
    }

    // Exit codes differ between versions; the events say how the run ended.
    function succeeded(run: RunResult): boolean {
      const lastError = run.events.findLastIndex((event) => event.type === 'error');
      const lastStop = run.events.findLastIndex((event) => event.type === 'step_finish' && (event.part as Event | undefined)?.reason === 'stop');
      return lastStop > lastError;
    }

    it('plays a three-step script to the end', async () => {
      const ws = await workspace(created);
      const server = await api(3);
      const run = await opencode(ws, server, ['--title', 't', 'do the task']);
      expect(run.timedOut, describeRun(run)).toBe(false);
      expect(succeeded(run), describeRun(run)).toBe(true);
      expect(run.code).toBe(0);
      expect(await marks(ws.repo)).toEqual(['step-1', 'step-2', 'step-3']);
      const tools = run.events.filter((event) => event.type === 'tool_use').map((event) => event.part);
      expect(tools).toHaveLength(3);
      expect(tools[0]).toMatchObject({ tool: 'bash', state: { status: 'completed', input: { command: 'echo step-1 >> progress.txt' } } });
      expect(server.requests.filter((request) => request.kind === 'conversation').map((request) => request.step)).toEqual([1, 2, 3, 4]);
    });

    it('resumes a session after a 400 without repeating or skipping a step', async () => {
      const ws = await workspace(created);
      const server = await api(3, [{ kind: 'http400', at: { step: 2 }, count: 1 }]);
      const failed = await opencode(ws, server, ['--title', 't', 'do the task']);
      expect(failed.timedOut, describeRun(failed)).toBe(false);
      expect(succeeded(failed), describeRun(failed)).toBe(false);
      expect(failed.events.findLast((event) => event.type === 'error')).toMatchObject({
        error: { name: 'APIError', data: { statusCode: 400, isRetryable: false } },
      });
      expect(await marks(ws.repo)).toEqual(['step-1']);
      const sessionId = failed.events[0]?.sessionID;
      expect(sessionId).toEqual(expect.stringMatching(/^ses_/));

      server.setFaults([]);
      const resumed = await opencode(ws, server, ['--session', String(sessionId), 'continue']);
      expect(resumed.timedOut, describeRun(resumed)).toBe(false);
      expect(succeeded(resumed), describeRun(resumed)).toBe(true);
      expect(resumed.events.every((event) => event.sessionID === sessionId)).toBe(true);
      expect(await marks(ws.repo)).toEqual(['step-1', 'step-2', 'step-3']);
    });
  });
});
