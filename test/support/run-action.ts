import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { claudeAgent } from '../../src/agents/claude-agent.js';
import { openCodeAgent } from '../../src/agents/opencode-agent.js';
import type { Workspace } from './workspace.js';

/** The project's root, found upwards from this module (it also runs bundled from node_modules/.cache). */
function findRepoRoot(start: string): string {
  for (let dir = start; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      if ((JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string }).name === 'durable-agent') return dir;
    } catch {
      // no package.json here
    }
  }
  throw new Error(`durable-agent's package.json not found above ${start}`);
}

export const REPO_ROOT = findRepoRoot(path.dirname(fileURLToPath(import.meta.url)));
export const BIN = path.join(REPO_ROOT, 'node_modules', '.bin');
/** The real CLIs the tests run: each agent's pinned package, a dev dependency (a unit test keeps the two equal). */
export const CLAUDE = path.join(BIN, claudeAgent.executableName);
export const OPENCODE = path.join(BIN, openCodeAgent.executableName);

export interface ActionRun {
  readonly child: ChildProcess;
  readonly done: Promise<ActionResult>;
}

export interface ActionResult {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly outputs: Record<string, string>;
  readonly state: Record<string, string>;
}

/** Parses the `name<<delimiter` blocks @actions/core writes to GITHUB_OUTPUT and GITHUB_STATE. */
export function parseCommandFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<]+)<<(.+)$/.exec(lines[i] ?? '');
    if (!match?.[1] || !match[2]) continue;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== match[2]; i++) body.push(lines[i] ?? '');
    values[match[1]] = body.join('\n');
  }
  return values;
}

/** Environment for the agents in tests: offline, short own retries, no user config. */
export function agentTestEnv(ws: Workspace, modelApiUrl: string): Record<string, string> {
  return {
    PATH: `${BIN}:${process.env.PATH ?? ''}`,
    HOME: ws.home,
    ANTHROPIC_BASE_URL: modelApiUrl,
    // Keep the CLIs' own retries short: the tests are about what happens when they give up.
    CLAUDE_CODE_MAX_RETRIES: '0',
    // OpenCode installs a plugin package in the background; offline that fails at once, harmlessly.
    npm_config_offline: 'true',
  };
}

/**
 * The machine's environment as a runner would pass it on (CA certificates, locale, PATH), without
 * anything that would make a test depend on who runs it: the host's own GitHub, Actions, agent and
 * npm-script variables.
 */
export function hostEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || /^(INPUT_|GITHUB_|ACTIONS_|RUNNER_|ANTHROPIC_|CLAUDE_|OPENCODE_|npm_|VITEST|XDG_)/.test(name)) continue;
    env[name] = value;
  }
  return env;
}

/**
 * Runs the built action as the runner does: a fresh `node dist/main.js` (or post.js) with INPUT_*
 * variables and the command files.
 */
export function startAction(
  ws: Workspace,
  inputs: Record<string, string>,
  options: { env?: Record<string, string>; entry?: 'main' | 'post' | 'guard-main' | 'guard-post'; runAttempt?: number; runnerTemp?: string } = {},
): ActionRun {
  const files = {
    GITHUB_OUTPUT: path.join(ws.root, 'github-output'),
    GITHUB_STATE: path.join(ws.root, 'github-state'),
    GITHUB_STEP_SUMMARY: path.join(ws.root, 'github-step-summary'),
    GITHUB_ENV: path.join(ws.root, 'github-env'),
    GITHUB_PATH: path.join(ws.root, 'github-path'),
  };
  const entry = options.entry ?? 'main';
  const isPost = entry.endsWith('post');
  if (!isPost) for (const file of Object.values(files)) writeFileSync(file, '');
  const env: Record<string, string> = {
    ...hostEnvironment(),
    ...files,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: ws.repo,
    GITHUB_REPOSITORY: 'octo/demo',
    GITHUB_WORKFLOW: 'agent',
    GITHUB_JOB: 'agent',
    GITHUB_RUN_ID: '1001',
    GITHUB_RUN_ATTEMPT: String(options.runAttempt ?? 1),
    GITHUB_SHA: 'HEAD',
    RUNNER_TEMP: options.runnerTemp ?? ws.runnerTemp,
    ACTIONS_RUNTIME_TOKEN: 'runner-secret-token',
    ACTIONS_RESULTS_URL: 'http://127.0.0.1:9/',
    ...options.env,
  };
  // The runner hands what main saved with saveState to the post step as STATE_<name> variables.
  if (isPost) {
    for (const [name, value] of Object.entries(parseCommandFile(readFileSync(files.GITHUB_STATE, 'utf8')))) env[`STATE_${name}`] = value;
  }
  // Tests that are not about the Actions stores keep checkpoints in a local folder of the test.
  const withDefaults = { checkpoint_store: 'local', checkpoint_dir: path.join(ws.root, 'checkpoints'), ...inputs };
  for (const [name, value] of Object.entries(withDefaults)) env[`INPUT_${name.toUpperCase()}`] = value;
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'dist', `${entry}.js`)], {
    cwd: ws.repo,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<ActionResult>((resolve) => {
    child.on('close', (exitCode, signal) => {
      resolve({
        exitCode,
        signal,
        stdout,
        stderr,
        outputs: parseCommandFile(readFileSync(files.GITHUB_OUTPUT, 'utf8')),
        state: parseCommandFile(readFileSync(files.GITHUB_STATE, 'utf8')),
      });
    });
  });
  return { child, done };
}

export function runAction(...args: Parameters<typeof startAction>): Promise<ActionResult> {
  return startAction(...args).done;
}
