/**
 * The four REST calls the watchdog makes, each answer validated with zod down to the fields the
 * decision reads (`.loose()`: GitHub adds fields all the time). A call that fails for a reason
 * another try can fix (5xx, a rate limit, no answer) is tried again with backoff, honouring
 * retry-after and x-ratelimit-reset, while the client's retry budget lasts; every other failure, and
 * the last one when the budget is spent, comes out as a GitHubApiError that names what failed from
 * the status (server error, missing permission, not found) and the call.
 */
import { setTimeout as sleepFor } from 'node:timers/promises';
import { z } from 'zod';
import { formatDuration } from '../format.js';
import { loadActionsSdk, type ActionsSdk } from '../load-actions-sdk.js';
import type { AnnotationFacts, JobFacts, RunFacts } from './classify-run.js';
import { classifyGitHubFailure, decideGitHubRetry, describeGitHubFailure, type GitHubFailure, type GitHubFailureKind } from './github-failure.js';

export interface WorkflowRun extends RunFacts {
  /** The workflow's name (not the run's `display_title`). */
  readonly name: string | null;
  /** `.github/workflows/agent.yml`. */
  readonly path: string | null;
  readonly headBranch: string | null;
  readonly htmlUrl: string | null;
}

export interface GitHubRetryOptions {
  /**
   * Time the client may spend, over all its calls, on tries that failed and on waits before the
   * next try; a call whose next wait does not fit gives up. 0 never retries.
   */
  readonly budgetMs: number;
  /** Told about each retry, so a slow watchdog says why it is slow. */
  readonly log?: ((message: string) => void) | undefined;
  /** Injectable for unit tests. */
  readonly random?: (() => number) | undefined;
}

export interface GitHubClientOptions {
  readonly token: string;
  /** REST API base, e.g. https://api.github.com or https://ghe.example.com/api/v3. */
  readonly apiUrl: string;
  /** Aborts requests in flight and waits between tries. */
  readonly signal?: AbortSignal | undefined;
  /** Page size for jobs and annotations; GitHub allows at most 100. */
  readonly perPage?: number;
  /** Absent: no retries. */
  readonly retry?: GitHubRetryOptions | undefined;
  /** How long one try waits for an answer; default REQUEST_TIMEOUT_MS. */
  readonly requestTimeoutMs?: number | undefined;
}

/** What a re-run request came to. */
export type RerunOutcome =
  /** GitHub accepted the request. */
  | 'requested'
  /** The answer was lost, but the run has moved to its next attempt: the request went through. */
  | 'answer_lost_but_rerun';

export interface WatchdogGitHub {
  getRun(runId: number): Promise<WorkflowRun>;
  /** Jobs of one attempt of the run, every page. */
  listJobs(runId: number, attempt: number): Promise<JobFacts[]>;
  /** Annotations of a job's check run (a job's id is its check run's id), every page. */
  listAnnotations(jobId: number): Promise<AnnotationFacts[]>;
  /**
   * Re-runs the failed jobs of the run, now at `attempt`. Retried only when safe: before another
   * try the run is read again, and a run already past `attempt` means the lost request went through.
   */
  rerunFailedJobs(runId: number, attempt: number): Promise<RerunOutcome>;
}

export class GitHubApiError extends Error {
  /** HTTP status; undefined when no answer came (network) or the answer did not parse. */
  readonly status: number | undefined;
  /** What kind of failure; undefined for an answer that did not parse. */
  readonly kind: GitHubFailureKind | undefined;

  constructor(message: string, status: number | undefined, kind: GitHubFailureKind | undefined, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GitHubApiError';
    this.status = status;
    this.kind = kind;
  }
}

/** One try waits this long for an answer; a hung connection then counts as a network failure. */
export const REQUEST_TIMEOUT_MS = 30_000;

const RunSchema = z
  .object({
    id: z.number(),
    name: z.string().nullish(),
    path: z.string().nullish(),
    status: z.string().nullish(),
    conclusion: z.string().nullish(),
    run_attempt: z.number().int().positive().nullish(),
    event: z.string(),
    head_branch: z.string().nullish(),
    html_url: z.string().nullish(),
  })
  .loose();

const JobsPageSchema = z
  .object({
    total_count: z.number(),
    jobs: z.array(
      z
        .object({
          id: z.number(),
          name: z.string(),
          conclusion: z.string().nullish(),
          steps: z
            .array(z.object({ name: z.string(), number: z.number(), conclusion: z.string().nullish() }).loose())
            .nullish(),
        })
        .loose(),
    ),
  })
  .loose();

const AnnotationsPageSchema = z.array(
  z
    .object({
      annotation_level: z.string().nullish(),
      title: z.string().nullish(),
      message: z.string().nullish(),
      raw_details: z.string().nullish(),
    })
    .loose(),
);

