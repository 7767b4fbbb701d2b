import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cell, DocsError, generateReadme, groupEntries, INPUT_GROUPS, markers, parseActionMetadata, renderInputs, replaceBetweenMarkers, tablesAskedFor } from '../../scripts/readme-docs.js';

const actionYaml = readFileSync('action.yml', 'utf8');
const readme = readFileSync('README.md', 'utf8');
const read = (file: string): string => readFileSync(file, 'utf8');

describe('the README tables', () => {
  it('are exactly what npm run docs generates from action.yml and guard/action.yml', () => {
    // On failure: run `npm run docs` and commit README.md (CI runs `npm run docs -- --check`).
    expect(tablesAskedFor(readme)).toEqual([
      ['inputs', 'action.yml'],
      ['outputs', 'action.yml'],
      ['inputs', 'guard/action.yml'],
      ['outputs', 'guard/action.yml'],
    ]);
    expect(generateReadme(readme, read).readme).toBe(readme);
  });

  it('list every input of action.yml once, each in a group of its own', () => {
    const metadata = parseActionMetadata(actionYaml);
    const grouped = groupEntries(metadata.inputs, INPUT_GROUPS);
    expect(grouped.groups.flatMap((group) => group.entries.map((entry) => entry.name)).sort()).toEqual(metadata.inputs.map((input) => input.name).sort());
    expect(grouped.unclaimed).toEqual([]);
  });
});

describe('the generator', () => {
  const yaml = (inputs: string): string => `name: x\ndescription: x\ninputs:\n${inputs}\noutputs:\n  done:\n    description: Watchdog mode. Yes.\n  other:\n    description: A | B\nruns:\n  using: node24\n  main: x.js\n`;

  it('puts an input no group knows under Other, in action.yml order, and says so', () => {
    const metadata = parseActionMetadata(yaml(`  brand_new:\n    description: New.\n  checkpoint_speed:\n    description: Fast.\n    default: '2'\n  agent:\n    description: Which.\n    default: claude`));
    const { markdown, unclaimed } = renderInputs(metadata);
    expect(unclaimed).toEqual(['brand_new']);
    expect(markdown.split('\n').filter((line) => line.startsWith('#### ') || line.startsWith('| `'))).toEqual([
      '#### Agent',
      '| `agent` | `claude` | Which. |',
      '#### Checkpoints',
      '| `checkpoint_speed` | `2` | Fast. |',
      '#### Other',
      '| `brand_new` |  | New. |',
    ]);
  });

  it('keeps a description in one cell of one line, whatever it holds', () => {
    expect(cell('Globs such as results/** or *.ckpt;\n  a | b, <b>, `x`')).toBe('Globs such as results/\\*\\* or \\*.ckpt; a \\| b, \\<b>, \\`x\\`');
  });

  it('replaces only what is between the markers, and refuses a README without them', () => {
    const marker = markers('inputs', 'action.yml');
    const text = `intro\n${marker.begin}\nold\n${marker.end}\noutro\n`;
    expect(replaceBetweenMarkers(text, marker, 'new')).toBe(`intro\n${marker.begin}\n\nnew\n\n${marker.end}\noutro\n`);
    expect(() => replaceBetweenMarkers('no markers', marker, 'new')).toThrow(DocsError);
    expect(() => replaceBetweenMarkers(`${marker.end}\n${marker.begin}`, marker, 'new')).toThrow(/in this order/);
    expect(() => generateReadme('no markers', read)).toThrow(/no generated tables/);
  });

  it('renders the tables of any action.yml a marker names, and no other file', () => {
    const guard = markers('inputs', 'guard/action.yml');
    const files: Record<string, string> = { 'guard/action.yml': yaml(`  only:\n    description: One.`) };
    expect(generateReadme(`${guard.begin}\n${guard.end}\n`, (file) => files[file] ?? '').readme).toBe(`${guard.begin}\n\n| name | default | meaning |\n|---|---|---|\n| \`only\` |  | One. |\n\n${guard.end}\n`);
    const sneaky = markers('inputs', '../secrets.yml');
    expect(() => generateReadme(`${sneaky.begin}\n${sneaky.end}\n`, read)).toThrow(/not an action.yml/);
  });

  it('is stable: generating twice changes nothing', () => {
    const once = generateReadme(readme, read).readme;
    expect(generateReadme(once, read).readme).toBe(once);
  });
});

describe('examples/', () => {
  it('holds the workflows the README shows, as the README shows them', () => {
    const shown = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1]);
    for (const file of ['agent.yml', 'watchdog.yml', 'claude-code-action-guarded.yml']) expect(shown).toContain(readFileSync(`examples/${file}`, 'utf8'));
  });
});
