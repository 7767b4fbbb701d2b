/**
 * The watchdog's decision, as a pure function of what the REST API said about one finished run:
 * re-run its failed jobs only when every one of them was killed by something a re-run fixes (an
 * infrastructure error, or a failure durable-agent itself marked transient), and only while the run
 * has attempts left. Anything unexplained counts as fatal: re-running a real failure burns runner
 * minutes and hides the error behind a newer attempt.
 */
import { parseFailureMarker } from '../report/failure-marker.js';

export interface RunFacts {
  readonly id: number;
  /** `queued`, `in_progress`, `completed`, ... */
  readonly status: string;
  /** `success`, `failure`, `timed_out`, `cancelled`, `startup_failure`, ...; null while not completed. */
  readonly conclusion: string | null;
  readonly runAttempt: number;
  /** What triggered the run (`push`, `schedule`, ...): only reported. */
  readonly event: string;
}

export interface StepFacts {
  readonly name: string;
  readonly number: number;
  readonly conclusion: string | null;
}

export interface JobFacts {
  /** Also the id of the job's check run, which carries its annotations. */
  readonly id: number;
  readonly name: string;
  readonly conclusion: string | null;
  readonly steps: readonly StepFacts[];
}

export interface AnnotationFacts {
  /** `notice`, `warning` or `failure`. */
  readonly level: string;
  readonly title: string | null;
  readonly message: string;
  readonly rawDetails: string | null;
}

export interface ClassifyRunOptions {
  /** Attempts a run may have in all: attempt N is re-run only while N < maxRunAttempts. */
  readonly maxRunAttempts: number;
  /** Extra messages that mean "infrastructure, try again" (the user's `rerun_on`). */
  readonly rerunOn: readonly RegExp[];
}

export interface JobVerdict {
  readonly id: number;
  readonly name: string;
  readonly kind: 'transient' | 'fatal';
  readonly why: string;
}

export interface WatchdogDecision {
  readonly decision: 'rerun' | 'skip';
  readonly reason: string;
  readonly jobs: readonly JobVerdict[];
}

export interface ClassifyRunInput {
  readonly run: RunFacts;
  readonly jobs: readonly JobFacts[];
  /** Annotations of each failed job's check run, by job id; a missing entry reads as none. */
  readonly annotations: ReadonlyMap<number, readonly AnnotationFacts[]>;
}

/**
 * Messages GitHub writes into a job's annotations when the job died for reasons outside the
 * workflow. `runnerLost` marks those that say the runner went away: they are what makes a bare
 * "The operation was canceled." an infrastructure failure rather than a cancel or a timeout.
 */
export const INFRASTRUCTURE_PATTERNS: ReadonlyArray<{ readonly name: string; readonly pattern: RegExp; readonly runnerLost: boolean }> = [
  { name: 'runner not acquired', pattern: /The job was not acquired by Runner of type .* even after multiple attempts/, runnerLost: false },
  { name: 'GitHub internal server error', pattern: /Internal server error\. Correlation ID/, runnerLost: false },
  { name: 'runner shutdown', pattern: /The runner has received a shutdown signal/, runnerLost: true },
  { name: 'runner lost communication', pattern: /lost communication with the server/, runnerLost: true },
  { name: 'hosted runner error', pattern: /The hosted runner encountered an error while running your job/, runnerLost: true },
];

/** Alone this is a cancel or a timeout; next to a runner-lost message it is the runner dying. */
export const OPERATION_CANCELED = /The operation was canceled\./;

/** Run conclusions a re-run may fix. `startup_failure` is an invalid workflow file: a re-run fails the same way. */
const FAILED_RUN = new Set(['failure', 'timed_out']);

/**
 * Job conclusions that count as failed. A `cancelled` job inside a failed run was cancelled by the
 * run (fail-fast, a failed dependency), not by a person, who can only cancel a whole run: it is
 * neither evidence for nor against a re-run.
 */
const FAILED_JOB = new Set(['failure', 'timed_out']);

export function failedJobs<T extends Pick<JobFacts, 'conclusion'>>(jobs: readonly T[]): T[] {
  return jobs.filter((job) => job.conclusion !== null && FAILED_JOB.has(job.conclusion));
}

/** Whether a run ended in a failure a re-run might fix. */
export function runFailed(run: Pick<RunFacts, 'status' | 'conclusion'>): boolean {
  return run.status === 'completed' && run.conclusion !== null && FAILED_RUN.has(run.conclusion);
}

/**
 * The checks that need only the run itself, so the caller can stop before reading jobs and
 * annotations. Undefined means: the run failed and has attempts left, look at its jobs.
 */
export function precheckRun(run: RunFacts, options: Pick<ClassifyRunOptions, 'maxRunAttempts'>): WatchdogDecision | undefined {
  const skip = (reason: string): WatchdogDecision => ({ decision: 'skip', reason, jobs: [] });
  if (run.status !== 'completed') return skip(`run ${run.id} is ${run.status}, not completed`);
  const conclusion = run.conclusion ?? 'none';
  if (conclusion === 'cancelled') return skip(`run ${run.id} was cancelled; a cancelled run is never re-run`);
  if (conclusion === 'startup_failure') return skip(`run ${run.id} failed to start (invalid workflow file); a re-run would fail the same way`);
  if (!FAILED_RUN.has(conclusion)) return skip(`run ${run.id} did not fail (conclusion ${conclusion})`);
  if (run.runAttempt >= options.maxRunAttempts) {
    return skip(`run ${run.id} is at attempt ${run.runAttempt} and max_run_attempts is ${options.maxRunAttempts}`);
  }
  return undefined;
}