/** A bound on pages, so a server that always answers a full page cannot keep the watchdog forever. */
const MAX_PAGES = 100;

/** The octokit error's fields we read; anything else is a programming error and passes through as is. */
const OctokitErrorSchema = z.object({
  status: z.number(),
  message: z.string(),
  request: z.object({ method: z.string(), url: z.string() }).loose().optional(),
  response: z
    .object({ data: z.unknown(), headers: z.record(z.string(), z.union([z.string(), z.number()]).optional()).optional() })
    .loose()
    .optional(),
});

/** GitHub's error body: `{ message, documentation_url }`. */
const ErrorBodySchema = z.object({ message: z.string() }).loose();

/** The permission each call needs, named when GitHub answers 403 without a rate limit. */
const PERMISSION = {
  run: 'actions: read',
  jobs: 'actions: read',
  annotations: 'checks: read',
  rerun: 'actions: write',
} as const;

interface CallSpec {
  readonly route: string;
  readonly params: Record<string, unknown>;
  /** What the call is for, as the log and the error say it: `reading run 42 of o/r`. */
  readonly what: string;
  readonly permission: string;
}

export function createGitHubClient(repository: string, options: GitHubClientOptions): WatchdogGitHub {
  const [owner, repo] = splitRepository(repository);
  // Made on the first call: its SDK is loaded only then.
  let octokit: ReturnType<ActionsSdk['getOctokit']> | undefined;
  const client = async (): Promise<ReturnType<ActionsSdk['getOctokit']>> => (octokit ??= (await loadActionsSdk()).getOctokit(options.token, { baseUrl: options.apiUrl.replace(/\/+$/, '') }));
  const perPage = options.perPage ?? 100;
  const { signal } = options;
  const budgetMs = options.retry?.budgetMs ?? 0;
  // Failed tries and waits so far, over every call of this client: the bound is the watchdog's, not one call's.
  let spentMs = 0;

  /** One try; a failure comes back as a value so the caller decides about the next one. */
  async function attempt(spec: CallSpec): Promise<{ ok: true; data: unknown } | { ok: false; failure: GitHubFailure; error: GitHubApiError }> {
    // Passed per call: an instance-level `request` option would replace the proxy-aware fetch @actions/github sets up.
    const timeout = AbortSignal.timeout(options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS);
    const request = { signal: signal ? AbortSignal.any([signal, timeout]) : timeout };
    try {
      const response = await (await client()).request(spec.route, { owner, repo, ...spec.params, request });
      return { ok: true, data: response.data };
    } catch (error) {
      // An abort is the caller's own doing; the caller decides what it means, so it passes through untouched.
      if (signal?.aborted) throw error;
      const failed = describeFailure(error, spec);
      if (failed === undefined) throw error;
      return { ok: false, ...failed };
    }
  }

  /** A call with retries: the answer's body. */
  async function call(spec: CallSpec): Promise<unknown> {
    const result = await callSettling(spec, () => Promise.resolve(undefined));
    return result.data;
  }

  /**
   * A call with retries, where `settle` runs before each further try and may answer for it: it
   * tells whether a request whose answer was lost took effect anyway.
   */
  async function callSettling<T>(spec: CallSpec, settle: () => Promise<T | undefined>): Promise<{ data: unknown; settled?: never } | { settled: T; data?: never }> {
    for (let retry = 1; ; retry++) {
      const started = Date.now();
      const result = await attempt(spec);
      if (result.ok) return { data: result.data };
      spentMs += Date.now() - started;
      const decision = decideGitHubRetry(result.failure, retry, budgetMs - spentMs, options.retry?.random);
      if (!decision.retry) {
        if (!decision.retryable) throw result.error;
        const tries = `${retry} ${retry === 1 ? 'try' : 'tries'}`;
        throw new GitHubApiError(`${result.error.message} (gave up after ${tries}: ${decision.why}, github_retry_time ${formatDuration(budgetMs)})`, result.error.status, result.error.kind, {
          cause: result.error,
        });
      }
      options.retry?.log?.(`${result.error.message}; trying again in ${formatDuration(decision.delayMs)} (retry ${retry})`);
      spentMs += decision.delayMs;
      await sleepFor(decision.delayMs, undefined, signal ? { signal } : {});
      const settled = await settle();
      if (settled !== undefined) return { settled };
    }
  }

  function parse<T>(schema: z.ZodType<T>, data: unknown, route: string): T {
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      throw new GitHubApiError(`GitHub API ${route} answered with an unexpected payload: ${z.prettifyError(parsed.error)}`, undefined, undefined);
    }
    return parsed.data;
  }

  async function getRun(runId: number): Promise<WorkflowRun> {
    const route = 'GET /repos/{owner}/{repo}/actions/runs/{run_id}';
    const data = await call({ route, params: { run_id: runId }, what: `reading run ${runId} of ${repository}`, permission: PERMISSION.run });
    const run = parse(RunSchema, data, route);
    return {
      id: run.id,
      name: run.name ?? null,
      path: run.path ?? null,
      status: run.status ?? 'unknown',
      conclusion: run.conclusion ?? null,
      runAttempt: run.run_attempt ?? 1,
      event: run.event,
      headBranch: run.head_branch ?? null,
      htmlUrl: run.html_url ?? null,
    };
  }

  return {
    getRun,

    async listJobs(runId, attempt) {
      const route = 'GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/jobs';
      const jobs: JobFacts[] = [];
      for (let page = 1; page <= MAX_PAGES; page++) {
        const what = `listing the jobs of run ${runId} attempt ${attempt}`;
        const data = await call({ route, params: { run_id: runId, attempt_number: attempt, per_page: perPage, page }, what, permission: PERMISSION.jobs });
        const body = parse(JobsPageSchema, data, route);
        for (const job of body.jobs) {
          jobs.push({
            id: job.id,
            name: job.name,
            conclusion: job.conclusion ?? null,
            steps: (job.steps ?? []).map((step) => ({ name: step.name, number: step.number, conclusion: step.conclusion ?? null })),
          });
        }
        if (body.jobs.length < perPage || jobs.length >= body.total_count) break;
      }
      return jobs;
    },

    async listAnnotations(jobId) {
      const route = 'GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations';
      const annotations: AnnotationFacts[] = [];
      for (let page = 1; page <= MAX_PAGES; page++) {
        const what = `reading the annotations of job ${jobId}`;
        const data = await call({ route, params: { check_run_id: jobId, per_page: perPage, page }, what, permission: PERMISSION.annotations });
        const body = parse(AnnotationsPageSchema, data, route);
        for (const annotation of body) {
          annotations.push({
            level: annotation.annotation_level ?? 'failure',
            title: annotation.title ?? null,
            message: annotation.message ?? '',
            rawDetails: annotation.raw_details ?? null,
          });
        }
        if (body.length < perPage) break;
      }
      return annotations;
    },

    async rerunFailedJobs(runId, attempt) {
      const spec = {
        route: 'POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs',
        params: { run_id: runId },
        what: `re-running the failed jobs of run ${runId}`,
        permission: PERMISSION.rerun,
      };
      // A lost answer may hide a request that went through; a second one would then fail (the run
      // is already running) or, worse, re-run the next attempt. The run's attempt tells which.
      const settle = async (): Promise<'answer_lost_but_rerun' | undefined> => ((await getRun(runId)).runAttempt > attempt ? 'answer_lost_but_rerun' : undefined);
      const result = await callSettling(spec, settle);
      return result.settled ?? 'requested';
    },
  };
}

