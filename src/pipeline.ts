import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { AgentAdapter } from './agents/adapter.js';
import { createAdapter } from './agents/create-adapter.js';
import { isSessionIdOf } from './agents/session-id.js';
import { ensurePrivateFolder } from './private-folder.js';
import { locateCli } from './agents/locate-cli.js';
import { ExecutionFile } from './report/execution-file.js';
import { redactingLog, type Log } from './report/log.js';
import { createRedactor, knownSecrets } from './settings/known-secrets.js';
import { runAttempt, type AttemptRecord } from './runner/attempt.js';
import type { FailureReason } from './runner/classify.js';
import { nextLaunch, type LaunchPlan } from './runner/next-launch.js';
import { runWithRetries, type Wait } from './runner/retry-loop.js';
import { startApiProxy, type ApiProxy } from './proxy/api-proxy.js';
import { pingIntervalFrom } from './proxy/hold-policy.js';
import { providerRoute } from './agents/provider-route.js';
import { secretValues, type Settings } from './settings/settings.js';
import { z } from 'zod';
import { openJobCheckpoints, warnUnmatchedCheckpointPaths, type JobCheckpoints } from './checkpoint/job.js';
import { sessionStoreFor } from './agents/session-store.js';
import type { TurnGate } from './proxy/turn-gate.js';
import { defaultLimits } from './checkpoint/turn-boundary-policy.js';
import { describeCheckpointMode, TurnCheckpoints, type CheckpointMode } from './checkpoint/turn-checkpoints.js';
import { backgroundProcessesNote, branchRunPrompt, freshAfterRestorePrompt, rerunResumePrompt } from './checkpoint/resume-prompt.js';
import { findRunProcesses, RUN_MARKER_VARIABLE } from './runner/background-processes.js';
import type { SummaryAttempt, SummaryCheckpoint, SummaryHold } from './report/summary.js';

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
  /** Attempts of earlier job attempts (re-runs) of this lineage, from the restored checkpoint. */
  readonly earlierAttempts: readonly SummaryAttempt[];
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
  readonly runAttempt: number;
}

/** What the post step needs to take the last checkpoint when main was killed. */
export interface CheckpointState {
  readonly lastSequence: number;
  readonly sessionId: string | undefined;
  readonly baseCommit: string;
  /** The attempt history and totals the manifest carries, so the post step's checkpoint keeps them. */
  readonly attempts: readonly Record<string, unknown>[];
  readonly totals: { readonly costUsd: number; readonly turns: number };
}

export interface PipelineOptions {
  readonly settings: Settings;
  readonly log: Log;
  readonly env: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal | undefined;
  /** Look for the agent CLI on PATH before installing it. */
  readonly searchPath?: boolean;
  /** Told when a checkpoint was saved or the session became known (the action keeps them for its post step). */
  readonly onCheckpoint?: ((state: CheckpointState) => void) | undefined;
}

async function setUp(adapter: AgentAdapter, options: PipelineOptions): Promise<{ executable: string; executionFile: ExecutionFile }> {
  const { settings, log } = options;
  await ensurePrivateFolder(settings.homeDir);
  const location = await locateCli(
    adapter,
    {
      explicitPath: settings.cliPath,
      version: settings.cliVersion,
      toolsDir: path.join(settings.homeDir, 'tools'),
      searchPath: options.searchPath ?? true,
    },
    log,
  );
  log.info(`Agent: ${adapter.label} (${location.executable}, from ${location.source})`);
  await adapter.prepare();
  log.info(`Agent state folder: ${adapter.stateDir}`);
  const executionFile = await ExecutionFile.open(path.join(settings.homeDir, 'execution.ndjson'), { redact: createRedactor(knownSecrets(settings, options.env)) });
  log.info(`Execution file: ${executionFile.path}`);
  const { retry } = settings;
  log.info(
    `Retry policy: up to ${retry.maxAttempts} attempts, backoff ${retry.initialDelayMs} ms × ${retry.backoffFactor} up to ${retry.maxDelayMs} ms with full jitter, within ${retry.maxRetryTimeMs} ms`,
  );
  return { executable: location.executable, executionFile };
}

