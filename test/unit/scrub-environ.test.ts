import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { environBounds, environValueRanges } from '../../src/runner/scrub-environ.js';

describe('environ scrubbing', () => {
  it('finds the values of the chosen variables in an environment block', () => {
    const block = Buffer.from('PATH=/bin\0INPUT_ANTHROPIC_API_KEY=sk-1\0EMPTY=\0ACTIONS_RUNTIME_TOKEN=t=2\0');
    const ranges = environValueRanges(block, (name) => name.startsWith('INPUT_') || name === 'ACTIONS_RUNTIME_TOKEN' || name === 'EMPTY');
    expect(ranges.map((range) => [range.name, block.toString('utf8', range.offset, range.offset + range.length)])).toEqual([
      ['INPUT_ANTHROPIC_API_KEY', 'sk-1'],
      ['ACTIONS_RUNTIME_TOKEN', 't=2'],
    ]);
  });

  it('reads env_start and env_end even when the command name holds spaces and parentheses', () => {
    const fields = Array.from({ length: 52 }, (_, index) => String(index + 1));
    fields[49] = '140000';
    fields[50] = '140100';
    const stat = `1234 (node (x) y) ${fields.slice(2).join(' ')}`;
    expect(environBounds(stat)).toEqual({ start: 140000, end: 140100 });
  });

  it.runIf(process.platform === 'linux')('hides the values from /proc/<pid>/environ while the process still reads them', () => {
    const script = `
      import { readFileSync } from 'node:fs';
      const { scrubOwnEnviron } = await import(${JSON.stringify(path.resolve('src/runner/scrub-environ.ts'))});
      const result = scrubOwnEnviron((name) => name.startsWith('INPUT_'));
      const environ = readFileSync('/proc/self/environ', 'utf8');
      console.log(JSON.stringify({ result, shown: environ.includes('sk-scrub-me'), kept: process.env.INPUT_ANTHROPIC_API_KEY, other: process.env.OTHER }));`;
    const output = execFileSync(process.execPath, ['--experimental-strip-types', '--no-warnings', '--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH ?? '', INPUT_ANTHROPIC_API_KEY: 'sk-scrub-me', OTHER: 'kept' },
      encoding: 'utf8',
    });
    expect(JSON.parse(output)).toEqual({ result: { scrubbed: ['INPUT_ANTHROPIC_API_KEY'] }, shown: false, kept: 'sk-scrub-me', other: 'kept' });
  });
});
