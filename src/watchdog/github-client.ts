/**
 * The four REST calls the watchdog makes, each answer validated with zod down to the fields the
 * decision reads (`.loose()`: GitHub adds fields all the time). Errors come out as GitHubApiError
 * with the call, the status and what to check, so a bad token or a missing permission reads as such
 * in the watchdog's log.
 */
import { getOctokit } from '@actions/github';
import { z } from 'zod';
import type { AnnotationFacts, JobFacts, RunFacts } from './classify-run.js';

export interface WorkflowRun extends RunFacts {
  /** The workflow's name (not the run's `display_title`). */
  readonly name: string | null;
  /** `.github/workflows/agent.yml`. */
  readonly path: string | null;
  readonly headBranch: string | null;
  readonly htmlUrl: string | null;
}

export interface GitHubClientOptions {
  readonly token: string;
  /** REST API base, e.g. https://api.github.com or https://ghe.example.com/api/v3. */
  readonly apiUrl: string;
  /** Aborts requests in flight. */
  readonly signal?: AbortSignal | undefined;
  /** Page size for jobs and annotations; GitHub allows at most 100. */
  readonly perPage?: number;
}

export interface WatchdogGitHub {
  getRun(runId: number): Promise<WorkflowRun>;
  /** Jobs of one attempt of the run, every page. */
  listJobs(runId: number, attempt: number): Promise<JobFacts[]>;
  /** Annotations of a job's check run (a job's id is its check run's id), every page. */
  listAnnotations(jobId: number): Promise<AnnotationFacts[]>;
  rerunFailedJobs(runId: number): Promise<void>;
}

export class GitHubApiError extends Error {
  /** HTTP status; undefined when no answer came (network) or the answer did not parse. */
  readonly status: number | undefined;

  constructor(message: string, status: number | undefined, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GitHubApiError';
    this.status = status;
  }
}

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
  response: z.object({ data: z.unknown() }).loose().optional(),
});

/** GitHub's error body: `{ message, documentation_url }`. */
const ErrorBodySchema = z.object({ message: z.string() }).loose();

export function createGitHubClient(repository: string, options: GitHubClientOptions): WatchdogGitHub {
  const [owner, repo] = splitRepository(repository);
  const octokit = getOctokit(options.token, { baseUrl: options.apiUrl.replace(/\/+$/, '') });
  const perPage = options.perPage ?? 100;
  // Passed per call: an instance-level `request` option would replace the proxy-aware fetch @actions/github sets up.
  const request = options.signal ? { signal: options.signal } : {};

  async function call(route: string, params: Record<string, unknown>, what: string): Promise<unknown> {
    try {
      const response = await octokit.request(route, { owner, repo, ...params, request });
      return response.data;
    } catch (error) {
      throw describeFailure(error, route, what, options.signal);
    }
  }

  function parse<T>(schema: z.ZodType<T>, data: unknown, route: string): T {
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      throw new GitHubApiError(`GitHub API ${route} answered with an unexpected payload: ${z.prettifyError(parsed.error)}`, undefined);
    }
    return parsed.data;
  }

  return {
    async getRun(runId) {
      const route = 'GET /repos/{owner}/{repo}/actions/runs/{run_id}';
      const run = parse(RunSchema, await call(route, { run_id: runId }, `reading run ${runId} of ${repository}`), route);
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
    },

    async listJobs(runId, attempt) {
      const route = 'GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/jobs';
      const jobs: JobFacts[] = [];
      for (let page = 1; page <= MAX_PAGES; page++) {
        const data = await call(route, { run_id: runId, attempt_number: attempt, per_page: perPage, page }, `listing the jobs of run ${runId} attempt ${attempt}`);
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
        const data = await call(route, { check_run_id: jobId, per_page: perPage, page }, `reading the annotations of job ${jobId} (needs checks: read)`);
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

    async rerunFailedJobs(runId) {
      await call('POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs', { run_id: runId }, `re-running the failed jobs of run ${runId} (needs actions: write)`);
    },
  };
}

/** `owner/name` → its two parts; anything else is a caller's mistake worth a clear message. */
export function splitRepository(repository: string): [string, string] {
  const match = /^([^/\s]+)\/([^/\s]+)$/.exec(repository.trim());
  if (!match?.[1] || !match[2]) throw new TypeError(`repository must be 'owner/name', got '${repository}'`);
  return [match[1], match[2]];
}

function describeFailure(error: unknown, route: string, what: string, signal: AbortSignal | undefined): Error {
  // An abort is the caller's own doing; the caller decides what it means, so it passes through untouched.
  if (signal?.aborted) return error instanceof Error ? error : new Error(String(error));
  const parsed = OctokitErrorSchema.safeParse(error);
  if (!parsed.success) {
    return new GitHubApiError(`${what} failed: ${error instanceof Error ? error.message : String(error)}`, undefined, { cause: error });
  }
  const { status, request, response } = parsed.data;
  const where = request ? `${request.method} ${pathOf(request.url)}` : route;
  // Octokit reports a request that got no answer (refused, DNS, reset) as status 500 without a response.
  if (response === undefined) {
    return new GitHubApiError(`${what} failed: no answer from the GitHub API (${where}): ${parsed.data.message}`, undefined, { cause: error });
  }
  // GitHub's own message; octokit's appends the documentation URL.
  const body = ErrorBodySchema.safeParse(response.data);
  const message = body.success ? body.data.message : parsed.data.message;
  const hint =
    status === 401
      ? ': the token is invalid or expired (github_token)'
      : status === 403
        ? ': the token lacks a permission (the watchdog needs actions: write and checks: read) or a rate limit was hit'
        : status === 404
          ? ': not found, or the token cannot see this repository'
          : '';
  return new GitHubApiError(`${what} failed: ${where} answered ${status} ${message}${hint}`, status, { cause: error });
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}
