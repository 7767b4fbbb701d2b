import { spawn } from 'node:child_process';

export interface RunOptions {
  readonly cwd?: string | undefined;
  readonly env?: NodeJS.ProcessEnv | undefined;
  readonly input?: string | Buffer | undefined;
  /** Exit codes that count as success (default: only 0). */
  readonly okCodes?: readonly number[] | undefined;
}

export interface RunResult {
  readonly stdout: Buffer;
  readonly stderr: string;
  readonly code: number;
}

/** A command that failed; the message carries the tail of its stderr. */
export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`${command} failed (${code === null ? 'killed' : `exit ${code}`})${stderr.trim() ? `: ${lastLines(stderr)}` : ''}`);
    this.name = 'CommandError';
  }
}

// Enough stderr to explain a failure without holding a chatty command's whole output.
const STDERR_LIMIT = 64 * 1024;

/** Runs a command without a shell, collecting stdout as bytes (bundles, archives and file names are binary-safe). */
export function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const okCodes = options.okCodes ?? [0];
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], {
      cwd: options.cwd,
      // Without one, the child inherits this process's environment.
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      err = (err + chunk.toString('utf8')).slice(-STDERR_LIMIT);
    });
    child.once('error', reject);
    child.once('close', (code) => {
      const label = `${file} ${args.slice(0, 2).join(' ')}`.trim();
      if (code === null || !okCodes.includes(code)) reject(new CommandError(label, code, err));
      else resolve({ stdout: Buffer.concat(out), stderr: err, code });
    });
    // A child that exits early closes the pipe; its exit code tells the story, not EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-5).join(' | ');
}

// Variables that would point git at another repository, index or object store than the one
// we name explicitly (they leak in when durable-agent itself runs from a git hook).
const GIT_LOCATION_VARIABLES = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR',
  'GIT_NAMESPACE',
  'GIT_CEILING_DIRECTORIES',
  'GIT_PREFIX',
];

/**
 * The environment for our git commands: the process's, minus repository overrides, plus `extra`.
 * Like the agent's child environment, this is what a child inherits, not a fact of the run: so it
 * starts from this process's own environment rather than from the run context.
 */
export function gitEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of GIT_LOCATION_VARIABLES) env[name] = undefined;
  // Never prompt (no terminal in CI), never take optional locks on the user's index, and keep
  // messages in English so errors read the same everywhere.
  return { ...stripUndefined(env), GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C', ...extra };
}

function stripUndefined(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
}

/** Runs git in `cwd`; stdout as text without the trailing newline. */
export async function git(cwd: string, args: readonly string[], extraEnv: Readonly<Record<string, string>> = {}, input?: string | Buffer): Promise<string> {
  const { stdout } = await run('git', args, { cwd, env: gitEnv(extraEnv), input });
  return stdout.toString('utf8').replace(/\n$/, '');
}

/** Runs git and reports whether it exited 0 (for the yes/no plumbing commands: `cat-file -e`, `merge-base --is-ancestor`). */
export async function gitSucceeds(cwd: string, args: readonly string[], extraEnv: Readonly<Record<string, string>> = {}): Promise<boolean> {
  try {
    await run('git', args, { cwd, env: gitEnv(extraEnv) });
    return true;
  } catch (error) {
    if (error instanceof CommandError) return false;
    throw error;
  }
}
