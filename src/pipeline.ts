import { randomUUID } from 'node:crypto';
import type { AgentAdapter } from './agents/adapter.js';
import { createAdapter } from './agents/create-adapter.js';
import { isSessionIdOf } from './agents/session-id.js';
import { ensurePrivateFolder } from './private-folder.js';
import { locateCli } from './agents/locate-cli.js';
import { ExecutionFile } from './report/execution-file.js';
import { redactingLog, type Log } from './report/log.js';
import type { RunContext } from './run-context.js';
import { createRedactor, knownSecrets } from './settings/known-secrets.js';
import { runAttempt, type AttemptRecord } from './runner/attempt.js';
import type { FailureReason } from './runner/classify.js';
import { nextLaunch, type LaunchPlan } from './runner/next-launch.js';
import { runWithRetries, type RetryLoopResult, type Wait } from './runner/retry-loop.js';
import { attemptEntryOf, type AttemptEntry } from './runner/attempt-entry.js';
import { earlierRun, RunLedger, type RunSnapshot } from './runner/run-ledger.js';
import { concludeRun, type Conclusion } from './runner/conclusion.js';
import { startApiProxy, type ApiProxy } from './proxy/api-proxy.js';
import { pingIntervalFrom } from './proxy/hold-policy.js';
import { providerRoute } from './agents/provider-route.js';
import { secretValues, type Settings } from './settings/settings.js';
import { openJobCheckpoints, warnUnmatchedCheckpointPaths, type JobCheckpoints } from './checkpoint/job.js';
import { sessionStoreFor } from './agents/session-store.js';
import type { TurnGate } from './proxy/turn-gate.js';
import { defaultLimits } from './checkpoint/turn-boundary-policy.js';
import { describeCheckpointMode, TurnCheckpoints, type CheckpointMode } from './checkpoint/turn-checkpoints.js';
import { backgroundProcessesNote, branchRunPrompt, freshAfterRestorePrompt, rerunResumePrompt } from './checkpoint/resume-prompt.js';
import { findRunProcesses, RUN_MARKER_VARIABLE } from './runner/background-processes.js';
import type { SummaryCheckpoint, SummaryHold } from './report/summary.js';

export interface RunResult {
  readonly conclusion: 'success' | 'failure';
  readonly failureReason: FailureReason | '';
  /** Whether the failure was transient (a re-run may succeed) or fatal; empty on success. */
  readonly failureKind: 'transient' | 'fatal' | '';
  readonly failureMessage: string;
  readonly sessionId: string | undefined;
  readonly executionFile: string;
  readonly attempts: readonly AttemptRecord[];
  readonly waits: readonly Wait[];
  /** Attempts that started a fresh session because the previous one could not be resumed. */
  readonly freshAfterLostSession: number;
  /** Model API calls the proxy had to retry, over all attempts. */
  readonly apiRetries: number;
  /** Every attempt of the lineage: earlier job attempts' (from the restored checkpoint), then this one's. */
  readonly history: readonly AttemptEntry[];
  readonly resumed: boolean;
  /** `sequence@time` of the restored checkpoint; empty when none was. */
  readonly restoredFrom: string;
  readonly checkpointKey: string;
  readonly checkpointsSaved: number;
  readonly checkpoints: readonly SummaryCheckpoint[];
  /** How checkpoints relate agent state and work tree in this run; empty without checkpoints. */
  readonly checkpointMode: CheckpointMode | '';
  /** Requests the API proxy held through an outage, over all attempts of this job attempt. */
  readonly holds: readonly SummaryHold[];
  /** Cost and turns over every attempt of the lineage, re-runs included. */
  readonly totals: { readonly costUsd: number; readonly turns: number };
}

/**
 * What the post step needs to take the last checkpoint when main was killed: where the job's
 * checkpoints stand, and the run's session, history and totals so that its checkpoint keeps them.
 */
export interface CheckpointState extends RunSnapshot {
  readonly lastSequence: number;
  readonly baseCommit: string;
}

export interface PipelineOptions {
  readonly settings: Settings;
  readonly log: Log;
  /** The job this runs in, read from the environment by the entry point. */
  readonly run: RunContext;
  /** The environment the agent starts from; read here only for its secrets and provider variables. */
  readonly env: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal | undefined;
  /** Look for the agent CLI on PATH before installing it. */
  readonly searchPath?: boolean;
  /** Told when a checkpoint was saved or the run's ledger changed (the action keeps them for its post step). */
  readonly onCheckpoint?: ((state: CheckpointState) => void) | undefined;
}

