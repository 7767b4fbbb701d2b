/**
 * Watchdog mode: a run cannot re-run itself while in progress, so a second, small workflow on
 * `workflow_run: completed` looks at the finished run and re-runs its failed jobs when every failure
 * was transient. The decision is classify-run.ts; this file is the order of the calls around it.
 */
import { setTimeout as sleepFor } from 'node:timers/promises';
import { classifyRun, failedJobs, isWatchedWorkflow, precheckRun, runFailed } from './classify-run.js';
import type { AnnotationFacts, JobVerdict, WatchdogDecision } from './classify-run.js';
import { createGitHubClient } from './github-client.js';
import { formatDuration } from '../format.js';
import type { Log } from '../report/log.js';
import type { WorkflowRun } from './github-client.js';
import { errorMessage } from '../error-message.js';

export type { JobVerdict, WatchdogDecision } from './classify-run.js';

/** What the watchdog writes to: the run's log, narrowed. */
export type WatchdogLog = Pick<Log, 'info' | 'warning'>;

export interface WatchdogOptions {
  readonly token: string;
  /** REST API base, e.g. GITHUB_API_URL. */
  readonly apiUrl: string;
  /** `owner/name`. */
  readonly repository: string;
  readonly runId: number;
  /** Attempts a run may have in all; a run at this attempt is not re-run. */
  readonly maxRunAttempts: number;
  /** Wait before re-running, so a person who looks at the failure first can act (and a flapping service can recover). */
  readonly rerunDelayMs: number;
  readonly rerunOn: readonly RegExp[];
  /** Workflow names or file paths to act on; empty or absent watches every workflow. */
  readonly watchedWorkflows?: readonly string[] | undefined;
  /** How long, over all GitHub calls, failed tries and the waits between them may take; 0 never retries. */
  readonly githubRetryTimeMs: number;
  readonly log: WatchdogLog;
  /** Ends the watchdog at once with a skip: before the re-run request, nothing is re-run. */
  readonly signal?: AbortSignal | undefined;
  /** Injectable for tests; the default is a timer that the signal clears. */
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
  /** How long one GitHub call waits for an answer before it counts as a network failure; for tests. */
  readonly requestTimeoutMs?: number | undefined;
}

/** The decision, or `error` when the watchdog could not decide or act: the reason says what failed. */
export type WatchdogResult = WatchdogDecision | { readonly decision: 'error'; readonly reason: string; readonly jobs: readonly JobVerdict[] };

/**
 * Decides about one finished run and re-runs its failed jobs when they all failed transiently.
 * Resolves with the decision, `error` included when GitHub's API failed (after retries for what
 * retries can fix); rejects only for invalid options.
 */
export async function runWatchdog(options: WatchdogOptions): Promise<WatchdogResult> {
  validate(options);
  const { log, signal } = options;
  const client = createGitHubClient(options.repository, {
    token: options.token,
    apiUrl: options.apiUrl,
    signal,
    retry: { budgetMs: options.githubRetryTimeMs, log: (message) => log.warning(message) },
    requestTimeoutMs: options.requestTimeoutMs,
  });
  const watched = options.watchedWorkflows ?? [];
  let verdicts: readonly JobVerdict[] = [];

  // A failed run left as it is needs a person, so that skip is a warning; every other outcome is news.
  const finish = (decision: WatchdogResult, level: 'info' | 'warning' = 'info'): WatchdogResult => {
    log[level](`Decision: ${decision.decision} — ${decision.reason}`);
    return decision;
  };
  const aborted = (when: string): WatchdogResult =>
    finish({ decision: 'skip', reason: `aborted ${when}; nothing was re-run`, jobs: verdicts }, 'warning');

  try {
    if (signal?.aborted) return aborted('before the run was read');
    const run = await client.getRun(options.runId);
    log.info(`Run ${run.id} of ${describeWorkflow(run)}: ${run.status}/${run.conclusion ?? 'none'}, attempt ${run.runAttempt}, event ${run.event}${run.htmlUrl ? ` — ${run.htmlUrl}` : ''}`);

    if (!isWatchedWorkflow(run, watched)) {
      return finish({ decision: 'skip', reason: `${describeWorkflow(run)} is not among the watched workflows (${watched.join(', ')})`, jobs: [] });
    }
    const failedLevel = runFailed(run) ? 'warning' : 'info';
    const early = precheckRun(run, options);
    if (early) return finish(early, failedLevel);

    const jobs = await client.listJobs(run.id, run.runAttempt);
    const annotations = new Map<number, AnnotationFacts[]>();
    for (const job of failedJobs(jobs)) annotations.set(job.id, await client.listAnnotations(job.id));
    const decision = classifyRun({ run, jobs, annotations }, options);
    verdicts = decision.jobs;
    for (const job of decision.jobs) log.info(`Job '${job.name}' (${job.id}): ${job.kind} — ${job.why}`);
    if (decision.decision === 'skip') return finish(decision, failedLevel);

    if (options.rerunDelayMs > 0) {
      log.info(`Waiting ${formatDuration(options.rerunDelayMs)} before re-running the failed jobs of run ${run.id}`);
      const slept = await sleepUnlessAborted(options.rerunDelayMs, options.sleep ?? defaultSleep(signal), signal);
      if (!slept) return aborted('during the re-run delay');
    }
    // Someone may have re-run or otherwise touched the run while we waited: their decision stands.
    const now = await client.getRun(run.id);
    const changed = changedSince(run, now);
    if (changed !== undefined) return finish({ decision: 'skip', reason: `run ${run.id} changed during the delay (${changed}); leaving it alone`, jobs: decision.jobs });
    if (signal?.aborted) return aborted('before the re-run request');

    const outcome = await client.rerunFailedJobs(run.id, run.runAttempt);
    if (outcome === 'answer_lost_but_rerun') {
      log.info(`The answer to the re-run request was lost, but run ${run.id} has moved past attempt ${run.runAttempt}: the request went through`);
    }
    log.info(`Requested a re-run of the failed jobs of run ${run.id}: attempt ${run.runAttempt + 1} of at most ${options.maxRunAttempts}`);
    return finish(decision);
  } catch (error) {
    if (signal?.aborted) return aborted('while talking to the GitHub API');
    // Whatever failed, the step still says what it decided: a later step reads `decision`, never an
    // empty string. Logged as info: the caller fails the step with the reason, one error is enough.
    return finish({ decision: 'error', reason: errorMessage(error), jobs: verdicts });
  }
}

