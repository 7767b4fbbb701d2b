import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_RESUME_PROMPT } from '../runner/next-launch.js';
import type { RetryPolicy } from '../runner/retry-policy.js';
import type { Provider } from '../agents/provider-route.js';
import { AGENT_NAMES, AGENTS, agentNamed, type Agent, type AgentInputName, type AgentName } from '../agents/registry.js';
import { parseClaudeSettings } from './claude-settings.js';
import { parseCheckpointPaths } from '../checkpoint/safe-paths.js';
import { formatDuration } from '../format.js';
import { MAX_TIMER_MS, parseDuration } from './duration.js';
import { splitShellWords } from './shell-words.js';
import { homeLayout, type HomeLayout } from '../home-layout.js';
import { errorMessage } from '../error-message.js';

export const CHECKPOINT_STORES = ['both', 'cache', 'artifact', 'local', 'none'] as const;
export type CheckpointStoreChoice = (typeof CHECKPOINT_STORES)[number];
export const RESUME_FROM = ['run', 'branch', 'none'] as const;
export const MODES = ['agent', 'watchdog'] as const;
export type { AgentName } from '../agents/registry.js';

/** Each agent's own inputs (src/agents/registry.ts): no extra arguments, its pinned version, no path. */
function agentInputDefaults(): Record<AgentInputName, string> {
  return Object.fromEntries(AGENTS.flatMap((agent) => [[agent.inputs.args, ''], [agent.inputs.version, agent.pinnedVersion], [agent.inputs.path, '']])) as Record<AgentInputName, string>;
}

/**
 * Defaults of every input, shared by the action (action.yml repeats them; a test keeps the two
 * equal) and the CLI.
 */
export const INPUT_DEFAULTS = {
  agent: AGENTS[0].name,
  prompt: '',
  prompt_file: '',
  ...agentInputDefaults(),
  model: '',
  anthropic_api_key: '',
  claude_code_oauth_token: '',
  // The job's token, as claude-code-action uses it when none is given.
  github_token: '${{ github.token }}',
  settings: '',
  use_bedrock: 'false',
  use_vertex: 'false',
  use_foundry: 'false',
  working_directory: '.',
  attempt_timeout: '6h',
  idle_timeout: '15m',
  max_attempts: '5',
  initial_delay: '10s',
  max_delay: '5m',
  backoff_factor: '2',
  max_retry_time: '2h',
  retry_on: '',
  never_retry_on: '',
  retry_unknown: 'true',
  resume_prompt: '',
  api_proxy: 'true',
  api_retry_attempts: '5',
  api_max_delay: '30s',
  api_retry_time: '30m',
  checkpoint_store: 'both',
  checkpoint_dir: '',
  checkpoint_paths: '',
  checkpoint_interval: '10m',
  checkpoint_min_gap: '2m',
  checkpoint_id: '',
  resume_from: 'run',
  restore_agent_config: 'false',
  keep_checkpoints: '5',
  retention_days: '7',
  artifact_every_checkpoint: 'false',
  secret_values: '',
  checkpoint_signing_key: '',
  matrix: '${{ toJSON(matrix) }}',
  max_total_cost_usd: '0',
  max_total_turns: '0',
  mode: 'agent',
  max_run_attempts: '3',
  rerun_delay: '1m',
  github_retry_time: '3m',
  rerun_on: '',
  watched_workflows: '',
  run_id: '',
} as const;
export type InputName = keyof typeof INPUT_DEFAULTS;
export const INPUT_NAMES = Object.keys(INPUT_DEFAULTS) as InputName[];

export interface Secrets {
  readonly anthropicApiKey: string | undefined;
  readonly claudeCodeOauthToken: string | undefined;
  readonly githubToken: string | undefined;
  /** `checkpoint_signing_key`: manifests are signed with it, and unsigned ones refused. */
  readonly checkpointSigningKey: string | undefined;
}

