import { spawn } from 'node:child_process';

export type CliEvent = Record<string, unknown>;

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** The JSON lines of stdout, parsed. */
  events: CliEvent[];
}

/** Runs an agent CLI directly (not through durable-agent), bounded by a timeout, and collects its output. */
export function runCli(command: string, args: string[], options: { cwd: string; env: Record<string, string>; timeoutMs: number }): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    // An open stdin pipe hangs `opencode run`; neither CLI needs one.
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const timeout = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    }, options.timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => {
      clearTimeout(timeout);
      clearTimeout(killTimer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timeout);
      clearTimeout(killTimer);
      const events = stdout
        .split('\n')
        .filter((line) => line.trim().startsWith('{'))
        .map((line) => JSON.parse(line) as CliEvent);
      resolve({ code, signal, timedOut, stdout, stderr, events });
    });
  });
}
