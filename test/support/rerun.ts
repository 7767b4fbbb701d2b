import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';
import type { ModelApi } from './model-api.js';
import { descendants, waitForOutput } from './processes.js';
import { runAction, startAction, type ActionResult } from './run-action.js';
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

/** SIGKILL of a process and everything it started: the runner was lost. */
export function killTree(pid: number): void {
  for (const target of [pid, ...descendants(pid)]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Whether the action's log shows the agent starting step `step` or a later one of the scripted task. */
function reachedStep(text: string, step: number): boolean {
  return [...text.matchAll(/▶ bash: echo step-(\d+) /gi)].some((match) => Number(match[1]) >= step);
}

/**
 * Starts the action and interrupts it at step `step` of the scripted task, once a checkpoint
 * exists: SIGKILL of the action and everything it started (the runner was lost) or SIGINT (the
 * workflow was cancelled).
 */
export async function interruptedRun(
  ws: Workspace,
  inputs: Record<string, string>,
  options: { env: Record<string, string>; runnerTemp: string; step: number; signal: 'SIGKILL' | 'SIGINT'; runAttempt?: number },
): Promise<ActionResult> {
  const run = startAction(ws, inputs, { env: options.env, runAttempt: options.runAttempt ?? 1, runnerTemp: options.runnerTemp });
  const { child } = run;
  if (!child.stdout || child.pid === undefined) throw new Error('no action process');
  await waitForOutput(child.stdout, (text) => /Checkpoint \d+ saved/.test(text) && reachedStep(text, options.step));
  if (options.signal === 'SIGKILL') killTree(child.pid);
  else child.kill('SIGINT');
  return run.done;
}

/** The work tree's files (not .git) with a hash of their contents, to compare two checkouts. */
export function workTree(root: string, dir = ''): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(path.join(root, dir))) {
    if (dir === '' && name === '.git') continue;
    const rel = path.join(dir, name);
    if (statSync(path.join(root, rel)).isDirectory()) Object.assign(files, workTree(root, rel));
    else files[rel] = createHash('sha256').update(readFileSync(path.join(root, rel))).digest('hex');
  }
  return files;
}

/** Deterministic experiment outputs of `bytes` bytes (incompressible, so a checkpoint of them takes real time). */
export function writeOutputs(repo: string, file: string, bytes: number): void {
  const out = path.join(repo, file);
  mkdirSync(path.dirname(out), { recursive: true });
  const chunks: Buffer[] = [];
  let seed = Buffer.from('durable-agent outputs');
  for (let size = 0; size < bytes; size += 64 * 1024) {
    // Chained hashes: cheap, reproducible, and nothing a compressor can shrink.
    const chunk = Buffer.alloc(64 * 1024);
    for (let offset = 0; offset < chunk.length; offset += 64) {
      seed = createHash('sha512').update(seed).digest();
      seed.copy(chunk, offset);
    }
    chunks.push(chunk);
  }
  writeFileSync(out, Buffer.concat(chunks).subarray(0, bytes));
}

export interface KillChainLink {
  readonly runAttempt: number;
  /** The step the run was killed at (or after: the agent may be a little further by then). */
  readonly killAt: number;
  /** progress.txt of the killed run's work tree, as the kill left it. */
  readonly marksAtKill: readonly string[];
  /** The first step the next run asked the model for: where the restored conversation went on. */
  resumedAt: number;
  readonly stdout: string;
}

export interface KillChain {
  readonly links: readonly KillChainLink[];
  readonly final: ActionResult;
  readonly finalResumedAt: number;
}

/**
 * One job re-run again and again: run attempt 1 is killed (SIGKILL of the whole process tree) at
 * step killAt[0], its re-run on a fresh clone at killAt[1], and so on; the last attempt runs to the
 * end. Cheaper than one fresh run per kill point, and each re-run is itself a restored run killed.
 */
export async function runKillChain(
  ws: Workspace,
  origin: string,
  api: ModelApi,
  options: { inputs: Record<string, string>; env: Record<string, string>; killAt: readonly number[]; prepare?: (repo: string) => void },
): Promise<KillChain> {
  const links: KillChainLink[] = [];
  const firstStep = (from: number): number => api.requests.slice(from).find((request) => request.kind === 'conversation')?.step ?? 0;
  for (const [index, killAt] of options.killAt.entries()) {
    const runAttempt = index + 1;
    const runnerTemp = await freshRunner(ws, origin, runAttempt);
    if (runAttempt === 1) options.prepare?.(ws.repo);
    const before = api.requests.length;
    const result = await interruptedRun(ws, options.inputs, { env: options.env, runnerTemp, step: killAt, signal: 'SIGKILL', runAttempt });
    const previous = links.at(-1);
    if (previous) previous.resumedAt = firstStep(before);
    links.push({ runAttempt, killAt, marksAtKill: await ws.marks(), resumedAt: 0, stdout: result.stdout });
  }
  const runAttempt = options.killAt.length + 1;
  const before = api.requests.length;
  const final = await runAction(ws, options.inputs, { env: options.env, runAttempt, runnerTemp: await freshRunner(ws, origin, runAttempt) });
  const last = links.at(-1);
  if (last) last.resumedAt = firstStep(before);
  return { links, final, finalResumedAt: firstStep(before) };
}