export interface Settings {
  readonly agent: AgentName;
  readonly prompt: string;
  readonly agentArgs: readonly string[];
  readonly model: string | undefined;
  readonly secrets: Secrets;
  /** claude-code-action's use_bedrock / use_vertex / use_foundry; Claude Code only. */
  readonly provider: Provider;
  /** The `settings` input, parsed: merged into Claude Code's settings.json. */
  readonly claudeSettings: Readonly<Record<string, unknown>> | undefined;
  readonly workingDirectory: string;
  readonly cliVersion: string;
  readonly cliPath: string | undefined;
  readonly attemptTimeoutMs: number;
  readonly idleTimeoutMs: number;
  /** Grace between SIGTERM and SIGKILL; GitHub allows 7.5 s after its SIGINT, so stay below. */
  readonly killGraceMs: number;
  /** Folders the action owns (home.root, private): the agent's state, the execution file, installed CLIs. */
  readonly home: HomeLayout;
  readonly retry: RetryPolicy;
  readonly retryOn: readonly RegExp[];
  readonly neverRetryOn: readonly RegExp[];
  readonly retryUnknown: boolean;
  readonly resumePrompt: string;
  readonly apiProxy: {
    readonly enabled: boolean;
    /** Tries per API request, the first included. */
    readonly attempts: number;
    readonly maxDelayMs: number;
    /** How long a streaming request is held (SSE pings) through an outage; 0 turns holds off. */
    readonly retryTimeMs: number;
  };
  readonly checkpoint: CheckpointSettings;
  /** Bounds over every attempt and re-run of the lineage; 0 means none. */
  readonly budget: { readonly maxTotalCostUsd: number; readonly maxTotalTurns: number };
}

export interface CheckpointSettings {
  readonly store: CheckpointStoreChoice;
  /** Root of the local store. */
  readonly dir: string;
  /** Newline-separated globs relative to the working directory (experiment outputs). */
  readonly paths: string;
  readonly intervalMs: number;
  readonly minGapMs: number;
  /** Tells apart the checkpoints of jobs and matrix legs; part of the lineage. */
  readonly id: string;
  readonly resumeFrom: (typeof RESUME_FROM)[number];
  /** Let a restore change the agent configuration of the work tree (`.claude/`, `.mcp.json`, `opencode.json`). */
  readonly restoreAgentConfig: boolean;
  readonly keep: number;
  readonly retentionDays: number;
  readonly artifactEveryCheckpoint: boolean;
  /** Values never to be stored, besides the secrets of the inputs. */
  readonly secretValues: readonly string[];
}

/** Where raw input values come from: action inputs (`core.getInput`) or CLI flags. */
export type InputSource = (name: InputName) => string | undefined;

export interface SettingsContext {
  /** Folder relative working directories resolve against (GITHUB_WORKSPACE or the shell's cwd). */
  readonly baseDir: string;
  /** Folder for the action's own files (RUNNER_TEMP or the OS temp folder). */
  readonly tempDir: string;
  /** GITHUB_JOB, for the default checkpoint id. */
  readonly job?: string | undefined;
  /** GITHUB_WORKSPACE: the working directory and the checkpoint paths must stay inside it. */
  readonly workspace?: string | undefined;
  /** False for a caller that starts no agent (the checkpoints commands): then no task is needed. Default true. */
  readonly startsAgent?: boolean | undefined;
}

/**
 * The job's id, plus a short hash of its matrix values so that matrix legs keep separate
 * checkpoints. (action.yml passes `toJSON(matrix)`; outside a matrix it is `null`.)
 */
export function defaultCheckpointId(job: string | undefined, matrix: string): string {
  const base = (job ?? 'agent').replace(/[^\w.-]/g, '-').slice(0, 60) || 'agent';
  const trimmed = matrix.trim();
  if (trimmed === '' || trimmed === 'null' || trimmed.startsWith('${{')) return base;
  return `${base}-${createHash('sha256').update(trimmed).digest('hex').slice(0, 8)}`;
}

export class SettingsError extends Error {
  override name = 'SettingsError';
}

function isOneOf<T extends string>(values: readonly T[], value: string): value is T {
  return (values as readonly string[]).includes(value);
}

