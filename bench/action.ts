// Runs the built action (`node dist/main.js`) the way the runner does, for the start-up and
// recovery cases: INPUT_* variables, GITHUB_* variables and command files, a fresh process each time.
import { spawn } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { hostEnvironment } from '../test/support/run-action.js';
import { git } from './generate.js';
import { epochMs } from './lib.js';

export interface ActionDirs {
  /** The built action (dist/). */
  readonly dist: string;
  readonly root: string;
  readonly repo: string;
  readonly runnerTemp: string;
}

export async function actionDirs(root: string, dist: string): Promise<ActionDirs> {
  const repo = path.join(root, 'repo');
  const runnerTemp = path.join(root, 'runner-temp');
  await mkdir(repo, { recursive: true });
  await mkdir(runnerTemp, { recursive: true });
  await git(repo, 'init', '-q', '-b', 'main');
  await writeFile(path.join(repo, 'README.md'), '# bench\n');
  await git(repo, 'add', '-A');
  await git(repo, 'commit', '-q', '-m', 'initial');
  return { dist, root, repo, runnerTemp };
}

export interface ActionRun {
  /** epochMs() just before the spawn. */
  readonly startedAt: number;
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Each stdout line with the epochMs() it arrived at. */
  readonly lines: ReadonlyArray<{ at: number; text: string }>;
}

/** The inputs every bench run sets (a prompt, a key, the fake agent) plus `inputs`. */
export async function runAction(dirs: ActionDirs, agentScript: string, inputs: Record<string, string>, env: Record<string, string> = {}, nodeFlags: readonly string[] = []): Promise<ActionRun> {
  const files = {
    GITHUB_OUTPUT: path.join(dirs.root, 'github-output'),
    GITHUB_STATE: path.join(dirs.root, 'github-state'),
    GITHUB_STEP_SUMMARY: path.join(dirs.root, 'github-step-summary'),
    GITHUB_ENV: path.join(dirs.root, 'github-env'),
    GITHUB_PATH: path.join(dirs.root, 'github-path'),
  };
  for (const file of Object.values(files)) await writeFile(file, '');
  const allInputs: Record<string, string> = {
    agent: 'claude',
    prompt: 'Benchmark the start-up.',
    anthropic_api_key: 'sk-ant-bench-0123456789abcdef',
    path_to_claude_code_executable: agentScript,
    checkpoint_store: 'none',
    ...inputs,
  };
  const fullEnv: Record<string, string> = {
    ...hostEnvironment(),
    ...files,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: dirs.repo,
    GITHUB_REPOSITORY: 'octo/bench',
    GITHUB_WORKFLOW: 'bench',
    GITHUB_JOB: 'bench',
    GITHUB_RUN_ID: '1',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SHA: 'HEAD',
    RUNNER_TEMP: dirs.runnerTemp,
    ...env,
  };
  for (const [name, value] of Object.entries(allInputs)) fullEnv[`INPUT_${name.toUpperCase()}`] = value;
  const lines: Array<{ at: number; text: string }> = [];
  const startedAt = epochMs();
  const child = spawn(process.execPath, [...nodeFlags, path.join(dirs.dist, 'main.js')], { cwd: dirs.repo, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const at = epochMs();
    stdout += chunk;
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const text of parts) lines.push({ at, text });
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  return { startedAt, exitCode, stdout, stderr, lines };
}

/** A bash script made executable (the fake agents). */
export async function writeScript(file: string, body: string): Promise<string> {
  await writeFile(file, `#!/bin/bash\n${body}`);
  await chmod(file, 0o755);
  return file;
}

/** `$EPOCHREALTIME` text (seconds.microseconds) as epoch milliseconds. */
export function epochRealtimeMs(text: string): number {
  return Number(text.trim().replace(',', '.')) * 1000;
}
