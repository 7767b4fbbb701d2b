import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { Outputs } from '../../src/names.js';
import { INPUT_DEFAULTS } from '../../src/settings/settings.js';

const actionSchema = z.object({
  runs: z.object({ using: z.string(), main: z.string(), post: z.string(), 'post-if': z.string() }),
  inputs: z.record(z.string(), z.object({ description: z.string(), default: z.string().optional() })),
  outputs: z.record(z.string(), z.object({ description: z.string() })),
});
const action = actionSchema.parse(parse(readFileSync('action.yml', 'utf8')));
const readme = readFileSync('README.md', 'utf8');

/** Rows of the markdown table under a heading: the name in backticks, then the other cells. */
function tableRows(heading: string): Array<[string, string[]]> {
  const start = readme.indexOf(`\n${heading}\n`);
  expect(start, `README has a "${heading}" section`).toBeGreaterThan(-1);
  const section = readme.slice(start + heading.length + 2).split(/\n#{1,3} /)[0] ?? '';
  return [...section.matchAll(/^\|\s*`([a-z_]+)`\s*\|(.*)\|\s*$/gm)].map((match) => [
    match[1] ?? '',
    (match[2] ?? '').split('|').map((cell) => cell.trim()),
  ]);
}
const tableNames = (heading: string): string[] => tableRows(heading).map(([name]) => name);

describe('action.yml', () => {
  it('runs on node24 with a post step that always runs', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/main.js', post: 'dist/post.js', 'post-if': 'always()' });
  });

  it('declares exactly the inputs the settings read, with the same defaults', () => {
    const declared = Object.fromEntries(Object.entries(action.inputs).map(([name, input]) => [name, input.default ?? '']));
    expect(declared).toEqual({ ...INPUT_DEFAULTS });
  });

  it('declares exactly the outputs the action sets', () => {
    expect(Object.keys(action.outputs).sort()).toEqual(Object.values(Outputs).sort());
  });
});

describe('README', () => {
  it('documents every input of action.yml and no other', () => {
    expect(tableNames('### Inputs').sort()).toEqual(Object.keys(action.inputs).sort());
  });

  it('gives the same defaults as action.yml', () => {
    const defaults = Object.fromEntries(tableRows('### Inputs').map(([name, cells]) => [name, (cells[0] ?? '').replace(/^`|`$/g, '')]));
    expect(defaults).toEqual({ ...INPUT_DEFAULTS });
  });

  it('documents every output of action.yml and no other', () => {
    expect(tableNames('### Outputs').sort()).toEqual(Object.keys(action.outputs).sort());
  });
});