export function oneOf<T extends string>(values: readonly T[]) {
  return z.string().transform((value, ctx): T => {
    const trimmed = value.trim();
    if (isOneOf(values, trimmed)) return trimmed;
    ctx.addIssue({ code: 'custom', message: `'${value}' is not one of ${values.join(', ')}` });
    return z.NEVER;
  });
}

export function duration(options: { min: number }) {
  return z.string().transform((value, ctx): number => {
    const ms = parseDuration(value);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `'${value}' is not a duration (numbers with ms, s, m or h, such as 90s, 15m, 2h or 1h30m)` });
      return z.NEVER;
    }
    if (ms > MAX_TIMER_MS) {
      ctx.addIssue({ code: 'custom', message: `'${value}' is longer than ${formatDuration(MAX_TIMER_MS)} (the longest delay Node's timers take)` });
      return z.NEVER;
    }
    if (ms < options.min) {
      ctx.addIssue({ code: 'custom', message: `'${value}' is shorter than the minimum of ${options.min} ms` });
      return z.NEVER;
    }
    return ms;
  });
}

export function integer(options: { min: number; max: number }) {
  return z.string().transform((value, ctx): number => {
    const number = Number(value.trim());
    if (!/^\s*\d+\s*$/.test(value) || number < options.min || number > options.max) {
      ctx.addIssue({ code: 'custom', message: `'${value}' is not a whole number from ${options.min} to ${options.max}` });
      return z.NEVER;
    }
    return number;
  });
}

function decimal(options: { min: number; max: number }) {
  return z.string().transform((value, ctx): number => {
    const number = Number(value.trim());
    if (value.trim() === '' || !Number.isFinite(number) || number < options.min || number > options.max) {
      ctx.addIssue({ code: 'custom', message: `'${value}' is not a number from ${options.min} to ${options.max}` });
      return z.NEVER;
    }
    return number;
  });
}

const BOOLEANS: Record<string, boolean> = { true: true, false: false, yes: true, no: false, on: true, off: false, '1': true, '0': false };
const boolean = z.string().transform((value, ctx): boolean => {
  const parsed = BOOLEANS[value.trim().toLowerCase()];
  if (parsed === undefined) {
    ctx.addIssue({ code: 'custom', message: `'${value}' is not one of true, false` });
    return z.NEVER;
  }
  return parsed;
});

/** Newline-separated regular expressions, each checked here so a typo fails at start, not mid-run. */
export const patterns = z.string().transform((value, ctx): RegExp[] => {
  const result: RegExp[] = [];
  for (const line of value.split('\n').map((l) => l.trim()).filter(Boolean)) {
    try {
      result.push(new RegExp(line, 'i'));
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `'${line}' is not a valid regular expression (${errorMessage(error)})` });
      return z.NEVER;
    }
  }
  return result;
});

export const optionalText = z.string().transform((value) => (value.trim() === '' ? undefined : value.trim()));

/** Outside Actions (the CLI) the default `${{ github.token }}` stays unexpanded: no token then. */
export const githubToken = optionalText.transform((value) => (value?.startsWith('${{') ? undefined : value));

const shellWords = z.string().transform((value, ctx): string[] => {
  try {
    return splitShellWords(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `'${value}' cannot be split into arguments: ${errorMessage(error)}` });
    return z.NEVER;
  }
});

const versionInput = (pinned: string) => z.string().regex(/^[\w.+-]+$/, `is not a version (such as ${pinned} or latest)`);

type AgentInputSchemas = { [Name in Agent['inputs']['args']]: typeof shellWords } & {
  [Name in Agent['inputs']['version']]: ReturnType<typeof versionInput>;
} & { [Name in Agent['inputs']['path']]: typeof optionalText };

/** Each agent's own inputs, checked whichever agent runs (a typo fails at once). */
function agentInputSchemas(): AgentInputSchemas {
  return Object.fromEntries(
    AGENTS.flatMap((agent) => [[agent.inputs.args, shellWords], [agent.inputs.version, versionInput(agent.pinnedVersion)], [agent.inputs.path, optionalText]]),
  ) as AgentInputSchemas;
}

