import { createRequire as __durableCreateRequire } from 'node:module';
const require = __durableCreateRequire(import.meta.url);
import {
  runPipeline
} from "./chunks/chunk-YOYCYDVO.js";
import {
  INPUT_DEFAULTS,
  Outputs,
  SettingsError,
  States,
  actionsLog,
  duration,
  external_exports,
  formatIssues,
  getInput,
  getOctokit,
  group,
  info,
  integer,
  optionalText,
  patterns,
  readSettings,
  renderSummary,
  saveState,
  secretValues,
  setFailed,
  setOutput,
  setSecret,
  summary,
  warning
} from "./chunks/chunk-YVK6MCV7.js";

// src/action/run-action.ts
import os from "node:os";

// src/settings/watchdog-settings.ts
var schema = external_exports.object({
  github_token: optionalText,
  max_run_attempts: integer({ min: 1, max: 50 }),
  rerun_delay: duration({ min: 0 }),
  rerun_on: patterns,
  watched_workflows: external_exports.string(),
  run_id: optionalText.refine((value) => value === void 0 || /^\d+$/.test(value), "is not a run id (a number)")
});
var NAMES = ["github_token", "max_run_attempts", "rerun_delay", "rerun_on", "watched_workflows", "run_id"];
function readWatchdogSettings(source, env) {
  const raw = Object.fromEntries(NAMES.map((name) => [name, source(name) || INPUT_DEFAULTS[name]]));
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new SettingsError(formatIssues(parsed.error, raw));
  const input = parsed.data;
  const token = input.github_token ?? env.GITHUB_TOKEN;
  if (!token) throw new SettingsError("github_token: the watchdog needs a token with actions: write and checks: read (give secrets.GITHUB_TOKEN)");
  const repository = env.GITHUB_REPOSITORY;
  if (!repository) throw new SettingsError("GITHUB_REPOSITORY is not set: the watchdog runs inside GitHub Actions (or set it to owner/name)");
  return Object.freeze({
    token,
    apiUrl: env.GITHUB_API_URL ?? "https://api.github.com",
    repository,
    runId: input.run_id === void 0 ? void 0 : Number(input.run_id),
    eventPath: env.GITHUB_EVENT_PATH,
    maxRunAttempts: input.max_run_attempts,
    rerunDelayMs: input.rerun_delay,
    rerunOn: Object.freeze(input.rerun_on),
    watchedWorkflows: Object.freeze(input.watched_workflows.split("\n").map((line) => line.trim()).filter(Boolean))
  });
}

