import { spawn } from 'node:child_process';
import { batchBytes, LineBatcher, type LineBatch } from './line-batcher.js';
import { TailBuffer } from './tail-buffer.js';

export interface SuperviseOptions {
  readonly file: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly attemptTimeoutMs: number;
  /** No output on stdout or stderr for this long ends the child; 0 disables. */
  readonly idleTimeoutMs: number;
  readonly killGraceMs: number;
  /** Aborting (the action was cancelled) ends the child's whole process group. */
  readonly signal?: AbortSignal | undefined;
  /**
   * The stdout lines of each read (views of the bytes, not decoded), with their raw bytes; awaited,
   * so a slow consumer slows the reader instead of buffering.
   */
  readonly onBatch?: ((batch: LineBatch) => void | Promise<void>) | undefined;
  /** Each stdout line, decoded, after `onBatch` had its batch; awaited like it. */
  readonly onLine?: ((line: string) => void | Promise<void>) | undefined;
  /** A line longer than this is passed on in `onBatch`'s bytes but not read. */
  readonly maxLineBytes?: number | undefined;
  readonly onStderr?: ((text: string) => void) | undefined;
}

export type StopCause = 'attempt_timeout' | 'idle_timeout' | 'cancelled';

export interface ChildOutcome {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Why we ended the child, when we did. */
  readonly stoppedBy: StopCause | undefined;
  /** The last 64 KiB of stdout and stderr together, as they came. */
  readonly tail: string;
  readonly durationMs: number;
  readonly spawnError: string | undefined;
  readonly pid: number | undefined;
}

/**
 * Runs the agent in its own process group and watches it: stdout in batches of lines in bounded memory,
 * idle and overall timeouts, and cancellation. Stopping sends SIGTERM to the group (OpenCode can
 * lose its session on SIGKILL), then SIGKILL after the grace period.
 */
export async function supervise(options: SuperviseOptions): Promise<ChildOutcome> {
  const started = Date.now();
  const tail = new TailBuffer();
  const child = spawn(options.file, [...options.args], {
    cwd: options.cwd,
    env: { ...options.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  let stoppedBy: StopCause | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  let exited = false;
  const stop = (cause: StopCause): void => {
    if (stoppedBy !== undefined || exited) return;
    stoppedBy = cause;
    signalGroup(child.pid, 'SIGTERM');
    killTimer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), options.killGraceMs);
  };

  let idleTimer: NodeJS.Timeout | undefined;
  const touch = (): void => {
    if (options.idleTimeoutMs <= 0 || stoppedBy !== undefined) return;
    if (idleTimer) idleTimer.refresh();
    else idleTimer = setTimeout(() => stop('idle_timeout'), options.idleTimeoutMs);
  };
  const attemptTimer = setTimeout(() => stop('attempt_timeout'), options.attemptTimeoutMs);
  const onAbort = (): void => stop('cancelled');
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  // A tool's background job can hold stdout open after the agent exits; ending the group lets the
  // reader finish. Output already in the pipe is still read.
  child.once('exit', () => {
    exited = true;
    signalGroup(child.pid, 'SIGKILL');
  });

  touch();
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    touch();
    tail.push(chunk);
    options.onStderr?.(chunk);
  });

  const batcher = new LineBatcher(options.maxLineBytes);
  const consume = async (batch: LineBatch): Promise<void> => {
    tail.pushBytes(batchBytes(batch));
    await options.onBatch?.(batch);
    if (options.onLine !== undefined) for (const line of batch.lines) await options.onLine(line.toString('utf8'));
  };
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    touch();
    await consume(batcher.push(chunk));
  }
  await consume(batcher.end());

  const result = await exit;
  clearTimeout(attemptTimer);
  if (idleTimer) clearTimeout(idleTimer);
  if (killTimer) clearTimeout(killTimer);
  options.signal?.removeEventListener('abort', onAbort);

  return {
    exitCode: result.code,
    signal: result.signal,
    stoppedBy,
    tail: tail.toString(),
    durationMs: Date.now() - started,
    spawnError: result.error ? result.error.message : undefined,
    pid: child.pid,
  };
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}