const rawSchema = z.object({
  agent: oneOf(AGENT_NAMES),
  prompt: z.string(),
  prompt_file: optionalText,
  ...agentInputSchemas(),
  model: optionalText,
  anthropic_api_key: optionalText,
  claude_code_oauth_token: optionalText,
  github_token: githubToken,
  settings: z.string(),
  use_bedrock: boolean,
  use_vertex: boolean,
  use_foundry: boolean,
  working_directory: z.string().transform((value) => value.trim() || '.'),
  attempt_timeout: duration({ min: 1000 }),
  idle_timeout: duration({ min: 100 }),
  max_attempts: integer({ min: 1, max: 100 }),
  initial_delay: duration({ min: 0 }),
  max_delay: duration({ min: 0 }),
  backoff_factor: decimal({ min: 1, max: 10 }),
  max_retry_time: duration({ min: 0 }),
  retry_on: patterns,
  never_retry_on: patterns,
  retry_unknown: boolean,
  resume_prompt: optionalText,
  api_proxy: boolean,
  api_retry_attempts: integer({ min: 1, max: 20 }),
  api_max_delay: duration({ min: 0 }),
  api_retry_time: duration({ min: 0 }),
  checkpoint_store: oneOf(CHECKPOINT_STORES),
  checkpoint_dir: optionalText,
  checkpoint_paths: z.string(),
  checkpoint_interval: duration({ min: 1000 }),
  checkpoint_min_gap: duration({ min: 0 }),
  checkpoint_id: optionalText.refine((value) => value === undefined || /^[\w.-]{1,100}$/.test(value), 'is not made of letters, digits, . _ - (at most 100)'),
  resume_from: oneOf(RESUME_FROM),
  restore_agent_config: boolean,
  keep_checkpoints: integer({ min: 1, max: 1000 }),
  retention_days: integer({ min: 1, max: 90 }),
  artifact_every_checkpoint: boolean,
  secret_values: z.string().superRefine((value, ctx) => {
    for (const line of value.split('\n').map((entry) => entry.trim())) {
      // A short value matches everywhere: every checkpoint would be refused, or it would be ignored silently.
      if (line !== '' && line.length < 4) ctx.addIssue({ code: 'custom', message: `a value of ${line.length} character(s) is too short to look for (at least 4; the value is not shown)` });
    }
  }),
  // A custom issue: the message never shows the value.
  checkpoint_signing_key: optionalText.refine((value) => value === undefined || value.length >= 16, 'must be at least 16 characters (a random secret)'),
  matrix: z.string(),
  max_total_cost_usd: decimal({ min: 0, max: 1_000_000 }),
  max_total_turns: integer({ min: 0, max: 10_000_000 }),
  // Read by the watchdog mode's own settings; checked here too so a bad value fails in every mode.
  mode: oneOf(MODES),
  max_run_attempts: integer({ min: 1, max: 50 }),
  rerun_delay: duration({ min: 0 }),
  github_retry_time: duration({ min: 0 }),
  rerun_on: patterns,
  watched_workflows: z.string(),
  run_id: optionalText.refine((value) => value === undefined || /^\d+$/.test(value), 'is not a run id (a number)'),
});

const SECRET_INPUTS: ReadonlySet<string> = new Set(['anthropic_api_key', 'claude_code_oauth_token', 'github_token', 'secret_values']);

export function formatIssues(error: z.ZodError, raw: Record<string, string>): string {
  return error.issues
    .map((issue) => {
      const name = String(issue.path[0] ?? 'input');
      // Custom messages already quote the value; built-in ones (regex) do not.
      // Transforms quote the value themselves; a secret input's value is never echoed.
      if (issue.message.startsWith("'") || SECRET_INPUTS.has(name)) return `${name}: ${issue.message}`;
      return `${name}: '${raw[name] ?? ''}' ${issue.message}`;
    })
    .join('\n');
}

