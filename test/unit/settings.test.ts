import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
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
    expect(settings.home.root).toBe('/tmp/runner/durable-agent');
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

  it('needs no prompt for a caller that starts no agent (the checkpoints commands)', () => {
    const inputs: Partial<Record<InputName, string>> = { checkpoint_id: 'nightly' };
    const settings = readSettings((name) => inputs[name], { ...context, startsAgent: false });
    expect(settings.prompt).toBe('');
    expect(settings.checkpoint.id).toBe('nightly');
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

  it('takes shell operators in agent arguments as literal characters (no shell runs them)', () => {
    expect(read({ prompt: 'x', claude_args: '--foo; rm -rf /' }).agentArgs).toEqual(['--foo;', 'rm', '-rf', '/']);
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
  it('expands no variables (as claude-code-action) and handles escapes and newlines', () => {
    expect(splitShellWords(`--a '$HOME' \\\n --b 'x y'\n--c`)).toEqual(['--a', '$HOME', '--b', 'x y', '--c']);
  });
});

describe('bad inputs fail at start with one line naming the input, the value and what is allowed', () => {
  const inWorkspace = (inputs: Partial<Record<InputName, string>>) => readSettings((name) => inputs[name], { ...context, workspace: '/work/repo' });

  it('refuses a working_directory outside the workspace', () => {
    expect(() => inWorkspace({ prompt: 'x', working_directory: '../elsewhere' })).toThrow(new SettingsError("working_directory: '../elsewhere' is outside the workspace /work/repo (give a folder inside it)"));
    expect(inWorkspace({ prompt: 'x', working_directory: 'sub' }).workingDirectory).toBe('/work/repo/sub');
  });

  it.each(['/etc/passwd', '../outside/**', 'out/../../x'])('refuses the checkpoint path %j', (pattern) => {
    expect(() => read({ prompt: 'x', checkpoint_paths: `results/**\n${pattern}` })).toThrow(/^checkpoint_paths: checkpoint path '.*' must (?:be relative to the workspace|not contain '\.\.') \(give globs relative to working_directory, inside the workspace\)$/);
  });

  it('refuses a checkpoint_dir inside the work tree', () => {
    const repo = mkdtempSync(path.join(os.tmpdir(), 'settings-repo-'));
    mkdirSync(path.join(repo, '.git'));
    mkdirSync(path.join(repo, 'sub'));
    const inputs = { prompt: 'x', working_directory: path.join(repo, 'sub'), checkpoint_dir: path.join(repo, 'ckpt') };
    expect(() => readSettings((name) => (inputs as Record<string, string>)[name], context)).toThrow(
      new SettingsError(`checkpoint_dir: '${inputs.checkpoint_dir}' is inside the work tree ${repo} (give a folder outside it, such as one under RUNNER_TEMP)`),
    );
    const outside = { ...inputs, checkpoint_dir: `${repo}-checkpoints` };
    expect(readSettings((name) => (outside as Record<string, string>)[name], context).checkpoint.dir).toBe(`${repo}-checkpoints`);
  });

  it("refuses durations past Node's timer limit", () => {
    expect(() => read({ prompt: 'x', attempt_timeout: '600h' })).toThrow(new SettingsError("attempt_timeout: '600h' is longer than 596h31m (the longest delay Node's timers take)"));
    expect(() => read({ prompt: 'x', checkpoint_interval: '3000000' })).toThrow(/^checkpoint_interval: '3000000' is longer than/);
    expect(read({ prompt: 'x', attempt_timeout: '596h' }).attemptTimeoutMs).toBe(596 * 3_600_000);
  });

  it('accepts compound durations as the log prints them', () => {
    expect(read({ prompt: 'x', attempt_timeout: '1h30m', idle_timeout: '2m30s' })).toMatchObject({ attemptTimeoutMs: 5_400_000, idleTimeoutMs: 150_000 });
  });

  it('refuses secret_values shorter than 4 characters without echoing them', () => {
    try {
      read({ prompt: 'x', secret_values: 'long-enough\nab1' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toBe('secret_values: a value of 3 character(s) is too short to look for (at least 4; the value is not shown)');
    }
  });

  it('validates the watchdog inputs in agent mode too', () => {
    expect(() => read({ prompt: 'x', max_run_attempts: 'many' })).toThrow(new SettingsError("max_run_attempts: 'many' is not a whole number from 1 to 50"));
    expect(() => read({ prompt: 'x', rerun_delay: 'later' })).toThrow(/^rerun_delay: 'later' is not a duration/);
    expect(() => read({ prompt: 'x', rerun_on: '(' })).toThrow(/^rerun_on: '\(' is not a valid regular expression/);
    expect(() => read({ prompt: 'x', run_id: 'abc' })).toThrow(new SettingsError("run_id: 'abc' is not a run id (a number)"));
  });

  it('refuses an unbalanced quote in claude_args', () => {
    expect(() => read({ prompt: 'x', claude_args: '--allowedTools "Bash' })).toThrow(
      new SettingsError(`claude_args: '--allowedTools "Bash' cannot be split into arguments: a double quote is not closed`),
    );
    expect(() => read({ prompt: 'x', claude_args: `--append-system-prompt don\\'t\n# don't mind this comment` })).not.toThrow();
  });
});

describe('parseDuration, compounds', () => {
  it.each([
    ['1h30m', 5_400_000],
    ['2m30s', 150_000],
    ['1h 5m 10s', 3_910_000],
    ['1s500ms', 1500],
  ])('%s', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['1m1m', 'h1', '1h30'])('rejects %j', (text) => expect(parseDuration(text)).toBeUndefined());
});
