import { describe, expect, it } from 'vitest';
import { readSettings, SettingsError } from '../../src/settings/settings.js';
import { splitShellWords, unclosedQuote } from '../../src/settings/shell-words.js';

// Cases from claude-code-action's own tests (base-action/test/parse-shell-args.test.ts and
// parse-sdk-options.test.ts): the same text must give the same words here.
describe('splitShellWords, as claude-code-action splits claude_args', () => {
  it.each([
    ['', []],
    ['   ', []],
    ['--max-turns 3', ['--max-turns', '3']],
    ['-a -b -c', ['-a', '-b', '-c']],
    ['--config "/path/to/config.json"', ['--config', '/path/to/config.json']],
    ["--config '/path/to/config.json'", ['--config', '/path/to/config.json']],
    ['"arg with spaces"', ['arg with spaces']],
    ['arg\\ with\\ spaces', ['arg with spaces']],
    ['arg\\"with\\"quotes', ['arg"with"quotes']],
    [`--msg "It's a test"`, ['--msg', "It's a test"]],
    [`--msg 'He said "hello"'`, ['--msg', 'He said "hello"']],
    [
      `--max-turns 3 --mcp-config "/Users/john/config.json" --model claude-3-5-sonnet-latest --system-prompt 'You are helpful'`,
      ['--max-turns', '3', '--mcp-config', '/Users/john/config.json', '--model', 'claude-3-5-sonnet-latest', '--system-prompt', 'You are helpful'],
    ],
  ])('%j', (text, words) => {
    expect(splitShellWords(text)).toEqual(words);
  });

  it('drops comment lines and keeps every argument around them', () => {
    expect(splitShellWords("--model 'claude-haiku'\n# comment\n--allowed-tools 'Edit'")).toEqual(['--model', 'claude-haiku', '--allowed-tools', 'Edit']);
    expect(splitShellWords('--max-turns 30\n  # note\n--allowedTools "Read"\n--model x')).toEqual(['--max-turns', '30', '--allowedTools', 'Read', '--model', 'x']);
  });

  it('keeps a # inside a quoted value', () => {
    expect(splitShellWords("--model 'claude-haiku' --prompt 'use color #ff0000'")).toEqual(['--model', 'claude-haiku', '--prompt', 'use color #ff0000']);
  });

  it('ends at an inline # outside quotes, like claude-code-action', () => {
    expect(splitShellWords('--max-turns 3 # three\n--model x')).toEqual(['--max-turns', '3']);
  });

  it('keeps unquoted permission rules whole: ()|&;<> are literal, globs verbatim', () => {
    expect(splitShellWords('--allowedTools View,Bash(gh:*),Bash(cat:*)')).toEqual(['--allowedTools', 'View,Bash(gh:*),Bash(cat:*)']);
    expect(splitShellWords('--allowed-tools Bash(gh:*) Bash(cat:*) Read(//tmp/**)')).toEqual(['--allowed-tools', 'Bash(gh:*)', 'Bash(cat:*)', 'Read(//tmp/**)']);
    expect(splitShellWords('--allowedTools Read(~/file),WebFetch(domain:example.com),Edit')).toEqual(['--allowedTools', 'Read(~/file),WebFetch(domain:example.com),Edit']);
    expect(splitShellWords('--disallowedTools Bash(rm:*),Bash(sudo:*)')).toEqual(['--disallowedTools', 'Bash(rm:*),Bash(sudo:*)']);
    expect(splitShellWords('--allowedTools Bash(a|b) Bash(x&&y;z) Bash(cat<in>out)')).toEqual(['--allowedTools', 'Bash(a|b)', 'Bash(x&&y;z)', 'Bash(cat<in>out)']);
    expect(splitShellWords('--allowedTools "Bash(git log:*)" "Bash(gh pr:*)"')).toEqual(['--allowedTools', 'Bash(git log:*)', 'Bash(gh pr:*)']);
  });

  it('spans lines: flags on several lines, a quoted value over several lines', () => {
    const text = [
      '--permission-mode acceptEdits --allowedTools "Glob,Grep,Read,Bash(git add:*)"',
      '--model claude-opus-4-7',
      '--append-system-prompt "line one',
      'line two"',
    ].join('\n');
    expect(splitShellWords(text)).toEqual(['--permission-mode', 'acceptEdits', '--allowedTools', 'Glob,Grep,Read,Bash(git add:*)', '--model', 'claude-opus-4-7', '--append-system-prompt', 'line one\nline two']);
  });

  it('keeps JSON values in single quotes', () => {
    expect(splitShellWords(`--json-schema '{"type":"object","properties":{"ok":{"type":"boolean"}}}'`)).toEqual([
      '--json-schema',
      '{"type":"object","properties":{"ok":{"type":"boolean"}}}',
    ]);
  });

  it('expands no variable: $NAME outside single quotes becomes nothing, as there', () => {
    expect(splitShellWords(`--a "$HOME" --b '$HOME'`)).toEqual(['--a', '--b', '$HOME']);
  });

  it('refuses an unclosed quote', () => {
    expect(() => splitShellWords('--model "x')).toThrow(/double quote is not closed/);
    expect(() => splitShellWords("--append-system-prompt 'it")).toThrow(/single quote is not closed/);
    expect(unclosedQuote(`--msg "It's" 'a "b"' \\' # it's`)).toBeUndefined();
    // A comment line's quote does not count: the line is gone before the split.
    expect(splitShellWords("--a b\n# don't\n--c")).toEqual(['--a', 'b', '--c']);
  });
});

describe('claude_args as an input', () => {
  const context = { baseDir: '/tmp', tempDir: '/tmp' };
  it('fails with one line naming claude_args when a quote is not closed', () => {
    const read = (): unknown => readSettings((name) => ({ prompt: 'x', claude_args: '--model "x' } as Record<string, string | undefined>)[name], context);
    expect(read).toThrow(SettingsError);
    expect(read).toThrow(/^claude_args: '--model "x' cannot be split into arguments: a double quote is not closed$/);
  });
});
