import type { AgentAdapter, LaunchRequest } from '../agents/adapter.js';
import type { AgentEvent } from '../agents/events.js';
import type { HoldRecord, ProxyStats } from '../proxy/api-proxy.js';
import type { ExecutionFile } from '../report/execution-file.js';
import type { Log } from '../report/log.js';
import { childEnvironment } from './child-env.js';
import { createEventConsumer } from './event-consumer.js';
import { EvidenceCollector } from './evidence.js';
import { classifyAttempt, type Classification, type ClassifyOptions } from './classify.js';
import { supervise, type ChildOutcome } from './supervise.js';

export interface AttemptOptions {
  readonly number: number;
  readonly adapter: AgentAdapter;
  readonly executable: string;
  readonly request: LaunchRequest;
  readonly cwd: string;
  readonly baseEnv: NodeJS.ProcessEnv;
  readonly attemptTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly killGraceMs: number;
  readonly classify: ClassifyOptions;
  readonly executionFile: ExecutionFile;
  readonly log: Log;
  readonly signal?: AbortSignal | undefined;
  /** The API proxy's statistics for this attempt (taken once, when it ends). */
  readonly takeProxyStats?: (() => ProxyStats) | undefined;
  /** Called when the agent reports its session id. */
  readonly onSessionId?: ((id: string) => void) | undefined;
  /** Called after each completed turn or tool result (checkpoint scheduling hooks in here). */
  readonly onProgress?: (() => void) | undefined;
  /** Called with every event the agent printed, in order (turn-boundary checkpoints track tool calls). */
  readonly onEvent?: ((event: AgentEvent) => void) | undefined;
}

export interface AttemptRecord {
  readonly number: number;
  readonly mode: LaunchRequest['mode'];
  readonly sessionId: string | undefined;
  readonly startedAt: Date;
  readonly durationMs: number;
  readonly classification: Classification;
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** API calls the agent CLI retried on its own. */
  readonly agentRetries: number;
  /** API calls the retry proxy retried during this attempt. */
  readonly apiRetries: number;
  /** The last retry-after hint the model API gave during this attempt. */
  readonly retryAfterMs: number | undefined;
  /** Requests the proxy held through an outage during this attempt. */
  readonly holds?: readonly HoldRecord[] | undefined;
  readonly numTurns: number | undefined;
  readonly costUsd: number | undefined;
}

/** Runs the agent once, renders its events, and says how the attempt ended. */
export async function runAttempt(options: AttemptOptions): Promise<AttemptRecord> {
  const { adapter, log } = options;
  const startedAt = new Date();
  const launch = adapter.launch(options.request);
  const env = childEnvironment(options.baseEnv, launch.env, launch.envDefaults, launch.envAtLeast);

  const evidence = new EvidenceCollector(options.request.sessionId);
  const onBatch = createEventConsumer({
    parseLine: (line) => adapter.parseLine(line),
    executionFile: options.executionFile,
    log,
    evidence,
    onSessionId: options.onSessionId,
    onProgress: options.onProgress,
    onEvent: options.onEvent,
  });

  const outcome: ChildOutcome = await supervise({
    file: options.executable,
    args: launch.args,
    cwd: options.cwd,
    env,
    attemptTimeoutMs: options.attemptTimeoutMs,
    idleTimeoutMs: options.idleTimeoutMs,
    killGraceMs: options.killGraceMs,
    signal: options.signal,
    onStderr: (text) => log.info(text.trimEnd()),
    onBatch,
  });

  const proxy = options.takeProxyStats?.();
  const classification = classifyAttempt(
    {
      exitCode: outcome.exitCode,
      signal: outcome.signal,
      stoppedBy: outcome.stoppedBy,
      spawnError: outcome.spawnError,
      result: evidence.result,
      errors: evidence.errors,
      finishedAfterLastError: evidence.finishedAfterLastError,
      tail: outcome.tail,
      proxy,
    },
    options.classify,
  );

  return {
    number: options.number,
    mode: options.request.mode,
    sessionId: evidence.sessionId,
    startedAt,
    durationMs: outcome.durationMs,
    classification,
    exitCode: outcome.exitCode,
    signal: outcome.signal,
    agentRetries: evidence.agentRetries,
    apiRetries: proxy?.retriedRequests ?? 0,
    retryAfterMs: proxy?.lastRetryAfterMs,
    holds: proxy?.holds ?? [],
    numTurns: evidence.numTurns,
    costUsd: evidence.costUsd,
  };
}
