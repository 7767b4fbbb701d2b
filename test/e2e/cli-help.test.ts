/**
 * What `durable-agent` prints when asked for help or its version, and on a usage error: asked for,
 * the answer is the output (stdout, exit 0); not asked for, it is a complaint (stderr, exit 2).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runCli } from '../support/run-cli.js';
import { REPO_ROOT } from '../support/run-action.js';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const VERSION = z.object({ version: z.string() }).parse(JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'))).version;
const durableAgent = (args: string[]) => runCli(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '' }, timeoutMs: 30_000 });

describe('durable-agent', () => {
  it.each([['--version']])('%s prints the version of package.json on stdout, exit 0', async (flag) => {
    const result = await durableAgent([flag]);
    expect(result).toMatchObject({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  it.each([
    [['--help'], 'Usage: durable-agent <command>'],
    [['watchdog', '-h'], 'Usage: durable-agent watchdog'],
  ])('%j prints help on stdout, exit 0', async (args, usage) => {
    const result = await durableAgent(args);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(usage);
    expect(result.stderr).toBe('');
  });

  it.each([
    [[], 'a command is needed\n\nUsage: durable-agent <command>'],
    [['frobnicate'], "unknown command 'frobnicate'\n\nUsage: durable-agent <command>"],
    [['checkpoints'], 'checkpoints: a command is needed\n\nUsage: durable-agent checkpoints'],
    [['watchdog', '--no-such-flag'], "Unknown option '--no-such-flag'"],
  ])('%j is a usage error: says why on stderr, exit 2', async (args, why) => {
    const result = await durableAgent(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(why);
  });
});
