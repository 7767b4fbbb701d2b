import path from 'node:path';
import type { AgentAdapter } from './agents/adapter.js';
import { createAdapter } from './agents/create-adapter.js';
import { locateCli } from './agents/locate-cli.js';
import { ExecutionFile } from './report/execution-file.js';
import type { Log } from './report/log.js';
import { runAttempt, type AttemptRecord } from './runner/attempt.js';
import type { FailureReason } from './runner/classify.js';
import { nextLaunch, type LaunchPlan } from './runner/next-launch.js';
import { runWithRetries, type Wait } from './runner/retry-loop.js';
import { startApiProxy, type ApiProxy } from './proxy/api-proxy.js';
import type { Settings } from './settings/settings.js';

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
}

export interface PipelineOptions {
  readonly settings: Settings;
  readonly log: Log;
  readonly env: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal | undefined;
  /** Look for the agent CLI on PATH before installing it. */
  readonly searchPath?: boolean;
}

async function setUp(adapter: AgentAdapter, options: PipelineOptions): Promise<{ executable: string; executionFile: ExecutionFile }> {
  const { settings, log } = options;
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
  const executionFile = await ExecutionFile.open(path.join(settings.homeDir, 'execution.ndjson'));
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
export async function runPipeline(options: PipelineOptions): Promise<RunResult> {
  const proxy = await startProxy(options);
  try {
    return await runAgent(options, proxy);
  } finally {
    await proxy?.close();
  }
}

const DEFAULT_ANTHROPIC_URL = 'https://api.anthropic.com';

async function startProxy(options: PipelineOptions): Promise<ApiProxy | undefined> {
  const { settings, log } = options;
  if (!settings.apiProxy.enabled) return undefined;
  const upstream = options.env.ANTHROPIC_BASE_URL || DEFAULT_ANTHROPIC_URL;
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
  });
  log.info(`API retry proxy: ${proxy.url} → ${new URL(upstream).origin} (${settings.apiProxy.attempts} tries per request, waits up to ${settings.apiProxy.maxDelayMs} ms)`);
  return proxy;
}

async function runAgent(options: PipelineOptions, proxy: ApiProxy | undefined): Promise<RunResult> {
  const { settings, log } = options;
  const adapter = createAdapter({ settings, apiBaseUrl: proxy?.url });
  const { executable, executionFile } = await log.group('Set up', () => setUp(adapter, options));

  let freshAfterLostSession = 0;
  const loop = await (async () => {
    try {
      return await runWithRetries({
        policy: settings.retry,
        first: { request: { mode: 'fresh', prompt: settings.prompt, sessionId: adapter.newSessionId() }, note: undefined },
        log,
        signal: options.signal,
        attempt: (number, plan) =>
          log.group(`Attempt ${number}: ${describePlan(adapter, plan)}`, () =>
            runAttempt({
              number,
              adapter,
              executable,
              request: plan.request,
              cwd: settings.workingDirectory,
              baseEnv: options.env,
              attemptTimeoutMs: settings.attemptTimeoutMs,
              idleTimeoutMs: settings.idleTimeoutMs,
              killGraceMs: settings.killGraceMs,
              classify: { retryOn: settings.retryOn, neverRetryOn: settings.neverRetryOn, retryUnknown: settings.retryUnknown },
              executionFile,
              log,
              signal: options.signal,
              takeProxyStats: proxy ? () => proxy.takeAttemptStats() : undefined,
            }),
          ),
        delayHint: (record) => record.retryAfterMs,
        next: (previous) => {
          const plan = nextLaunch({ previous, prompt: settings.prompt, resumePrompt: settings.resumePrompt, newSessionId: () => adapter.newSessionId() });
          if (plan.request.mode === 'fresh') freshAfterLostSession += 1;
          return plan;
        },
      });
    } finally {
      await executionFile.close();
    }
  })();

  const attempts = loop.attempts;
  const last = attempts.at(-1);
  const verdict = last?.classification;
  const success = verdict?.kind === 'success';
  const cancelled = loop.stoppedBecause === 'cancelled';
  let failureMessage = success ? '' : (verdict?.message ?? 'the agent did not run');
  if (!success && loop.stoppedBecause && !cancelled) failureMessage = `${failureMessage} (gave up: ${loop.stoppedBecause})`;
  return {
    conclusion: success ? 'success' : 'failure',
    failureReason: cancelled ? 'cancelled' : verdict === undefined ? 'unknown' : verdict.kind === 'success' ? '' : verdict.reason,
    failureKind: success ? '' : cancelled || verdict === undefined ? 'fatal' : verdict.kind === 'transient' ? 'transient' : 'fatal',
    failureMessage: cancelled ? 'the run was cancelled' : failureMessage,
    sessionId: [...attempts].reverse().find((attempt) => attempt.sessionId)?.sessionId,
    executionFile: executionFile.path,
    attempts,
    waits: loop.waits,
    freshAfterLostSession,
    apiRetries: attempts.reduce((sum, attempt) => sum + attempt.apiRetries, 0),
  };
}
