/**
 * The README's input and output tables, generated from action.yml so the two cannot drift (as
 * actions/checkout generates its usage block). Pure: text in, text out; scripts/docs.ts does the
 * file I/O and the check. Inputs are grouped as `durable-agent run --help` groups its flags; an
 * input no group claims lands in "Other" and is reported, so an input added elsewhere still appears.
 * Each table's markers name the metadata file it comes from, so another action.yml (guard mode)
 * gets its tables by adding markers, not code.
 */
import { parse } from 'yaml';
import { z } from 'zod';
import { AGENTS } from '../src/agents/registry.js';

const ActionSchema = z.object({
  inputs: z.record(z.string(), z.object({ description: z.string(), default: z.union([z.string(), z.number(), z.boolean()]).optional() }).loose()),
  outputs: z.record(z.string(), z.object({ description: z.string() }).loose()),
});

export interface ActionEntry {
  readonly name: string;
  readonly description: string;
  /** Undefined for outputs; '' for an input without a default. */
  readonly default?: string | undefined;
}

export interface ActionMetadata {
  /** In action.yml's order. */
  readonly inputs: readonly ActionEntry[];
  readonly outputs: readonly ActionEntry[];
}

export function parseActionMetadata(yamlText: string): ActionMetadata {
  const action = ActionSchema.parse(parse(yamlText));
  return {
    inputs: Object.entries(action.inputs).map(([name, input]) => ({ name, description: input.description, default: input.default === undefined ? '' : String(input.default) })),
    outputs: Object.entries(action.outputs).map(([name, output]) => ({ name, description: output.description })),
  };
}

interface Group {
  readonly title: string;
  readonly claims: (entry: ActionEntry) => boolean;
}

const named =
  (...names: string[]) =>
  (entry: ActionEntry): boolean =>
    names.includes(entry.name);
const watchdogMode = (entry: ActionEntry): boolean => entry.description.startsWith('Watchdog mode.');
const agentInput = (entry: ActionEntry): boolean => AGENTS.some((agent) => Object.values<string>(agent.inputs).includes(entry.name));

/** The groups of `durable-agent run --help`, then the watchdog's; first claim wins. */
export const INPUT_GROUPS: readonly Group[] = [
  {
    title: 'Agent',
    claims: (entry) =>
      agentInput(entry) ||
      named(
        'agent',
        'prompt',
        'prompt_file',
        'model',
        'anthropic_api_key',
        'claude_code_oauth_token',
        'github_token',
        'settings',
        'use_bedrock',
        'use_vertex',
        'use_foundry',
        'job_status',
        'working_directory',
        'attempt_timeout',
        'idle_timeout',
      )(entry),
  },
  {
    title: 'Retry',
    claims: (entry) =>
      entry.name.startsWith('api_') ||
      named('max_attempts', 'initial_delay', 'max_delay', 'backoff_factor', 'max_retry_time', 'retry_on', 'never_retry_on', 'retry_unknown', 'resume_prompt')(entry),
  },
  {
    title: 'Checkpoints',
    claims: (entry) =>
      entry.name.startsWith('checkpoint_') || named('resume_from', 'restore_agent_config', 'keep_checkpoints', 'retention_days', 'artifact_every_checkpoint', 'secret_values', 'matrix')(entry),
  },
  { title: 'Budget', claims: (entry) => entry.name.startsWith('max_total_') },
  { title: 'Watchdog mode', claims: (entry) => entry.name === 'mode' || watchdogMode(entry) },
];

export const OUTPUT_GROUPS: readonly Group[] = [
  { title: 'Watchdog mode', claims: watchdogMode },
  { title: 'Agent', claims: () => true },
];

const OTHER = 'Other';

export interface Grouped {
  readonly groups: ReadonlyArray<{ readonly title: string; readonly entries: readonly ActionEntry[] }>;
  /** Names that no group claimed (listed under "Other"). */
  readonly unclaimed: readonly string[];
}

export function groupEntries(entries: readonly ActionEntry[], groups: readonly Group[], order: readonly string[] = groups.map((group) => group.title)): Grouped {
  const byTitle = new Map<string, ActionEntry[]>();
  const unclaimed: string[] = [];
  for (const entry of entries) {
    const title = groups.find((group) => group.claims(entry))?.title ?? OTHER;
    if (title === OTHER) unclaimed.push(entry.name);
    byTitle.set(title, [...(byTitle.get(title) ?? []), entry]);
  }
  const titles = [...order, OTHER].filter((title) => byTitle.has(title));
  return { groups: titles.map((title) => ({ title, entries: byTitle.get(title) ?? [] })), unclaimed };
}