/** One failed job's verdict from the failure-level annotations of its check run. */
export function classifyJob(job: JobFacts, annotations: readonly AnnotationFacts[], rerunOn: readonly RegExp[]): JobVerdict {
  const failures = annotations.filter((annotation) => annotation.level === 'failure').map(annotationText);
  const verdict = (kind: 'transient' | 'fatal', why: string): JobVerdict => ({ id: job.id, name: job.name, kind, why: `${why}${stepNote(job)}` });

  // durable-agent knows why its own step failed better than any text pattern: its fatal marker wins.
  const markers = failures.flatMap((text) => text.split('\n').flatMap((line) => parseFailureMarker(line) ?? []));
  const fatalMarker = markers.find((marker) => marker.kind === 'fatal');
  if (fatalMarker) return verdict('fatal', `durable-agent marked it fatal (${fatalMarker.reason})`);
  const transientMarker = markers.find((marker) => marker.kind === 'transient');
  if (transientMarker) return verdict('transient', `durable-agent marked it transient (${transientMarker.reason})`);

  const infrastructure = INFRASTRUCTURE_PATTERNS.filter(({ pattern }) => failures.some((text) => pattern.test(text)));
  const first = infrastructure[0];
  if (first) {
    const canceled = infrastructure.some((match) => match.runnerLost) && failures.some((text) => OPERATION_CANCELED.test(text));
    return verdict('transient', `infrastructure: ${first.name}${canceled ? ' (its steps were canceled)' : ''}`);
  }
  // search() ignores lastIndex, so a user's pattern with the g flag does not alternate between calls.
  const userPattern = rerunOn.find((pattern) => failures.some((text) => text.search(pattern) !== -1));
  if (userPattern) return verdict('transient', `matched rerun_on ${String(userPattern)}`);

  const sample = failures[0];
  if (sample === undefined) return verdict('fatal', 'no failure annotation says why it failed');
  if (failures.some((text) => OPERATION_CANCELED.test(text))) {
    return verdict('fatal', `canceled without a runner-lost message (a cancel or a timeout): ${excerpt(sample)}`);
  }
  return verdict('fatal', `no annotation names a transient cause: ${excerpt(sample)}`);
}

export function classifyRun(input: ClassifyRunInput, options: ClassifyRunOptions): WatchdogDecision {
  const early = precheckRun(input.run, options);
  if (early) return early;
  const { run } = input;
  const failed = failedJobs(input.jobs);
  const attempt = `attempt ${run.runAttempt} of at most ${options.maxRunAttempts}, triggered by ${run.event}`;
  if (failed.length === 0) {
    return { decision: 'skip', reason: `run ${run.id} failed but none of its jobs did (${attempt}); nothing to re-run`, jobs: [] };
  }
  const jobs = failed.map((job) => classifyJob(job, input.annotations.get(job.id) ?? [], options.rerunOn));
  const fatal = jobs.filter((job) => job.kind === 'fatal');
  if (fatal.length > 0) {
    const names = fatal.map((job) => `'${job.name}'`).join(', ');
    const all = fatal.length === 1 ? 'its failed job' : `all ${jobs.length} failed jobs`;
    const of = fatal.length === jobs.length ? all : `${fatal.length} of ${jobs.length} failed jobs`;
    return { decision: 'skip', reason: `run ${run.id}: ${of} failed for a reason a re-run does not fix (${names}); ${attempt}`, jobs };
  }
  return { decision: 'rerun', reason: `run ${run.id}: ${jobs.length === 1 ? 'its failed job' : `all ${jobs.length} failed jobs`} failed transiently; ${attempt}`, jobs };
}

/**
 * Whether a run belongs to one of the watched workflows, each given as its name (`Agent`), its file
 * path (`.github/workflows/agent.yml`) or file name (`agent.yml`). No entries watch every workflow.
 */
export function isWatchedWorkflow(run: { readonly name: string | null; readonly path: string | null }, watched: readonly string[]): boolean {
  const entries = watched.map((entry) => entry.trim()).filter((entry) => entry !== '');
  if (entries.length === 0) return true;
  // A run's path can carry the ref it was read from (`.github/workflows/a.yml@refs/heads/main`).
  const path = (run.path ?? '').replace(/@.*$/, '');
  return entries.some((entry) => {
    const file = entry.replace(/^\.\//, '');
    return entry === run.name || (path !== '' && (file === path || path.endsWith(`/${file}`)));
  });
}

function annotationText(annotation: AnnotationFacts): string {
  return [annotation.title, annotation.message, annotation.rawDetails].filter((part) => part !== null && part !== '').join('\n');
}

function stepNote(job: JobFacts): string {
  const step = job.steps.find((s) => s.conclusion === 'failure' || s.conclusion === 'timed_out');
  if (step) return ` [step ${step.number} '${step.name}']`;
  return job.steps.length === 0 ? ' [no step ran]' : '';
}

function excerpt(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 160 ? `'${line.slice(0, 157)}...'` : `'${line}'`;
}
