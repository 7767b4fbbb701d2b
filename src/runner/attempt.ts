import type { AgentAdapter, LaunchRequest } from '../agents/adapter.js';
import type { ErrorEvent, ResultEvent } from '../agents/events.js';
import type { ExecutionFile } from '../report/execution-file.js';
import type { Log } from '../report/log.js';
import { renderEvent } from '../report/transcript.js';
import { childEnvironment } from './child-env.js';
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
  /** Called after each completed turn or tool result (checkpoint scheduling hooks in here). */
  readonly onProgress?: (() => void) | undefined;
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
  readonly agentRetries: number;
  readonly numTurns: number | undefined;
  readonly costUsd: number | undefined;
}

/** Runs the agent once, renders its events, and says how the attempt ended. */
export async function runAttempt(options: AttemptOptions): Promise<AttemptRecord> {
  const { adapter, log } = options;
  const startedAt = new Date();
  const launch = adapter.launch(options.request);
  const env = childEnvironment(options.baseEnv, launch.env, launch.envDefaults);

  let sessionId = options.request.sessionId;
  let result: ResultEvent | undefined;
  const errors: ErrorEvent[] = [];
  let finishedAfterLastError = false;
  let agentRetries = 0;
  let costUsd: number | undefined;
  let turns = 0;
  const toolNames = new Map<string, string>();

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
    onLine: async (line) => {
      await options.executionFile.write(line);
      for (const event of adapter.parseLine(line)) {
        switch (event.type) {
          case 'init':
            sessionId = event.sessionId;
            break;
          case 'result':
            result = event;
            costUsd = event.costUsd ?? costUsd;
            break;
          case 'error':
            errors.push(event);
            finishedAfterLastError = false;
            break;
          case 'turn':
            turns += 1;
            if (event.costUsd !== undefined) costUsd = (costUsd ?? 0) + event.costUsd;
            if (['stop', 'end_turn'].includes(event.reason)) finishedAfterLastError = true;
            options.onProgress?.();
            break;
          case 'api_retry':
            agentRetries += 1;
            break;
          case 'tool_call':
            toolNames.set(event.id, event.name);
            break;
          case 'tool_result':
            options.onProgress?.();
            break;
        }
        const text = renderEvent(event.type === 'tool_result' && !event.name ? { ...event, name: toolNames.get(event.id) } : event);
        if (text !== undefined) log.info(text);
      }
    },
  });

  const classification = classifyAttempt(
    {
      exitCode: outcome.exitCode,
      signal: outcome.signal,
      stoppedBy: outcome.stoppedBy,
      spawnError: outcome.spawnError,
      result,
      errors,
      finishedAfterLastError,
      tail: outcome.tail,
    },
    options.classify,
  );

  return {
    number: options.number,
    mode: options.request.mode,
    sessionId: result?.sessionId ?? sessionId,
    startedAt,
    durationMs: outcome.durationMs,
    classification,
    exitCode: outcome.exitCode,
    signal: outcome.signal,
    agentRetries,
    numTurns: result?.numTurns ?? (turns || undefined),
    costUsd,
  };
}