function validate(options: WatchdogOptions): void {
  if (options.token === '') throw new TypeError('watchdog: a token is required (github_token with actions: write and checks: read)');
  if (!Number.isSafeInteger(options.runId) || options.runId <= 0) throw new RangeError(`watchdog: run id must be a positive integer, got ${options.runId}`);
  if (!Number.isSafeInteger(options.maxRunAttempts) || options.maxRunAttempts < 1) {
    throw new RangeError(`watchdog: max_run_attempts must be an integer of at least 1, got ${options.maxRunAttempts}`);
  }
  if (!Number.isFinite(options.githubRetryTimeMs) || options.githubRetryTimeMs < 0) {
    throw new RangeError(`watchdog: github_retry_time must be a non-negative duration, got ${options.githubRetryTimeMs} ms`);
  }
  if (!Number.isFinite(options.rerunDelayMs) || options.rerunDelayMs < 0) {
    throw new RangeError(`watchdog: rerun_delay must be a non-negative duration, got ${options.rerunDelayMs} ms`);
  }
  try {
    new URL(options.apiUrl);
  } catch {
    throw new TypeError(`watchdog: the API URL '${options.apiUrl}' is not a URL`);
  }
}

/** What makes the run no longer ours to re-run, or undefined when it is as we classified it. */
export function changedSince(before: WorkflowRun, now: WorkflowRun): string | undefined {
  if (now.runAttempt !== before.runAttempt) return `attempt ${before.runAttempt} → ${now.runAttempt}: re-run by someone else`;
  if (now.status !== before.status) return `status ${before.status} → ${now.status}`;
  if (now.conclusion !== before.conclusion) return `conclusion ${before.conclusion ?? 'none'} → ${now.conclusion ?? 'none'}`;
  return undefined;
}

/** True when the sleep ran out, false as soon as the signal aborts, whatever the injected sleep does. */
async function sleepUnlessAborted(ms: number, sleep: (ms: number) => Promise<void>, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal === undefined) {
    await sleep(ms);
    return true;
  }
  if (signal.aborted) return false;
  const abort = Promise.withResolvers<boolean>();
  const onAbort = (): void => abort.resolve(false);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await Promise.race([sleep(ms).then(() => true), abort.promise]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function defaultSleep(signal: AbortSignal | undefined): (ms: number) => Promise<void> {
  // The signal clears the timer, so an aborted watchdog leaves nothing that keeps node alive.
  return (ms) => sleepFor(ms, undefined, signal ? { signal } : {}).catch((error: unknown) => {
    if (!signal?.aborted) throw error;
  });
}

function describeWorkflow(run: WorkflowRun): string {
  if (run.name && run.path) return `workflow '${run.name}' (${run.path})`;
  return `workflow '${run.name ?? run.path ?? 'unknown'}'`;
}