/** `owner/name` → its two parts; anything else is a caller's mistake worth a clear message. */
export function splitRepository(repository: string): [string, string] {
  const match = /^([^/\s]+)\/([^/\s]+)$/.exec(repository.trim());
  if (!match?.[1] || !match[2]) throw new TypeError(`repository must be 'owner/name', got '${repository}'`);
  return [match[1], match[2]];
}

/** An octokit failure as a classified failure and the error to report; undefined for anything else. */
function describeFailure(error: unknown, spec: CallSpec): { failure: GitHubFailure; error: GitHubApiError } | undefined {
  const parsed = OctokitErrorSchema.safeParse(error);
  if (!parsed.success) return undefined;
  const { status, request, response } = parsed.data;
  const where = request ? `${request.method} ${pathOf(request.url)}` : spec.route;
  // Octokit reports a request that got no answer (refused, DNS, reset, timed out) as status 500 without a response.
  if (response === undefined) {
    const failure = classifyGitHubFailure({ status: undefined, headers: {}, message: parsed.data.message }, Date.now());
    return { failure, error: new GitHubApiError(`${spec.what} failed: ${describeGitHubFailure(failure, spec.permission)} (${where})`, undefined, failure.kind, { cause: error }) };
  }
  // GitHub's own message; octokit's appends the documentation URL.
  const body = ErrorBodySchema.safeParse(response.data);
  const message = body.success ? body.data.message : parsed.data.message;
  const headers = Object.fromEntries(Object.entries(response.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value === undefined ? undefined : String(value)]));
  const failure = classifyGitHubFailure({ status, headers, message }, Date.now());
  const text = `${spec.what} failed: ${describeGitHubFailure(failure, spec.permission)}: ${where} answered ${status} ${message}`;
  return { failure, error: new GitHubApiError(text, status, failure.kind, { cause: error }) };
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}
