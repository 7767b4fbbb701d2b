import { z } from 'zod';
import { parseDuration } from './duration.js';
import type { RunContext } from '../run-context.js';
import { duration, formatIssues, githubToken, integer, optionalText, patterns, SettingsError, INPUT_DEFAULTS, type InputSource } from './settings.js';

export interface WatchdogSettings {
  readonly token: string;
  readonly apiUrl: string;
  readonly repository: string;
  readonly runId: number | undefined;
  readonly eventPath: string | undefined;
  readonly maxRunAttempts: number;
  readonly rerunDelayMs: number;
  /** Over all GitHub calls: failed tries and the waits between them; 0 never retries. */
  readonly githubRetryTimeMs: number;
  readonly rerunOn: readonly RegExp[];
  readonly watchedWorkflows: readonly string[];
}

const MAX_GITHUB_RETRY_TIME_MS = 3_600_000;

const schema = z.object({
  github_token: githubToken,
  max_run_attempts: integer({ min: 1, max: 50 }),
  rerun_delay: duration({ min: 0 }),
  // A watchdog job is small (timeout-minutes: 10 in the README); an hour is already generous.
  github_retry_time: z.string().transform((value, ctx): number => {
    const ms = parseDuration(value);
    if (ms !== undefined && ms <= MAX_GITHUB_RETRY_TIME_MS) return ms;
    ctx.addIssue({ code: 'custom', message: `'${value}' is not a duration of at most 1h (a number with s or m, such as 90s, 3m)` });
    return z.NEVER;
  }),
  rerun_on: patterns,
  watched_workflows: z.string(),
  run_id: optionalText.refine((value) => value === undefined || /^\d+$/.test(value), 'is not a run id (a number)'),
});

const NAMES = ['github_token', 'max_run_attempts', 'rerun_delay', 'github_retry_time', 'rerun_on', 'watched_workflows', 'run_id'] as const;

/** The watchdog mode's inputs (the agent's inputs do not apply to it). */
export function readWatchdogSettings(source: InputSource, run: Pick<RunContext, 'token' | 'repository' | 'apiUrl' | 'eventPath'>): WatchdogSettings {
  const raw = Object.fromEntries(NAMES.map((name) => [name, source(name) || INPUT_DEFAULTS[name]])) as Record<(typeof NAMES)[number], string>;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new SettingsError(formatIssues(parsed.error, raw));
  const input = parsed.data;
  const token = input.github_token ?? run.token;
  if (!token) throw new SettingsError('github_token: the watchdog needs a token with actions: write and checks: read (give secrets.GITHUB_TOKEN)');
  const repository = run.repository;
  if (!repository) throw new SettingsError('GITHUB_REPOSITORY is not set: the watchdog runs inside GitHub Actions (or set it to owner/name)');
  return Object.freeze({
    token,
    apiUrl: run.apiUrl,
    repository,
    runId: input.run_id === undefined ? undefined : Number(input.run_id),
    eventPath: run.eventPath,
    maxRunAttempts: input.max_run_attempts,
    rerunDelayMs: input.rerun_delay,
    githubRetryTimeMs: input.github_retry_time,
    rerunOn: Object.freeze(input.rerun_on),
    watchedWorkflows: Object.freeze(input.watched_workflows.split('\n').map((line) => line.trim()).filter(Boolean)),
  });
}
