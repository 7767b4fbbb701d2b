import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_RESUME_PROMPT } from '../runner/next-launch.js';
import type { RetryPolicy } from '../runner/retry-policy.js';
import { parseDuration } from './duration.js';
import { splitShellWords } from './shell-words.js';

export const AGENTS = ['claude', 'opencode'] as const;
export const CHECKPOINT_STORES = ['both', 'cache', 'artifact', 'local', 'none'] as const;
export type CheckpointStoreChoice = (typeof CHECKPOINT_STORES)[number];
export const RESUME_FROM = ['run', 'branch', 'none'] as const;
export const MODES = ['agent', 'watchdog'] as const;
export type AgentName = (typeof AGENTS)[number];

/** The CLI versions the action installs when none is on PATH; the ones the tests run. */
export const PINNED_VERSIONS: Record<AgentName, string> = {
  claude: '2.1.331',
  opencode: '1.18.33',
};

/**
 * Defaults of every input, shared by the action (action.yml repeats them; a test keeps the two
 * equal) and the CLI.
 */
export const INPUT_DEFAULTS = {
  agent: 'claude',
  prompt: '',
  prompt_file: '',
  claude_args: '',
  opencode_args: '',
  model: '',
  anthropic_api_key: '',
  claude_code_oauth_token: '',
  github_token: '',
  working_directory: '.',
  claude_code_version: PINNED_VERSIONS.claude,
  opencode_version: PINNED_VERSIONS.opencode,
  path_to_claude_code_executable: '',
  path_to_opencode_executable: '',
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
  keep_checkpoints: '5',
  retention_days: '7',
  artifact_every_checkpoint: 'false',
  secret_values: '',
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
}

export interface Settings {
  readonly agent: AgentName;
  readonly prompt: string;
  readonly agentArgs: readonly string[];
  readonly model: string | undefined;
  readonly secrets: Secrets;
  readonly workingDirectory: string;
  readonly cliVersion: string;
  readonly cliPath: string | undefined;
  readonly attemptTimeoutMs: number;
  readonly idleTimeoutMs: number;
  /** Grace between SIGTERM and SIGKILL; GitHub allows 7.5 s after its SIGINT, so stay below. */
  readonly killGraceMs: number;
  /** Folder the action owns: the agent's state, the execution file, installed CLIs. */
  readonly homeDir: string;
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
      ctx.addIssue({ code: 'custom', message: `'${value}' is not a duration (a number with s, m or h, such as 90s, 15m, 2h)` });
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
      ctx.addIssue({ code: 'custom', message: `'${line}' is not a valid regular expression (${(error as Error).message})` });
      return z.NEVER;
    }
  }
  return result;
});

export const optionalText = z.string().transform((value) => (value.trim() === '' ? undefined : value.trim()));

const shellWords = z.string().transform((value, ctx): string[] => {
  try {
    return splitShellWords(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `'${value}' cannot be split into arguments: ${(error as Error).message}` });
    return z.NEVER;
  }
});

const rawSchema = z.object({
  agent: oneOf(AGENTS),
  prompt: z.string(),
  prompt_file: optionalText,
  claude_args: shellWords,
  opencode_args: shellWords,
  model: optionalText,
  anthropic_api_key: optionalText,
  claude_code_oauth_token: optionalText,
  github_token: optionalText,
  working_directory: z.string().transform((value) => value.trim() || '.'),
  claude_code_version: z.string().regex(/^[\w.+-]+$/, 'is not a version (such as 2.1.331 or latest)'),
  opencode_version: z.string().regex(/^[\w.+-]+$/, 'is not a version (such as 1.18.33 or latest)'),
  path_to_claude_code_executable: optionalText,
  path_to_opencode_executable: optionalText,
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
  keep_checkpoints: integer({ min: 1, max: 1000 }),
  retention_days: integer({ min: 1, max: 90 }),
  artifact_every_checkpoint: boolean,
  secret_values: z.string(),
  matrix: z.string(),
  max_total_cost_usd: decimal({ min: 0, max: 1_000_000 }),
  max_total_turns: integer({ min: 0, max: 10_000_000 }),
  // Read by the watchdog mode's own settings; listed so a bad value still fails here first.
  mode: oneOf(MODES),
  max_run_attempts: z.string(),
  rerun_delay: z.string(),
  github_retry_time: z.string(),
  rerun_on: z.string(),
  watched_workflows: z.string(),
  run_id: z.string(),
});

export function formatIssues(error: z.ZodError, raw: Record<string, string>): string {
  return error.issues
    .map((issue) => {
      const name = String(issue.path[0] ?? 'input');
      // Custom messages already quote the value; built-in ones (regex) do not.
      return issue.code === 'custom' ? `${name}: ${issue.message}` : `${name}: '${raw[name] ?? ''}' ${issue.message}`;
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
  const prompt = resolvePrompt(input.prompt, input.prompt_file, workingDirectory);
  const agent = input.agent;

  return Object.freeze({
    agent,
    prompt,
    agentArgs: Object.freeze(agent === 'claude' ? input.claude_args : input.opencode_args),
    model: input.model,
    secrets: Object.freeze({
      anthropicApiKey: input.anthropic_api_key,
      claudeCodeOauthToken: input.claude_code_oauth_token,
      githubToken: input.github_token,
    }),
    workingDirectory,
    cliVersion: agent === 'claude' ? input.claude_code_version : input.opencode_version,
    cliPath: agent === 'claude' ? input.path_to_claude_code_executable : input.path_to_opencode_executable,
    attemptTimeoutMs: input.attempt_timeout,
    idleTimeoutMs: input.idle_timeout,
    killGraceMs: 5000,
    homeDir: path.join(context.tempDir, 'durable-agent'),
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
      dir: path.resolve(context.baseDir, input.checkpoint_dir ?? path.join(context.tempDir, 'durable-agent', 'checkpoints')),
      paths: input.checkpoint_paths,
      intervalMs: input.checkpoint_interval,
      minGapMs: input.checkpoint_min_gap,
      id: input.checkpoint_id ?? defaultCheckpointId(context.job, input.matrix),
      resumeFrom: input.resume_from,
      keep: input.keep_checkpoints,
      retentionDays: input.retention_days,
      artifactEveryCheckpoint: input.artifact_every_checkpoint,
      secretValues: Object.freeze(input.secret_values.split('\n').map((line) => line.trim()).filter((line) => line.length >= 4)),
    }),
    budget: Object.freeze({ maxTotalCostUsd: input.max_total_cost_usd, maxTotalTurns: input.max_total_turns }),
  });
}

function resolvePrompt(prompt: string, promptFile: string | undefined, workingDirectory: string): string {
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
  if (prompt.trim() === '') throw new SettingsError('prompt: a prompt is required (give prompt or prompt_file)');
  return prompt;
}

/** Every secret value the step knows, for masking and (later) scanning checkpoints. */
export function secretValues(settings: Settings): string[] {
  const fromInputs = Object.values(settings.secrets).filter((value): value is string => typeof value === 'string' && value.length > 0);
  return [...fromInputs, ...settings.checkpoint.secretValues];
}