/** One table cell: one line, and nothing Markdown would read as markup (intraword `_` is not, in GitHub's Markdown). */
export function cell(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\\`*|<]/g, (char) => `\\${char}`);
}

function code(value: string): string {
  if (value === '') return '';
  // A backtick inside would end a single-backtick span early; a double fence with spaces holds it.
  return value.includes('`') ? `\`\` ${value} \`\`` : `\`${value}\``;
}

/** One table per group, under its title; a single group needs no title. */
function renderGroups(grouped: Grouped, header: readonly string[], row: (entry: ActionEntry) => string): string {
  const titled = grouped.groups.length > 1;
  return grouped.groups.map(({ title, entries }) => [...(titled ? [`#### ${title}`, ''] : []), ...header, ...entries.map(row)].join('\n')).join('\n\n');
}

export function renderInputs(metadata: ActionMetadata): { markdown: string; unclaimed: readonly string[] } {
  const grouped = groupEntries(metadata.inputs, INPUT_GROUPS);
  const markdown = renderGroups(grouped, ['| name | default | meaning |', '|---|---|---|'], (entry) => `| \`${entry.name}\` | ${code(entry.default ?? '')} | ${cell(entry.description)} |`);
  return { markdown, unclaimed: grouped.unclaimed };
}

export function renderOutputs(metadata: ActionMetadata): string {
  // Agent first: the order a reader meets the modes in.
  const grouped = groupEntries(metadata.outputs, OUTPUT_GROUPS, ['Agent', 'Watchdog mode']);
  return renderGroups(grouped, ['| name | meaning |', '|---|---|'], (entry) => `| \`${entry.name}\` | ${cell(entry.description)} |`);
}

export type TableKind = 'inputs' | 'outputs';

/** The markers around one generated table; the file they name is where its rows come from. */
export function markers(kind: TableKind, file: string): { readonly begin: string; readonly end: string } {
  return { begin: `<!-- BEGIN ${kind}: generated from ${file} by \`npm run docs\`; edit ${file}, not this table -->`, end: `<!-- END ${kind}: ${file} -->` };
}

const BEGIN_MARKER = /<!-- BEGIN (inputs|outputs): generated from (\S+) by `npm run docs`; edit \2, not this table -->/g;

export class DocsError extends Error {
  override readonly name = 'DocsError';
}

/** The README with the text between the markers replaced; each marker must be there once, begin before end. */
export function replaceBetweenMarkers(readme: string, marker: { readonly begin: string; readonly end: string }, content: string): string {
  const begin = readme.indexOf(marker.begin);
  const end = readme.indexOf(marker.end);
  if (begin === -1 || end === -1 || end < begin || readme.indexOf(marker.begin, begin + 1) !== -1 || readme.indexOf(marker.end, end + 1) !== -1) {
    throw new DocsError(`README.md needs these markers once each, in this order:\n${marker.begin}\n${marker.end}`);
  }
  return `${readme.slice(0, begin + marker.begin.length)}\n\n${content}\n\n${readme.slice(end)}`;
}

/** Every table the README asks for, by its markers: `[kind, file]`. */
export function tablesAskedFor(readme: string): Array<readonly [TableKind, string]> {
  return [...readme.matchAll(BEGIN_MARKER)].map((match) => [match[1] === 'inputs' ? 'inputs' : 'outputs', match[2] ?? ''] as const);
}

/**
 * The README as it should be: every table between markers rendered from the action metadata file
 * its marker names (action.yml; a guard/action.yml works the same way). Also the inputs no group
 * claimed. `read` returns a file's text by its path relative to the repository.
 */
export function generateReadme(readme: string, read: (file: string) => string): { readme: string; unclaimed: readonly string[] } {
  const tables = tablesAskedFor(readme);
  if (tables.length === 0) throw new DocsError(`README.md has no generated tables; mark each with\n${markers('inputs', 'action.yml').begin}\n${markers('inputs', 'action.yml').end}`);
  let result = readme;
  const unclaimed: string[] = [];
  for (const [kind, file] of tables) {
    if (!/^(?:[\w-]+\/)*action\.ya?ml$/.test(file)) throw new DocsError(`README.md: a generated table names '${file}', which is not an action.yml in this repository`);
    const metadata = parseActionMetadata(read(file));
    if (kind === 'inputs') {
      const inputs = renderInputs(metadata);
      unclaimed.push(...inputs.unclaimed.map((name) => (file === 'action.yml' ? name : `${name} (${file})`)));
      result = replaceBetweenMarkers(result, markers(kind, file), inputs.markdown);
    } else {
      result = replaceBetweenMarkers(result, markers(kind, file), renderOutputs(metadata));
    }
  }
  return { readme: result, unclaimed };
}
