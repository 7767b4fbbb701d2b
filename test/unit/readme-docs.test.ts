import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cell, DocsError, generateReadme, groupEntries, INPUT_GROUPS, MARKERS, parseActionMetadata, renderInputs, replaceBetweenMarkers } from '../../scripts/readme-docs.js';

const actionYaml = readFileSync('action.yml', 'utf8');
const readme = readFileSync('README.md', 'utf8');

describe('the README tables', () => {
  it('are exactly what npm run docs generates from action.yml', () => {
    // On failure: run `npm run docs` and commit README.md (CI runs `npm run docs -- --check`).
    expect(generateReadme(readme, actionYaml).readme).toBe(readme);
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
    const text = `intro\n${MARKERS.inputs.begin}\nold\n${MARKERS.inputs.end}\noutro\n`;
    expect(replaceBetweenMarkers(text, MARKERS.inputs, 'new')).toBe(`intro\n${MARKERS.inputs.begin}\n\nnew\n\n${MARKERS.inputs.end}\noutro\n`);
    expect(() => replaceBetweenMarkers('no markers', MARKERS.inputs, 'new')).toThrow(DocsError);
    expect(() => replaceBetweenMarkers(`${MARKERS.inputs.end}\n${MARKERS.inputs.begin}`, MARKERS.inputs, 'new')).toThrow(/in this order/);
  });

  it('is stable: generating twice changes nothing', () => {
    const once = generateReadme(readme, actionYaml).readme;
    expect(generateReadme(once, actionYaml).readme).toBe(once);
  });
});

describe('examples/', () => {
  it('holds the workflows the README shows, as the README shows them', () => {
    const shown = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1]);
    for (const file of ['agent.yml', 'watchdog.yml']) expect(shown).toContain(readFileSync(`examples/${file}`, 'utf8'));
  });
});