async function setUp(adapter: AgentAdapter, options: PipelineOptions): Promise<{ executable: string; executionFile: ExecutionFile }> {
  const { settings, log } = options;
  await ensurePrivateFolder(settings.home.root);
  const location = await locateCli(
    adapter.agent,
    {
      explicitPath: settings.cliPath,
      version: settings.cliVersion,
      toolsDir: settings.home.tools,
      searchPath: options.searchPath ?? true,
    },
    log,
  );
  log.info(`Agent: ${adapter.agent.label} (${location.executable}, from ${location.source})`);
  await adapter.prepare(options.run.user);
  log.info(`Agent state folder: ${adapter.stateDir}`);
  const executionFile = await ExecutionFile.open(settings.home.executionFile, { redact: createRedactor(knownSecrets(settings, options.env)) });
  log.info(`Execution file: ${executionFile.path}`);
  const { retry } = settings;
  log.info(
    `Retry policy: up to ${retry.maxAttempts} attempts, backoff ${retry.initialDelayMs} ms × ${retry.backoffFactor} up to ${retry.maxDelayMs} ms with full jitter, within ${retry.maxRetryTimeMs} ms`,
  );
  return { executable: location.executable, executionFile };
}

function describePlan(adapter: AgentAdapter, plan: LaunchPlan): string {
  const { request } = plan;
  if (request.mode === 'resume') return `${adapter.agent.label}, resuming session ${request.sessionId ?? ''}`;
  return `${adapter.agent.label}, new session${request.sessionId ? ` ${request.sessionId}` : ''}`;
}

/** One run of the agent as the action and the CLI both do it: set up, then attempts with retries. */
export async function runPipeline(given: PipelineOptions): Promise<RunResult> {
  // The agent's stderr, its rendered events and error messages can echo a secret: the Actions log
  // masks the ones registered with setSecret, a terminal masks nothing.
  const options = { ...given, log: redactingLog(given.log, createRedactor(knownSecrets(given.settings, given.env))) };
  // The proxy starts before the checkpoints are opened; the gate is set once they are.
  const gate: { current: TurnGate | undefined } = { current: undefined };
  const proxy = await startProxy(options, (request) => gate.current?.beforeForward(request) ?? Promise.resolve());
  try {
    return await runAgent(options, proxy, gate);
  } finally {
    await proxy?.close();
  }
}

async function startProxy(options: PipelineOptions, beforeForward: TurnGate['beforeForward']): Promise<ApiProxy | undefined> {
  const { settings, log } = options;
  if (!settings.apiProxy.enabled) return undefined;
  // Settings give a provider other than the Anthropic API only to an agent that takes the switches.
  const route = providerRoute(settings.provider, options.env);
  if (route.provider !== 'anthropic') log.info(`Provider: ${route.provider} (${route.useVariable ?? ''}=1)`);
  if (route.note) log.info(route.note);
  const upstream = route.upstream;
  if (upstream === undefined) return undefined;
  const proxy = await startApiProxy({
    upstream,
    policy: {
      attempts: settings.apiProxy.attempts,
      initialDelayMs: Math.min(1000, settings.apiProxy.maxDelayMs),
      maxDelayMs: settings.apiProxy.maxDelayMs,
      factor: 2,
    },
    log,
    signal: options.signal,
    beforeForward,
    hold: { retryTimeMs: settings.apiProxy.retryTimeMs, pingIntervalMs: pingIntervalFrom(options.run.holdPingMs) },
  });
  const holds = settings.apiProxy.retryTimeMs > 0 ? `, then holds a streaming request up to ${settings.apiProxy.retryTimeMs} ms in all` : ', no outage hold';
  log.info(`API retry proxy: ${proxy.url} → ${new URL(upstream).origin} (${settings.apiProxy.attempts} tries per request, waits up to ${settings.apiProxy.maxDelayMs} ms${holds})`);
  return proxy;
}

function firstPlan(adapter: AgentAdapter, settings: Settings, job: JobCheckpoints | undefined, runAttempt: number): LaunchPlan {
  const manifest = job?.restored?.manifest;
  if (manifest?.sessionId && manifest.agent === adapter.agent.name && isSessionIdOf(adapter.agent, manifest.sessionId)) {
    // Across runs the new run's task must reach the model; within a run the task is unchanged.
    const prompt = settings.checkpoint.resumeFrom === 'branch' ? branchRunPrompt(settings.prompt, manifest) : rerunResumePrompt(manifest, runAttempt);
    return { request: { mode: 'resume', prompt, sessionId: manifest.sessionId }, note: undefined };
  }
  if (manifest) {
    const why = manifest.sessionId && manifest.agent === adapter.agent.name ? `its session id '${manifest.sessionId.slice(0, 80)}' is not one ${adapter.agent.label} makes` : 'the checkpoint holds no session of this agent';
    return { request: { mode: 'fresh', prompt: freshAfterRestorePrompt(settings.prompt, manifest), sessionId: adapter.newSessionId() }, note: `${why}: starting a fresh session` };
  }
  return { request: { mode: 'fresh', prompt: settings.prompt, sessionId: adapter.newSessionId() }, note: undefined };
}

