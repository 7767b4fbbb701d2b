import { execFile } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';
import { descendants, waitForOutput } from './processes.js';
import { startAction, type ActionResult } from './run-action.js';
import { GIT_IDENTITY, type Workspace } from './workspace.js';

/**
 * What a runner gives each job attempt: a fresh clone of the repository at the same path, and a
 * fresh RUNNER_TEMP. `origin` is a bare clone of the workspace made once per test.
 */
export async function makeOrigin(ws: Workspace): Promise<string> {
  const origin = path.join(ws.root, 'origin.git');
  await ws.git('clone', '-q', '--bare', ws.repo, origin);
  return origin;
}

export async function freshRunner(ws: Workspace, origin: string, attempt: number): Promise<string> {
  rmSync(ws.repo, { recursive: true, force: true });
  await promisify(execFile)('git', ['clone', '-q', origin, ws.repo], { cwd: ws.root, env: { ...process.env, ...GIT_IDENTITY } });
  const runnerTemp = path.join(ws.root, `runner-temp-${attempt}`);
  mkdirSync(runnerTemp, { recursive: true });
  return runnerTemp;
}

/**
 * Starts the action and interrupts it at step `step` of the scripted task, once a checkpoint
 * exists: SIGKILL of the action and everything it started (the runner was lost) or SIGINT (the
 * workflow was cancelled).
 */
export async function interruptedRun(
  ws: Workspace,
  inputs: Record<string, string>,
  options: { env: Record<string, string>; runnerTemp: string; step: number; signal: 'SIGKILL' | 'SIGINT' },
): Promise<ActionResult> {
  const run = startAction(ws, inputs, { env: options.env, runAttempt: 1, runnerTemp: options.runnerTemp });
  const { child } = run;
  if (!child.stdout || child.pid === undefined) throw new Error('no action process');
  await waitForOutput(child.stdout, (text) => /Checkpoint \d+ saved/.test(text) && new RegExp(`▶ bash: echo step-${options.step} `, 'i').test(text));
  if (options.signal === 'SIGKILL') {
    for (const pid of [child.pid, ...descendants(child.pid)]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  } else {
    child.kill('SIGINT');
  }
  return run.done;
}