// src/watchdog/event.ts
import { readFile } from "node:fs/promises";
var WatchdogEventError = class extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = "WatchdogEventError";
  }
};
var WorkflowRunEventSchema = external_exports.object({
  action: external_exports.string().optional(),
  workflow_run: external_exports.object({
    id: external_exports.number().int().positive(),
    name: external_exports.string().nullish(),
    path: external_exports.string().nullish(),
    conclusion: external_exports.string().nullish(),
    run_attempt: external_exports.number().int().positive().nullish()
  }).loose(),
  workflow: external_exports.object({ name: external_exports.string().nullish(), path: external_exports.string().nullish() }).loose().nullish(),
  repository: external_exports.object({ full_name: external_exports.string() }).loose().nullish()
}).loose();
function parseWorkflowRunEvent(payload) {
  const parsed = WorkflowRunEventSchema.safeParse(payload);
  if (!parsed.success) {
    throw new WatchdogEventError(
      `the event payload is not a workflow_run event (watchdog mode runs on 'on: workflow_run: types: [completed]', or give it a run id): ${external_exports.prettifyError(parsed.error)}`
    );
  }
  const { workflow_run: run, workflow, repository } = parsed.data;
  return {
    runId: run.id,
    repository: repository?.full_name,
    workflowName: run.name ?? workflow?.name ?? void 0,
    workflowPath: run.path ?? workflow?.path ?? void 0,
    conclusion: run.conclusion ?? null,
    runAttempt: run.run_attempt ?? void 0
  };
}
async function readWorkflowRunEvent(eventPath) {
  let text;
  try {
    text = await readFile(eventPath, "utf8");
  } catch (error) {
    throw new WatchdogEventError(`cannot read the event payload ${eventPath}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  let payload;
  try {
    payload = JSON.parse(text);
  } catch (error) {
    throw new WatchdogEventError(`the event payload ${eventPath} is not JSON`, { cause: error });
  }
  return parseWorkflowRunEvent(payload);
}
async function resolveWatchedRun(options) {
  if (options.runId !== void 0) {
    if (!Number.isSafeInteger(options.runId) || options.runId <= 0) throw new WatchdogEventError(`run id must be a positive integer, got ${options.runId}`);
    return { runId: options.runId, repository: void 0, workflowName: void 0, workflowPath: void 0, conclusion: void 0, runAttempt: void 0 };
  }
  if (options.eventPath === void 0 || options.eventPath === "") {
    throw new WatchdogEventError("no run to watch: give a run id, or run on a workflow_run event (GITHUB_EVENT_PATH is not set)");
  }
  return readWorkflowRunEvent(options.eventPath);
}

// src/watchdog/watchdog.ts
import { setTimeout as sleepFor } from "node:timers/promises";

// src/report/failure-marker.ts
var MARKER = /\[durable-agent:(transient|fatal):([a-z_]+)\]/;
function failureMarker(kind, reason) {
  return `[durable-agent:${kind}:${reason}]`;
}
function parseFailureMarker(text) {
  const match = MARKER.exec(text);
  if (!match?.[1] || !match[2]) return void 0;
  return { kind: match[1] === "transient" ? "transient" : "fatal", reason: match[2] };
}

// src/watchdog/classify-run.ts
var INFRASTRUCTURE_PATTERNS = [
  { name: "runner not acquired", pattern: /The job was not acquired by Runner of type .* even after multiple attempts/, runnerLost: false },
  { name: "GitHub internal server error", pattern: /Internal server error\. Correlation ID/, runnerLost: false },
  { name: "runner shutdown", pattern: /The runner has received a shutdown signal/, runnerLost: true },
  { name: "runner lost communication", pattern: /lost communication with the server/, runnerLost: true },
  { name: "hosted runner error", pattern: /The hosted runner encountered an error while running your job/, runnerLost: true }
];
var OPERATION_CANCELED = /The operation was canceled\./;
var FAILED_RUN = /* @__PURE__ */ new Set(["failure", "timed_out"]);
var FAILED_JOB = /* @__PURE__ */ new Set(["failure", "timed_out"]);
function failedJobs(jobs) {
  return jobs.filter((job) => job.conclusion !== null && FAILED_JOB.has(job.conclusion));
}
function runFailed(run) {
  return run.status === "completed" && run.conclusion !== null && FAILED_RUN.has(run.conclusion);
}
function precheckRun(run, options) {
  const skip = (reason) => ({ decision: "skip", reason, jobs: [] });
  if (run.status !== "completed") return skip(`run ${run.id} is ${run.status}, not completed`);
  const conclusion = run.conclusion ?? "none";
  if (conclusion === "cancelled") return skip(`run ${run.id} was cancelled; a cancelled run is never re-run`);
  if (conclusion === "startup_failure") return skip(`run ${run.id} failed to start (invalid workflow file); a re-run would fail the same way`);
  if (!FAILED_RUN.has(conclusion)) return skip(`run ${run.id} did not fail (conclusion ${conclusion})`);
  if (run.runAttempt >= options.maxRunAttempts) {
    return skip(`run ${run.id} is at attempt ${run.runAttempt} and max_run_attempts is ${options.maxRunAttempts}`);
  }
  return void 0;
}
function classifyJob(job, annotations, rerunOn) {
  const failures = annotations.filter((annotation) => annotation.level === "failure").map(annotationText);
  const verdict = (kind, why) => ({ id: job.id, name: job.name, kind, why: `${why}${stepNote(job)}` });
  const markers = failures.flatMap((text) => text.split("\n").flatMap((line) => parseFailureMarker(line) ?? []));
  const fatalMarker = markers.find((marker) => marker.kind === "fatal");
  if (fatalMarker) return verdict("fatal", `durable-agent marked it fatal (${fatalMarker.reason})`);
  const transientMarker = markers.find((marker) => marker.kind === "transient");
  if (transientMarker) return verdict("transient", `durable-agent marked it transient (${transientMarker.reason})`);
  const infrastructure = INFRASTRUCTURE_PATTERNS.filter(({ pattern }) => failures.some((text) => pattern.test(text)));
  const first = infrastructure[0];
  if (first) {
    const canceled = infrastructure.some((match) => match.runnerLost) && failures.some((text) => OPERATION_CANCELED.test(text));
    return verdict("transient", `infrastructure: ${first.name}${canceled ? " (its steps were canceled)" : ""}`);
  }
  const userPattern = rerunOn.find((pattern) => failures.some((text) => text.search(pattern) !== -1));
  if (userPattern) return verdict("transient", `matched rerun_on ${String(userPattern)}`);
  const sample = failures[0];
  if (sample === void 0) return verdict("fatal", "no failure annotation says why it failed");
  if (failures.some((text) => OPERATION_CANCELED.test(text))) {
    return verdict("fatal", `canceled without a runner-lost message (a cancel or a timeout): ${excerpt(sample)}`);
  }
  return verdict("fatal", `no annotation names a transient cause: ${excerpt(sample)}`);
}
function classifyRun(input, options) {
  const early = precheckRun(input.run, options);
  if (early) return early;
  const { run } = input;
  const failed = failedJobs(input.jobs);
  const attempt = `attempt ${run.runAttempt} of at most ${options.maxRunAttempts}, triggered by ${run.event}`;
  if (failed.length === 0) {
    return { decision: "skip", reason: `run ${run.id} failed but none of its jobs did (${attempt}); nothing to re-run`, jobs: [] };
  }
  const jobs = failed.map((job) => classifyJob(job, input.annotations.get(job.id) ?? [], options.rerunOn));
  const fatal = jobs.filter((job) => job.kind === "fatal");
  if (fatal.length > 0) {
    const names = fatal.map((job) => `'${job.name}'`).join(", ");
    const all = fatal.length === 1 ? "its failed job" : `all ${jobs.length} failed jobs`;
    const of = fatal.length === jobs.length ? all : `${fatal.length} of ${jobs.length} failed jobs`;
    return { decision: "skip", reason: `run ${run.id}: ${of} failed for a reason a re-run does not fix (${names}); ${attempt}`, jobs };
  }
  return { decision: "rerun", reason: `run ${run.id}: ${jobs.length === 1 ? "its failed job" : `all ${jobs.length} failed jobs`} failed transiently; ${attempt}`, jobs };
}
function isWatchedWorkflow(run, watched) {
  const entries = watched.map((entry) => entry.trim()).filter((entry) => entry !== "");
  if (entries.length === 0) return true;
  const path = (run.path ?? "").replace(/@.*$/, "");
  return entries.some((entry) => {
    const file = entry.replace(/^\.\//, "");
    return entry === run.name || path !== "" && (file === path || path.endsWith(`/${file}`));
  });
}
function annotationText(annotation) {
  return [annotation.title, annotation.message, annotation.rawDetails].filter((part) => part !== null && part !== "").join("\n");
}
function stepNote(job) {
  const step = job.steps.find((s) => s.conclusion === "failure" || s.conclusion === "timed_out");
  if (step) return ` [step ${step.number} '${step.name}']`;
  return job.steps.length === 0 ? " [no step ran]" : "";
}
function excerpt(text) {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 160 ? `'${line.slice(0, 157)}...'` : `'${line}'`;
}

// src/watchdog/github-client.ts
var GitHubApiError = class extends Error {
  /** HTTP status; undefined when no answer came (network) or the answer did not parse. */
  status;
  constructor(message, status, options) {
    super(message, options);
    this.name = "GitHubApiError";
    this.status = status;
  }
};
var RunSchema = external_exports.object({
  id: external_exports.number(),
  name: external_exports.string().nullish(),
  path: external_exports.string().nullish(),
  status: external_exports.string().nullish(),
  conclusion: external_exports.string().nullish(),
  run_attempt: external_exports.number().int().positive().nullish(),
  event: external_exports.string(),
  head_branch: external_exports.string().nullish(),
  html_url: external_exports.string().nullish()
}).loose();
var JobsPageSchema = external_exports.object({
  total_count: external_exports.number(),
  jobs: external_exports.array(
    external_exports.object({
      id: external_exports.number(),
      name: external_exports.string(),
      conclusion: external_exports.string().nullish(),
      steps: external_exports.array(external_exports.object({ name: external_exports.string(), number: external_exports.number(), conclusion: external_exports.string().nullish() }).loose()).nullish()
    }).loose()
  )
}).loose();
var AnnotationsPageSchema = external_exports.array(
  external_exports.object({
    annotation_level: external_exports.string().nullish(),
    title: external_exports.string().nullish(),
    message: external_exports.string().nullish(),
    raw_details: external_exports.string().nullish()
  }).loose()
);
var MAX_PAGES = 100;
var OctokitErrorSchema = external_exports.object({
  status: external_exports.number(),
  message: external_exports.string(),
  request: external_exports.object({ method: external_exports.string(), url: external_exports.string() }).loose().optional(),
  response: external_exports.object({ data: external_exports.unknown() }).loose().optional()
});
var ErrorBodySchema = external_exports.object({ message: external_exports.string() }).loose();
function createGitHubClient(repository, options) {
  const [owner, repo] = splitRepository(repository);
  const octokit = getOctokit(options.token, { baseUrl: options.apiUrl.replace(/\/+$/, "") });
  const perPage = options.perPage ?? 100;
  const request = options.signal ? { signal: options.signal } : {};
  async function call(route, params, what) {
    try {
      const response = await octokit.request(route, { owner, repo, ...params, request });
      return response.data;
    } catch (error) {
      throw describeFailure(error, route, what, options.signal);
    }
  }
  function parse(schema2, data, route) {
    const parsed = schema2.safeParse(data);
    if (!parsed.success) {
      throw new GitHubApiError(`GitHub API ${route} answered with an unexpected payload: ${external_exports.prettifyError(parsed.error)}`, void 0);
    }
    return parsed.data;
  }
  return {
    async getRun(runId) {
      const route = "GET /repos/{owner}/{repo}/actions/runs/{run_id}";
      const run = parse(RunSchema, await call(route, { run_id: runId }, `reading run ${runId} of ${repository}`), route);
      return {
        id: run.id,
        name: run.name ?? null,
        path: run.path ?? null,
        status: run.status ?? "unknown",
        conclusion: run.conclusion ?? null,
        runAttempt: run.run_attempt ?? 1,
        event: run.event,
        headBranch: run.head_branch ?? null,
        htmlUrl: run.html_url ?? null
      };
    },
    async listJobs(runId, attempt) {
      const route = "GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/jobs";
      const jobs = [];
      for (let page = 1; page <= MAX_PAGES; page++) {
        const data = await call(route, { run_id: runId, attempt_number: attempt, per_page: perPage, page }, `listing the jobs of run ${runId} attempt ${attempt}`);
        const body = parse(JobsPageSchema, data, route);
        for (const job of body.jobs) {
          jobs.push({
            id: job.id,
            name: job.name,
            conclusion: job.conclusion ?? null,
            steps: (job.steps ?? []).map((step) => ({ name: step.name, number: step.number, conclusion: step.conclusion ?? null }))
          });
        }
        if (body.jobs.length < perPage || jobs.length >= body.total_count) break;
      }
      return jobs;
    },
    async listAnnotations(jobId) {
      const route = "GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations";
      const annotations = [];
      for (let page = 1; page <= MAX_PAGES; page++) {
        const data = await call(route, { check_run_id: jobId, per_page: perPage, page }, `reading the annotations of job ${jobId} (needs checks: read)`);
        const body = parse(AnnotationsPageSchema, data, route);
        for (const annotation of body) {
          annotations.push({
            level: annotation.annotation_level ?? "failure",
            title: annotation.title ?? null,
            message: annotation.message ?? "",
            rawDetails: annotation.raw_details ?? null
          });
        }
        if (body.length < perPage) break;
      }
      return annotations;
    },
    async rerunFailedJobs(runId) {
      await call("POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs", { run_id: runId }, `re-running the failed jobs of run ${runId} (needs actions: write)`);
    }
  };
}
function splitRepository(repository) {
  const match = /^([^/\s]+)\/([^/\s]+)$/.exec(repository.trim());
  if (!match?.[1] || !match[2]) throw new TypeError(`repository must be 'owner/name', got '${repository}'`);
  return [match[1], match[2]];
}
function describeFailure(error, route, what, signal) {
  if (signal?.aborted) return error instanceof Error ? error : new Error(String(error));
  const parsed = OctokitErrorSchema.safeParse(error);
  if (!parsed.success) {
    return new GitHubApiError(`${what} failed: ${error instanceof Error ? error.message : String(error)}`, void 0, { cause: error });
  }
  const { status, request, response } = parsed.data;
  const where = request ? `${request.method} ${pathOf(request.url)}` : route;
  if (response === void 0) {
    return new GitHubApiError(`${what} failed: no answer from the GitHub API (${where}): ${parsed.data.message}`, void 0, { cause: error });
  }
  const body = ErrorBodySchema.safeParse(response.data);
  const message = body.success ? body.data.message : parsed.data.message;
  const hint = status === 401 ? ": the token is invalid or expired (github_token)" : status === 403 ? ": the token lacks a permission (the watchdog needs actions: write and checks: read) or a rate limit was hit" : status === 404 ? ": not found, or the token cannot see this repository" : "";
  return new GitHubApiError(`${what} failed: ${where} answered ${status} ${message}${hint}`, status, { cause: error });
}
function pathOf(url) {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

// src/watchdog/watchdog.ts
async function runWatchdog(options) {
  validate(options);
  const { log, signal } = options;
  const client = createGitHubClient(options.repository, { token: options.token, apiUrl: options.apiUrl, signal });
  const watched = options.watchedWorkflows ?? [];
  let verdicts = [];
  const finish = (decision, level = "info") => {
    log[level](`Decision: ${decision.decision} \u2014 ${decision.reason}`);
    return decision;
  };
  const aborted = (when) => finish({ decision: "skip", reason: `aborted ${when}; nothing was re-run`, jobs: verdicts }, "warning");
  try {
    if (signal?.aborted) return aborted("before the run was read");
    const run = await client.getRun(options.runId);
    log.info(`Run ${run.id} of ${describeWorkflow(run)}: ${run.status}/${run.conclusion ?? "none"}, attempt ${run.runAttempt}, event ${run.event}${run.htmlUrl ? ` \u2014 ${run.htmlUrl}` : ""}`);
    if (!isWatchedWorkflow(run, watched)) {
      return finish({ decision: "skip", reason: `${describeWorkflow(run)} is not among the watched workflows (${watched.join(", ")})`, jobs: [] });
    }
    const failedLevel = runFailed(run) ? "warning" : "info";
    const early = precheckRun(run, options);
    if (early) return finish(early, failedLevel);
    const jobs = await client.listJobs(run.id, run.runAttempt);
    const annotations = /* @__PURE__ */ new Map();
    for (const job of failedJobs(jobs)) annotations.set(job.id, await client.listAnnotations(job.id));
    const decision = classifyRun({ run, jobs, annotations }, options);
    verdicts = decision.jobs;
    for (const job of decision.jobs) log.info(`Job '${job.name}' (${job.id}): ${job.kind} \u2014 ${job.why}`);
    if (decision.decision === "skip") return finish(decision, failedLevel);
    if (options.rerunDelayMs > 0) {
      log.info(`Waiting ${formatDelay(options.rerunDelayMs)} before re-running the failed jobs of run ${run.id}`);
      const slept = await sleepUnlessAborted(options.rerunDelayMs, options.sleep ?? defaultSleep(signal), signal);
      if (!slept) return aborted("during the re-run delay");
    }
    const now = await client.getRun(run.id);
    const changed = changedSince(run, now);
    if (changed !== void 0) return finish({ decision: "skip", reason: `run ${run.id} changed during the delay (${changed}); leaving it alone`, jobs: decision.jobs });
    if (signal?.aborted) return aborted("before the re-run request");
    await client.rerunFailedJobs(run.id);
    log.info(`Requested a re-run of the failed jobs of run ${run.id}: attempt ${run.runAttempt + 1} of at most ${options.maxRunAttempts}`);
    return finish(decision);
  } catch (error) {
    if (signal?.aborted) return aborted("while talking to the GitHub API");
    throw error;
  }
}
function validate(options) {
  if (options.token === "") throw new TypeError("watchdog: a token is required (github_token with actions: write and checks: read)");
  if (!Number.isSafeInteger(options.runId) || options.runId <= 0) throw new RangeError(`watchdog: run id must be a positive integer, got ${options.runId}`);
  if (!Number.isSafeInteger(options.maxRunAttempts) || options.maxRunAttempts < 1) {
    throw new RangeError(`watchdog: max_run_attempts must be an integer of at least 1, got ${options.maxRunAttempts}`);
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
function changedSince(before, now) {
  if (now.runAttempt !== before.runAttempt) return `attempt ${before.runAttempt} \u2192 ${now.runAttempt}: re-run by someone else`;
  if (now.status !== before.status) return `status ${before.status} \u2192 ${now.status}`;
  if (now.conclusion !== before.conclusion) return `conclusion ${before.conclusion ?? "none"} \u2192 ${now.conclusion ?? "none"}`;
  return void 0;
}
async function sleepUnlessAborted(ms, sleep, signal) {
  if (signal === void 0) {
    await sleep(ms);
    return true;
  }
  if (signal.aborted) return false;
  const abort = Promise.withResolvers();
  const onAbort = () => abort.resolve(false);
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    return await Promise.race([sleep(ms).then(() => true), abort.promise]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
function defaultSleep(signal) {
  return (ms) => sleepFor(ms, void 0, signal ? { signal } : {}).catch((error) => {
    if (!signal?.aborted) throw error;
  });
}
function describeWorkflow(run) {
  if (run.name && run.path) return `workflow '${run.name}' (${run.path})`;
  return `workflow '${run.name ?? run.path ?? "unknown"}'`;
}
function formatDelay(ms) {
  if (ms < 1e3) return `${ms} ms`;
  const seconds = Math.round(ms / 1e3);
  return seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
}

// src/action/run-watchdog.ts
async function runWatchdogAction(signal) {
  const settings = readWatchdogSettings((name) => getInput(name), process.env);
  setSecret(settings.token);
  const run = await resolveWatchedRun({ runId: settings.runId, eventPath: settings.eventPath });
  const result = await group(
    `Watchdog: run ${run.runId}${run.workflowName ? ` of ${run.workflowName}` : ""}`,
    () => runWatchdog({
      token: settings.token,
      apiUrl: settings.apiUrl,
      repository: run.repository ?? settings.repository,
      runId: run.runId,
      maxRunAttempts: settings.maxRunAttempts,
      rerunDelayMs: settings.rerunDelayMs,
      rerunOn: settings.rerunOn,
      watchedWorkflows: settings.watchedWorkflows,
      log: { info: (message) => info(message), warning: (message) => warning(message) },
      signal
    })
  );
  setOutput(Outputs.decision, result.decision);
  setOutput(Outputs.reason, result.reason);
  info(`Decision: ${result.decision} (${result.reason})`);
}

// src/action/run-action.ts
function setOutputs(result) {
  setOutput(Outputs.conclusion, result.conclusion);
  setOutput(Outputs.sessionId, result.sessionId ?? "");
  setOutput(Outputs.executionFile, result.executionFile);
  setOutput(Outputs.failureReason, result.failureReason);
  setOutput(Outputs.attempts, String(result.attempts.length));
  setOutput(Outputs.resumedSessions, String(result.attempts.filter((a) => a.mode === "resume").length));
  setOutput(Outputs.freshSessionFallbacks, String(result.freshAfterLostSession));
  setOutput(Outputs.apiRetries, String(result.apiRetries));
  setOutput(Outputs.resumed, String(result.resumed));
  setOutput(Outputs.restoredFrom, result.restoredFrom);
  setOutput(Outputs.checkpointKey, result.checkpointKey);
  setOutput(Outputs.checkpointsSaved, String(result.checkpointsSaved));
}
async function writeSummary(agent, result) {
  try {
    const markdown = renderSummary({
      conclusion: result.conclusion,
      failureReason: result.failureReason,
      failureMessage: result.failureMessage,
      agent,
      sessionId: result.sessionId,
      attempts: [...result.earlierAttempts, ...result.attempts.map((attempt) => ({
        runAttempt: result.runAttempt,
        number: attempt.number,
        startedAt: attempt.startedAt,
        durationMs: attempt.durationMs,
        mode: attempt.mode,
        outcome: attempt.classification.kind,
        reason: attempt.classification.reason,
        apiRetries: attempt.apiRetries,
        costUsd: attempt.costUsd,
        turns: attempt.numTurns
      }))],
      waits: result.waits,
      checkpoints: result.checkpoints,
      totalCostUsd: result.totals.costUsd > 0 ? result.totals.costUsd : sumDefined(result.attempts.map((attempt) => attempt.costUsd)),
      totalTurns: result.totals.turns > 0 ? result.totals.turns : sumDefined(result.attempts.map((attempt) => attempt.numTurns))
    });
    await summary.addRaw(markdown).write();
  } catch (error) {
    warning(`Could not write the job summary: ${error instanceof Error ? error.message : String(error)}`);
  }
}
function sumDefined(values) {
  const known = values.filter((value) => value !== void 0);
  return known.length > 0 ? known.reduce((sum, value) => sum + value, 0) : void 0;
}
async function runAction() {
  saveState(States.mainStarted, "true");
  const controller = new AbortController();
  const onSignal = (signal) => {
    warning(`Received ${signal}: stopping the agent`);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    if (getInput("mode") === "watchdog") {
      await runWatchdogAction(controller.signal);
      return;
    }
    const settings = readSettings((name) => getInput(name), {
      baseDir: process.env.GITHUB_WORKSPACE ?? process.cwd(),
      tempDir: process.env.RUNNER_TEMP ?? os.tmpdir(),
      job: process.env.GITHUB_JOB
    });
    for (const secret of secretValues(settings)) setSecret(secret);
    saveState(States.stateDir, settings.homeDir);
    const result = await runPipeline({
      settings,
      log: actionsLog(),
      env: process.env,
      signal: controller.signal,
      onCheckpoint: (state) => {
        saveState(States.lastSequence, String(state.lastSequence));
        saveState(States.sessionId, state.sessionId ?? "");
        saveState(States.baseCommit, state.baseCommit);
      }
    });
    setOutputs(result);
    await writeSummary(settings.agent, result);
    if (result.conclusion === "failure") {
      const marker = result.failureKind ? ` ${failureMarker(result.failureKind, result.failureReason)}` : "";
      setFailed(`${result.failureReason}: ${result.failureMessage}${marker}`);
    }
  } catch (error) {
    if (error instanceof SettingsError) {
      setOutput(Outputs.conclusion, "failure");
      setOutput(Outputs.failureReason, "invalid_input");
    }
    setFailed(error instanceof Error ? error.message : String(error));
  } finally {
    saveState(States.mainFinished, "true");
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

// src/main.ts
await runAction();