/** The next launch's prompt names the processes earlier attempts left running, and the log does too. */
function withBackgroundProcesses(plan: LaunchPlan, runId: string, settings: Settings, log: Log): LaunchPlan {
  const running = findRunProcesses(runId);
  if (running.length === 0) return plan;
  const note = backgroundProcessesNote(running, secretValues(settings));
  log.info(`Still running from earlier attempts (named in the next prompt): ${running.map((entry) => `pid ${entry.pid}`).join(', ')}`);
  return { ...plan, request: { ...plan.request, prompt: `${plan.request.prompt}${note}` } };
}


/** Everything one attempt needs, set up once per job attempt. */
interface AgentRun {
  readonly options: PipelineOptions;
  readonly adapter: AgentAdapter;
  readonly executable: string;
  readonly executionFile: ExecutionFile;
  readonly proxy: ApiProxy | undefined;
  readonly job: JobCheckpoints | undefined;
  readonly turns: TurnCheckpoints | undefined;
  /** Inherited by everything the agent starts: how its background processes are found again. */
  readonly runId: string;
  readonly agentEnv: NodeJS.ProcessEnv;
  readonly jobAttempt: number;
  readonly ledger: RunLedger;
}

/**
 * Keeps what the action's post step needs current, written in this one place: after every change
 * of the ledger and every checkpoint saved.
 */
function keepPostStateCurrent(options: PipelineOptions, job: JobCheckpoints | undefined, ledger: RunLedger): void {
  const tell = options.onCheckpoint;
  if (!job || !tell) return;
  const publish = (): void => tell({ lastSequence: job.scheduler.lastSequence, baseCommit: job.baseCommit, ...ledger.snapshot() });
  ledger.onChange(publish);
  job.scheduler.onSaved(publish);
  publish();
}

async function openCheckpoints(
  options: PipelineOptions,
  adapter: AgentAdapter,
  proxy: ApiProxy | undefined,
  gate: { current: TurnGate | undefined },
  ledger: RunLedger,
): Promise<Pick<AgentRun, 'job' | 'turns'>> {
  const { settings, log } = options;
  const job = await log.group('Checkpoints', () => openJobCheckpoints({ settings, adapter, run: options.run, env: options.env, log, restore: true, runState: () => ledger.snapshot() }));
  if (job?.restored) ledger.continueFrom(earlierRun(job.restored.manifest));
  const turns = job
    ? new TurnCheckpoints({
        scheduler: job.scheduler,
        ledger,
        store: sessionStoreFor(adapter),
        log,
        limits: defaultLimits(settings.checkpoint.intervalMs),
        gated: proxy !== undefined,
      })
    : undefined;
  gate.current = turns?.gate;
  if (turns) log.info(`Checkpoints are taken ${describeCheckpointMode(turns.mode)}.`);
  keepPostStateCurrent(options, job, ledger);
  if (job?.restored) await job.scheduler.due('after restore');
  return { job, turns };
}

/** One attempt: the agent run once, then its cost counted and, after a failure, a checkpoint. */
async function runOneAttempt(run: AgentRun, number: number, plan: LaunchPlan): Promise<AttemptRecord> {
  const { options, adapter, turns, proxy, ledger } = run;
  const { settings, log } = options;
  ledger.launched(plan);
  turns?.attemptStarted(settings.attemptTimeoutMs);
  const record = await log.group(`Attempt ${number}: ${describePlan(adapter, plan)}`, () =>
    runAttempt({
      number,
      adapter,
      executable: run.executable,
      request: plan.request,
      cwd: settings.workingDirectory,
      baseEnv: run.agentEnv,
      attemptTimeoutMs: settings.attemptTimeoutMs,
      idleTimeoutMs: settings.idleTimeoutMs,
      killGraceMs: settings.killGraceMs,
      classify: { retryOn: settings.retryOn, neverRetryOn: settings.neverRetryOn, retryUnknown: settings.retryUnknown },
      executionFile: run.executionFile,
      log,
      signal: options.signal,
      takeProxyStats: proxy ? () => proxy.takeAttemptStats() : undefined,
      onEvent: turns ? (event) => turns.onAgentEvent(event) : undefined,
      onSessionId: (id) => ledger.sessionReported(id),
    }),
  );
  await turns?.attemptEnded();
  ledger.attemptEnded(attemptEntryOf(record, run.jobAttempt), record.sessionId);
  if (run.job && record.classification.kind !== 'success' && record.classification.reason !== 'cancelled') {
    await run.job.scheduler.due(`after failed attempt ${number}`);
  }
  return record;
}