function describePlan(adapter: AgentAdapter, plan: LaunchPlan): string {
  const { request } = plan;
  if (request.mode === 'resume') return `${adapter.label}, resuming session ${request.sessionId ?? ''}`;
  return `${adapter.label}, new session${request.sessionId ? ` ${request.sessionId}` : ''}`;
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
  const route = providerRoute(settings.agent === 'claude' ? settings.provider : 'anthropic', options.env);
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
    hold: { retryTimeMs: settings.apiProxy.retryTimeMs, pingIntervalMs: pingIntervalFrom(options.env.DURABLE_AGENT_HOLD_PING_MS) },
  });
  const holds = settings.apiProxy.retryTimeMs > 0 ? `, then holds a streaming request up to ${settings.apiProxy.retryTimeMs} ms in all` : ', no outage hold';
  log.info(`API retry proxy: ${proxy.url} → ${new URL(upstream).origin} (${settings.apiProxy.attempts} tries per request, waits up to ${settings.apiProxy.maxDelayMs} ms${holds})`);
  return proxy;
}

function attemptEntry(record: AttemptRecord, runAttempt: number): Record<string, unknown> {
  return {
    runAttempt,
    number: record.number,
    startedAt: record.startedAt.toISOString(),
    durationMs: record.durationMs,
    mode: record.mode,
    outcome: record.classification.kind,
    reason: record.classification.reason,
    apiRetries: record.apiRetries,
    costUsd: record.costUsd,
    turns: record.numTurns,
  };
}

/** Attempts of earlier job attempts, as the manifest carries them, for the summary. */
function earlierAttempts(entries: readonly Record<string, unknown>[]): SummaryAttempt[] {
  const schema = z.object({
    runAttempt: z.number(),
    number: z.number(),
    startedAt: z.string(),
    durationMs: z.number(),
    mode: z.enum(['fresh', 'resume']),
    outcome: z.enum(['success', 'transient', 'fatal']),
    reason: z.string(),
    apiRetries: z.number(),
    costUsd: z.number().optional(),
    turns: z.number().optional(),
  });
  return entries.flatMap((entry) => {
    const parsed = schema.safeParse(entry);
    return parsed.success ? [{ ...parsed.data, startedAt: new Date(parsed.data.startedAt) }] : [];
  });
}

