import path from 'node:path';
import { createAdapter } from './agents/create-adapter.js';
import { locateCli } from './agents/locate-cli.js';
import { ExecutionFile } from './report/execution-file.js';
import type { Log } from './report/log.js';
import { runAttempt, type AttemptRecord } from './runner/attempt.js';
import type { FailureReason } from './runner/classify.js';
import type { Settings } from './settings/settings.js';

export interface RunResult {
  readonly conclusion: 'success' | 'failure';
  readonly failureReason: FailureReason | '';
  readonly failureMessage: string;
  readonly sessionId: string | undefined;
  readonly executionFile: string;
  readonly attempts: readonly AttemptRecord[];
}

export interface PipelineOptions {
  readonly settings: Settings;
  readonly log: Log;
  readonly env: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal | undefined;
  /** Look for the agent CLI on PATH before installing it. */
  readonly searchPath?: boolean;
}

/** One run of the agent as the action and the CLI both do it. */
export async function runPipeline(options: PipelineOptions): Promise<RunResult> {
  const { settings, log } = options;
  const adapter = createAdapter({ settings, apiBaseUrl: undefined });

  const { executable, executionFile } = await log.group('Set up', async () => {
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
    const file = await ExecutionFile.open(path.join(settings.homeDir, 'execution.ndjson'));
    log.info(`Execution file: ${file.path}`);
    return { executable: location.executable, executionFile: file };
  });

  const attempts: AttemptRecord[] = [];
  try {
    const sessionId = adapter.newSessionId();
    const attempt = await log.group(`Attempt 1: ${adapter.label}, new session${sessionId ? ` ${sessionId}` : ''}`, () =>
      runAttempt({
        number: 1,
        adapter,
        executable,
        request: { mode: 'fresh', prompt: settings.prompt, sessionId },
        cwd: settings.workingDirectory,
        baseEnv: options.env,
        attemptTimeoutMs: settings.attemptTimeoutMs,
        idleTimeoutMs: settings.idleTimeoutMs,
        killGraceMs: settings.killGraceMs,
        classify: {},
        executionFile,
        log,
        signal: options.signal,
      }),
    );
    attempts.push(attempt);
  } finally {
    await executionFile.close();
  }

  const last = attempts.at(-1);
  const verdict = last?.classification;
  const success = verdict?.kind === 'success';
  return {
    conclusion: success ? 'success' : 'failure',
    failureReason: verdict === undefined ? 'unknown' : verdict.kind === 'success' ? '' : verdict.reason,
    failureMessage: success ? '' : (verdict?.message ?? 'the agent did not run'),
    sessionId: last?.sessionId,
    executionFile: executionFile.path,
    attempts,
  };
}