/** Attempts with retries, unless the budget is spent before the first one. */
async function runAttempts(run: AgentRun, first: LaunchPlan): Promise<RetryLoopResult> {
  const { options, adapter, ledger } = run;
  const { settings, log } = options;
  if (ledger.budgetStop) return { attempts: [], waits: [], stoppedBecause: undefined };
  try {
    return await runWithRetries({
      policy: settings.retry,
      first,
      log,
      signal: options.signal,
      attempt: (number, plan) => runOneAttempt(run, number, plan),
      delayHint: (record) => record.retryAfterMs,
      mayRetry: () => ledger.checkBudget(),
      next: (previous) => {
        const plan = nextLaunch({ previous, prompt: settings.prompt, resumePrompt: settings.resumePrompt, newSessionId: () => adapter.newSessionId() });
        ledger.planned(plan);
        return withBackgroundProcesses(plan, run.runId, settings, log);
      },
    });
  } finally {
    run.turns?.stop();
    run.job?.scheduler.stop();
    await run.executionFile.close();
  }
}

async function finalCheckpoint(run: AgentRun, cancelled: boolean): Promise<void> {
  const { job } = run;
  const { settings, log } = run.options;
  if (!job) return;
  await log.group('Final checkpoint', async () => {
    // A cancelled job has 7.5 s before SIGTERM and 2.5 s more before it is killed.
    await job.scheduler.due(cancelled ? 'cancelled' : 'end of the job attempt', { force: true, final: true, ...(cancelled ? { deadlineMs: 5000 } : {}) });
    if (!cancelled) await job.scheduler.pruneOld(settings.checkpoint.keep);
    if (!cancelled) await warnUnmatchedCheckpointPaths(job, log);
  });
}

function runResult(run: AgentRun, loop: RetryLoopResult, conclusion: Conclusion): RunResult {
  const { job, turns, ledger } = run;
  const { attempts } = loop;
  return {
    conclusion: conclusion.conclusion,
    failureReason: conclusion.failureReason,
    failureKind: conclusion.failureKind,
    failureMessage: conclusion.failureMessage,
    sessionId: [...attempts].reverse().find((attempt) => attempt.sessionId)?.sessionId ?? (job ? ledger.sessionId : undefined),
    executionFile: run.executionFile.path,
    attempts,
    history: ledger.history,
    waits: loop.waits,
    freshAfterLostSession: ledger.freshAfterLostSession,
    apiRetries: attempts.reduce((sum, attempt) => sum + attempt.apiRetries, 0),
    resumed: job?.restored !== undefined,
    restoredFrom: job?.restored ? `${job.restored.manifest.sequence}@${job.restored.manifest.createdAt}` : '',
    checkpointKey: job?.scheduler.latest?.key ?? '',
    checkpointsSaved: job?.scheduler.count ?? 0,
    checkpoints: job?.scheduler.history ?? [],
    checkpointMode: turns?.mode ?? '',
    holds: attempts.flatMap((attempt) => (attempt.holds ?? []).map((hold) => ({ ...hold, startedAt: new Date(hold.startedAt), attempt: attempt.number }))),
    totals: ledger.totals,
  };
}

async function runAgent(options: PipelineOptions, proxy: ApiProxy | undefined, gate: { current: TurnGate | undefined }): Promise<RunResult> {
  const { settings, log } = options;
  const adapter = createAdapter({ settings, apiBaseUrl: proxy?.url, jobBaseUrl: options.env.ANTHROPIC_BASE_URL });
  const { executable, executionFile } = await log.group('Set up', () => setUp(adapter, options));
  const jobAttempt = options.run.runAttempt;
  const ledger = new RunLedger(settings.budget);
  const { job, turns } = await openCheckpoints(options, adapter, proxy, gate, ledger);
  const runId = randomUUID();
  const hooks = job ? { DURABLE_AGENT_CHECKPOINT_DIR: job.hooks.extraDir, DURABLE_AGENT_CHECKPOINT_REQUEST: job.hooks.requestFile } : {};
  const agentEnv: NodeJS.ProcessEnv = { ...options.env, [RUN_MARKER_VARIABLE]: runId, ...hooks };
  const run: AgentRun = { options, adapter, executable, executionFile, proxy, job, turns, runId, agentEnv, jobAttempt, ledger };

  const first = firstPlan(adapter, settings, job, jobAttempt);
  if (first.note) log.warning(first.note);
  job?.scheduler.start();
  const loop = await runAttempts(run, first);
  const conclusion = concludeRun(loop, ledger.budgetStop);
  await finalCheckpoint(run, conclusion.cancelled);
  return runResult(run, loop, conclusion);
}