function firstPlan(adapter: AgentAdapter, settings: Settings, job: JobCheckpoints | undefined, runAttempt: number): LaunchPlan {
  const manifest = job?.restored?.manifest;
  if (manifest?.sessionId && manifest.agent === adapter.name && isSessionIdOf(adapter.name, manifest.sessionId)) {
    // Across runs the new run's task must reach the model; within a run the task is unchanged.
    const prompt = settings.checkpoint.resumeFrom === 'branch' ? branchRunPrompt(settings.prompt, manifest) : rerunResumePrompt(manifest, runAttempt);
    return { request: { mode: 'resume', prompt, sessionId: manifest.sessionId }, note: undefined };
  }
  if (manifest) {
    const why = manifest.sessionId && manifest.agent === adapter.name ? `its session id '${manifest.sessionId.slice(0, 80)}' is not one ${adapter.label} makes` : 'the checkpoint holds no session of this agent';
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

/** Why no further attempt may start: the cost guard over every attempt of the lineage. */
function overBudget(settings: Settings, totals: { costUsd: number; turns: number }): string | undefined {
  const { maxTotalCostUsd, maxTotalTurns } = settings.budget;
  if (maxTotalCostUsd > 0 && totals.costUsd >= maxTotalCostUsd) return `the total cost $${totals.costUsd.toFixed(4)} reached max_total_cost_usd ($${maxTotalCostUsd})`;
  if (maxTotalTurns > 0 && totals.turns >= maxTotalTurns) return `the total of ${totals.turns} turns reached max_total_turns (${maxTotalTurns})`;
  return undefined;
}

async function runAgent(options: PipelineOptions, proxy: ApiProxy | undefined, gate: { current: TurnGate | undefined }): Promise<RunResult> {
  const { settings, log } = options;
  const adapter = createAdapter({ settings, apiBaseUrl: proxy?.url });
  const { executable, executionFile } = await log.group('Set up', () => setUp(adapter, options));
  const jobAttempt = Number(options.env.GITHUB_RUN_ATTEMPT ?? '1') || 1;

  const job = await log.group('Checkpoints', () => openJobCheckpoints({ settings, adapter, env: options.env, log, restore: true }));
  const scheduler = job?.scheduler;
  const turns = scheduler
    ? new TurnCheckpoints({ scheduler, store: sessionStoreFor(adapter), log, limits: defaultLimits(settings.checkpoint.intervalMs), gated: proxy !== undefined })
    : undefined;
  gate.current = turns?.gate;
  if (turns) log.info(`Checkpoints are taken ${describeCheckpointMode(turns.mode)}.`);
  const onSaved = (): void => {
    if (job) {
      const { scheduler: jobScheduler } = job;
      options.onCheckpoint?.({
        lastSequence: jobScheduler.lastSequence,
        sessionId: jobScheduler.sessionId,
        baseCommit: job.baseCommit,
        attempts: jobScheduler.attempts,
        totals: jobScheduler.totals,
      });
    }
  };
  onSaved();
  if (job?.restored && scheduler) {
    await scheduler.due('after restore');
    onSaved();
  }
  const earlier = earlierAttempts(scheduler?.attempts ?? []);
  const totals = { ...(scheduler?.totals ?? { costUsd: 0, turns: 0 }) };
  // Inherited by everything the agent starts: how its background processes are found again.
  const runId = randomUUID();
  const agentEnv: NodeJS.ProcessEnv = job
    ? { ...options.env, [RUN_MARKER_VARIABLE]: runId, DURABLE_AGENT_CHECKPOINT_DIR: job.hooks.extraDir, DURABLE_AGENT_CHECKPOINT_REQUEST: job.hooks.requestFile }
    : { ...options.env, [RUN_MARKER_VARIABLE]: runId };

  let freshAfterLostSession = 0;
  let budgetStop: string | undefined = overBudget(settings, totals);
  const first = firstPlan(adapter, settings, job, jobAttempt);
  if (first.note) log.warning(first.note);
  scheduler?.start();
  const loop = budgetStop
    ? { attempts: [], waits: [], stoppedBecause: undefined }
    : await (async () => {
        try {
          return await runWithRetries({
            policy: settings.retry,
            first,
            log,
            signal: options.signal,
            attempt: async (number, plan) => {
              if (scheduler) scheduler.sessionId = plan.request.sessionId ?? scheduler.sessionId;
              turns?.attemptStarted(settings.attemptTimeoutMs);
              const record = await log.group(`Attempt ${number}: ${describePlan(adapter, plan)}`, () =>
                runAttempt({
                  number,
                  adapter,
                  executable,
                  request: plan.request,
                  cwd: settings.workingDirectory,
                  baseEnv: agentEnv,
                  attemptTimeoutMs: settings.attemptTimeoutMs,
                  idleTimeoutMs: settings.idleTimeoutMs,
                  killGraceMs: settings.killGraceMs,
                  classify: { retryOn: settings.retryOn, neverRetryOn: settings.neverRetryOn, retryUnknown: settings.retryUnknown },
                  executionFile,
                  log,
                  signal: options.signal,
                  takeProxyStats: proxy ? () => proxy.takeAttemptStats() : undefined,
                  onEvent: turns ? (event) => turns.onAgentEvent(event) : undefined,
                  onSessionId: (id) => {
                    if (scheduler) scheduler.sessionId = id;
                    onSaved();
                  },
                }),
              );
              await turns?.attemptEnded();
              totals.costUsd += record.costUsd ?? 0;
              totals.turns += record.numTurns ?? 0;
              if (scheduler) {
                scheduler.sessionId = record.sessionId ?? scheduler.sessionId;
                scheduler.attempts.push(attemptEntry(record, jobAttempt));
                scheduler.totals = { ...totals };
                if (record.classification.kind !== 'success' && record.classification.reason !== 'cancelled') {
                  await scheduler.due(`after failed attempt ${number}`);
                }
                onSaved();
              }
              return record;
            },
            delayHint: (record) => record.retryAfterMs,
            mayRetry: () => {
              budgetStop = overBudget(settings, totals);
              return budgetStop;
            },
            next: (previous) => {
              const plan = nextLaunch({ previous, prompt: settings.prompt, resumePrompt: settings.resumePrompt, newSessionId: () => adapter.newSessionId() });
              if (plan.request.mode === 'fresh') freshAfterLostSession += 1;
              return withBackgroundProcesses(plan, runId, settings, log);
            },
          });
        } finally {
          turns?.stop();
          scheduler?.stop();
          await executionFile.close();
        }
      })();

  const attempts = loop.attempts;
  const last = attempts.at(-1);
  const verdict = last?.classification;
  const success = verdict?.kind === 'success';
  const cancelled = loop.stoppedBecause === 'cancelled' || verdict?.reason === 'cancelled';

  if (scheduler) {
    await log.group('Final checkpoint', async () => {
      // A cancelled job has 7.5 s before SIGTERM and 2.5 s more before it is killed.
      await scheduler.due(cancelled ? 'cancelled' : 'end of the job attempt', { force: true, final: true, ...(cancelled ? { deadlineMs: 5000 } : {}) });
      onSaved();
      if (!cancelled && job) await job.scheduler.pruneOld(settings.checkpoint.keep);
      if (!cancelled && job) await warnUnmatchedCheckpointPaths(job, log);
    });
  }

  let failureMessage = success ? '' : (verdict?.message ?? 'the agent did not run');
  if (budgetStop && !success) failureMessage = `${budgetStop}; no further attempt was started`;
  else if (!success && loop.stoppedBecause && !cancelled) failureMessage = `${failureMessage} (gave up: ${loop.stoppedBecause})`;
  const failureReason: RunResult['failureReason'] = success ? '' : budgetStop ? 'budget' : cancelled ? 'cancelled' : (verdict?.reason ?? 'unknown');
  return {
    conclusion: success ? 'success' : 'failure',
    failureReason,
    failureKind: success ? '' : budgetStop || cancelled || verdict === undefined ? 'fatal' : verdict.kind === 'transient' ? 'transient' : 'fatal',
    failureMessage: cancelled ? 'the run was cancelled' : failureMessage,
    sessionId: [...attempts].reverse().find((attempt) => attempt.sessionId)?.sessionId ?? scheduler?.sessionId,
    executionFile: executionFile.path,
    attempts,
    earlierAttempts: earlier,
    waits: loop.waits,
    freshAfterLostSession,
    apiRetries: attempts.reduce((sum, attempt) => sum + attempt.apiRetries, 0),
    resumed: job?.restored !== undefined,
    restoredFrom: job?.restored ? `${job.restored.manifest.sequence}@${job.restored.manifest.createdAt}` : '',
    checkpointKey: scheduler?.latest?.key ?? '',
    checkpointsSaved: scheduler?.count ?? 0,
    checkpoints: scheduler?.history ?? [],
    checkpointMode: turns?.mode ?? '',
    holds: attempts.flatMap((attempt) => (attempt.holds ?? []).map((hold) => ({ ...hold, startedAt: new Date(hold.startedAt), attempt: attempt.number }))),
    totals,
    runAttempt: jobAttempt,
  };
}
