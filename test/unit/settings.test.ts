import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/settings/duration.js';
import { readSettings, SettingsError, type InputName } from '../../src/settings/settings.js';
import { splitShellWords } from '../../src/settings/shell-words.js';

const context = { baseDir: '/work/repo', tempDir: '/tmp/runner' };
const read = (inputs: Partial<Record<InputName, string>>) => readSettings((name) => inputs[name], context);

describe('readSettings', () => {
  it('fills defaults and resolves paths', () => {
    const settings = read({ prompt: 'fix the bug' });
    expect(settings.agent).toBe('claude');
    expect(settings.workingDirectory).toBe('/work/repo');
    expect(settings.idleTimeoutMs).toBe(15 * 60_000);
    expect(settings.attemptTimeoutMs).toBe(6 * 3_600_000);
    expect(settings.homeDir).toBe('/tmp/runner/durable-agent');
    expect(settings.cliVersion).toBe('2.1.331');
    expect(Object.isFrozen(settings)).toBe(true);
  });

  it('names the input, the value and the allowed values', () => {
    expect(() => read({ prompt: 'x', agent: 'gpt' })).toThrow(new SettingsError("agent: 'gpt' is not one of claude, opencode"));
  });

  it('rejects a bad duration naming the input', () => {
    expect(() => read({ prompt: 'x', idle_timeout: '5 minutes' })).toThrow(/^idle_timeout: '5 minutes' is not a duration/);
  });

  it('reads api_retry_time: 30m by default, 0 turns the outage hold off', () => {
    expect(read({ prompt: 'x' }).apiProxy.retryTimeMs).toBe(30 * 60_000);
    expect(read({ prompt: 'x', api_retry_time: '0' }).apiProxy.retryTimeMs).toBe(0);
    expect(read({ prompt: 'x', api_retry_time: '2h' }).apiProxy.retryTimeMs).toBe(2 * 3_600_000);
    expect(() => read({ prompt: 'x', api_retry_time: 'forever' })).toThrow(/^api_retry_time: 'forever' is not a duration/);
  });

  it('reports every bad input at once', () => {
    try {
      read({ prompt: 'x', agent: 'gpt', attempt_timeout: 'soon' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message.split('\n')).toEqual([
        "agent: 'gpt' is not one of claude, opencode",
        expect.stringMatching(/^attempt_timeout: 'soon' is not a duration/),
      ]);
    }
  });

  it('requires a prompt', () => {
    expect(() => read({})).toThrow(/^prompt: a prompt is required/);
  });

  it('reads prompt_file relative to the working directory', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'settings-'));
    writeFileSync(path.join(dir, 'task.md'), 'do the thing\n');
    const settings = readSettings((name) => ({ prompt_file: 'task.md', working_directory: dir })[name as string], context);
    expect(settings.prompt).toBe('do the thing\n');
    expect(() => readSettings((name) => ({ prompt_file: 'missing.md', working_directory: dir })[name as string], context)).toThrow(
      /^prompt_file: 'missing.md' cannot be read \(ENOENT\)/,
    );
  });

  it('splits the agent arguments of the chosen agent like a shell', () => {
    const settings = read({ prompt: 'x', claude_args: `--allowedTools "Bash,Edit" --append-system-prompt 'be brief'`, opencode_args: '--ignored' });
    expect(settings.agentArgs).toEqual(['--allowedTools', 'Bash,Edit', '--append-system-prompt', 'be brief']);
    const opencode = read({ prompt: 'x', agent: 'opencode', opencode_args: '--model local/x' });
    expect(opencode.agentArgs).toEqual(['--model', 'local/x']);
    expect(opencode.cliVersion).toBe('1.18.33');
  });

  it('refuses shell operators in agent arguments', () => {
    expect(() => read({ prompt: 'x', claude_args: '--foo; rm -rf /' })).toThrow(/^claude_args: .*shell operator ';'/);
  });
});

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['500ms', 500],
    ['30', 30_000],
    ['1.5h', 5_400_000],
  ])('%s', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['', 'abc', '5 minutes', '-1s', '1d'])('rejects %j', (text) => expect(parseDuration(text)).toBeUndefined());
});

describe('splitShellWords', () => {
  it('keeps variables literal and handles escapes and newlines', () => {
    expect(splitShellWords(`--a "$HOME" \\\n --b 'x y'\n--c`)).toEqual(['--a', '$HOME', '--b', 'x y', '--c']);
  });
});
