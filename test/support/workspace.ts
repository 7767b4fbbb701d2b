import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const GIT_IDENTITY = {
  GIT_AUTHOR_NAME: 'durable-agent tests',
  GIT_AUTHOR_EMAIL: 'tests@durable-agent.invalid',
  GIT_COMMITTER_NAME: 'durable-agent tests',
  GIT_COMMITTER_EMAIL: 'tests@durable-agent.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
};

export interface Workspace {
  /** Temp root holding everything below. */
  readonly root: string;
  /** The checkout the agent works in (GITHUB_WORKSPACE). */
  readonly repo: string;
  /** RUNNER_TEMP. */
  readonly runnerTemp: string;
  readonly home: string;
  git(...args: string[]): Promise<string>;
  read(file: string): Promise<string>;
  /** Lines of the progress file the scripted conversation appends to. */
  marks(file?: string): Promise<string[]>;
  dispose(): Promise<void>;
}

/** A fresh git repository with one commit, and the folders a runner would give a job. */
export async function createWorkspace(): Promise<Workspace> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'durable-e2e-'));
  const repo = path.join(root, 'repo');
  const git = async (...args: string[]): Promise<string> => {
    const { stdout } = await run('git', args, { cwd: repo, env: { ...process.env, ...GIT_IDENTITY, HOME: path.join(root, 'home') } });
    return stdout;
  };
  await run('mkdir', ['-p', repo, path.join(root, 'runner-temp'), path.join(root, 'home')]);
  await git('init', '-q', '-b', 'main');
  await run('sh', ['-c', 'printf "# demo\\n" > README.md'], { cwd: repo });
  await git('add', '-A');
  await git('commit', '-q', '-m', 'initial');
  const read = (file: string): Promise<string> => readFile(path.join(repo, file), 'utf8');
  return {
    root,
    repo,
    runnerTemp: path.join(root, 'runner-temp'),
    home: path.join(root, 'home'),
    git,
    read,
    marks: async (file = 'progress.txt') => {
      try {
        return (await read(file)).split('\n').filter(Boolean);
      } catch {
        return [];
      }
    },
    dispose: () => rm(root, { recursive: true, force: true }),
  };
}