/** Turns raw inputs into validated, readonly settings; throws SettingsError naming each bad input. */
export function readSettings(source: InputSource, context: SettingsContext): Settings {
  const raw = Object.fromEntries(INPUT_NAMES.map((name) => [name, source(name) || INPUT_DEFAULTS[name]])) as Record<InputName, string>;
  const parsed = rawSchema.safeParse(raw);
  if (!parsed.success) throw new SettingsError(formatIssues(parsed.error, raw));
  const input = parsed.data;

  const workingDirectory = path.resolve(context.baseDir, input.working_directory);
  const home = homeLayout(context.tempDir);
  const checkpointDir = path.resolve(context.baseDir, input.checkpoint_dir ?? home.checkpoints);
  const placeProblems = placementProblems({ raw, workingDirectory, checkpointDir, workspace: context.workspace });
  if (placeProblems.length > 0) throw new SettingsError(placeProblems.join('\n'));
  const prompt = resolvePrompt(input.prompt, input.prompt_file, workingDirectory, context.startsAgent ?? true);
  const agent = input.agent;
  const described = agentNamed(agent);
  const provider = providerOf(agent, { use_bedrock: input.use_bedrock, use_vertex: input.use_vertex, use_foundry: input.use_foundry });
  const claudeSettings = parseClaudeSettings(input.settings, context.baseDir);
  if (!claudeSettings.ok) throw new SettingsError(`settings: ${claudeSettings.problem}`);
  if (claudeSettings.value !== undefined && !described.takesClaudeCodeInputs) throw new SettingsError(`settings: Claude Code settings apply to agent ${claudeCodeAgents()} only, not ${agent}`);

  return Object.freeze({
    agent,
    prompt,
    agentArgs: Object.freeze(input[described.inputs.args]),
    model: input.model,
    secrets: Object.freeze({
      anthropicApiKey: input.anthropic_api_key,
      claudeCodeOauthToken: input.claude_code_oauth_token,
      githubToken: input.github_token,
      checkpointSigningKey: input.checkpoint_signing_key,
    }),
    provider,
    claudeSettings: claudeSettings.value === undefined ? undefined : Object.freeze(claudeSettings.value),
    workingDirectory,
    cliVersion: input[described.inputs.version],
    cliPath: input[described.inputs.path],
    attemptTimeoutMs: input.attempt_timeout,
    idleTimeoutMs: input.idle_timeout,
    killGraceMs: 5000,
    home,
    retry: Object.freeze({
      maxAttempts: input.max_attempts,
      initialDelayMs: input.initial_delay,
      maxDelayMs: Math.max(input.max_delay, input.initial_delay),
      backoffFactor: input.backoff_factor,
      maxRetryTimeMs: input.max_retry_time,
    }),
    retryOn: Object.freeze(input.retry_on),
    neverRetryOn: Object.freeze(input.never_retry_on),
    retryUnknown: input.retry_unknown,
    resumePrompt: input.resume_prompt ?? DEFAULT_RESUME_PROMPT,
    apiProxy: Object.freeze({
      enabled: input.api_proxy,
      attempts: input.api_retry_attempts,
      maxDelayMs: input.api_max_delay,
      retryTimeMs: input.api_retry_time,
    }),
    checkpoint: Object.freeze({
      store: input.checkpoint_store,
      dir: checkpointDir,
      paths: input.checkpoint_paths,
      intervalMs: input.checkpoint_interval,
      minGapMs: input.checkpoint_min_gap,
      id: input.checkpoint_id ?? defaultCheckpointId(context.job, input.matrix),
      resumeFrom: input.resume_from,
      restoreAgentConfig: input.restore_agent_config,
      keep: input.keep_checkpoints,
      retentionDays: input.retention_days,
      artifactEveryCheckpoint: input.artifact_every_checkpoint,
      secretValues: Object.freeze(input.secret_values.split('\n').map((line) => line.trim()).filter((line) => line !== '')),
    }),
    budget: Object.freeze({ maxTotalCostUsd: input.max_total_cost_usd, maxTotalTurns: input.max_total_turns }),
  });
}

const PROVIDER_SWITCHES = { use_bedrock: 'bedrock', use_vertex: 'vertex', use_foundry: 'foundry' } as const satisfies Record<string, Provider>;
type ProviderSwitch = keyof typeof PROVIDER_SWITCHES;

/** The agents that take claude-code-action's own inputs (`settings`, the provider switches). */
function claudeCodeAgents(): string {
  return AGENTS.filter((agent) => agent.takesClaudeCodeInputs).map((agent) => agent.name).join(', ');
}

/** At most one of the provider switches, and only for an agent that takes them (Claude Code). */
function providerOf(agent: AgentName, switches: Record<ProviderSwitch, boolean>): Provider {
  const on = (Object.keys(PROVIDER_SWITCHES) as ProviderSwitch[]).filter((name) => switches[name]);
  if (on.length > 1) throw new SettingsError(`${on.join(', ')}: 'true' in more than one; give at most one provider`);
  const [name] = on;
  if (name === undefined) return 'anthropic';
  if (!agentNamed(agent).takesClaudeCodeInputs) throw new SettingsError(`${name}: 'true' applies to agent ${claudeCodeAgents()} only; configure ${agent}'s own provider instead`);
  return PROVIDER_SWITCHES[name];
}

const isInside = (parent: string, child: string): boolean => {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
};

/** The git work tree holding `dir` (the nearest folder with a `.git`), or undefined outside one. */
function workTreeOf(dir: string): string | undefined {
  for (let current = dir; ; current = path.dirname(current)) {
    if (existsSync(path.join(current, '.git'))) return current;
    if (path.dirname(current) === current) return undefined;
  }
}

/**
 * Where the folders the inputs name may lie: the agent works inside the workspace, checkpoints
 * hold only workspace paths, and the local store must not be inside the work tree it saves (each
 * checkpoint would hold the ones before it, and a restore would overwrite the store).
 */
function placementProblems(options: { raw: Record<InputName, string>; workingDirectory: string; checkpointDir: string; workspace: string | undefined }): string[] {
  const { raw, workingDirectory, checkpointDir, workspace } = options;
  const problems: string[] = [];
  if (workspace !== undefined && !isInside(path.resolve(workspace), workingDirectory)) {
    problems.push(`working_directory: '${raw.working_directory}' is outside the workspace ${workspace} (give a folder inside it)`);
  }
  for (const problem of parseCheckpointPaths(raw.checkpoint_paths).problems) {
    problems.push(`checkpoint_paths: ${problem} (give globs relative to working_directory, inside the workspace)`);
  }
  const workTree = workTreeOf(workingDirectory);
  for (const tree of new Set([...(workTree === undefined ? [] : [workTree]), ...(workspace === undefined ? [] : [path.resolve(workspace)])])) {
    if (raw.checkpoint_dir.trim() !== '' && isInside(tree, checkpointDir)) {
      problems.push(`checkpoint_dir: '${raw.checkpoint_dir}' is inside the work tree ${tree} (give a folder outside it, such as one under RUNNER_TEMP)`);
      break;
    }
  }
  return problems;
}

function resolvePrompt(prompt: string, promptFile: string | undefined, workingDirectory: string, required: boolean): string {
  if (prompt.trim() !== '' && promptFile) {
    throw new SettingsError('prompt, prompt_file: give one of them, not both');
  }
  if (promptFile) {
    const file = path.resolve(workingDirectory, promptFile);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new SettingsError(`prompt_file: '${promptFile}' cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (text.trim() === '') throw new SettingsError(`prompt_file: '${promptFile}' is empty`);
    return text;
  }
  if (prompt.trim() === '' && required) throw new SettingsError('prompt: a prompt is required (give prompt or prompt_file)');
  return prompt;
}

/** Every secret value the step knows, for masking and (later) scanning checkpoints. */
export function secretValues(settings: Settings): string[] {
  const fromInputs = Object.values(settings.secrets).filter((value): value is string => typeof value === 'string' && value.length > 0);
  return [...fromInputs, ...settings.checkpoint.secretValues];
}
