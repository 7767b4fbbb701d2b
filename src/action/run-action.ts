import os from 'node:os';
import * as core from '@actions/core';
import { Outputs, States } from '../names.js';
import { runPipeline, type RunResult } from '../pipeline.js';
import { runWatchdogAction } from './run-watchdog.js';
import { failureMarker } from '../report/failure-marker.js';
import { actionsLog } from '../report/log.js';
import { renderSummary } from '../report/summary.js';
import { readSettings, secretValues, SettingsError, type InputName } from '../settings/settings.js';

function setOutputs(result: RunResult): void {
  core.setOutput(Outputs.conclusion, result.conclusion);
  core.setOutput(Outputs.sessionId, result.sessionId ?? '');
  core.setOutput(Outputs.executionFile, result.executionFile);
  core.setOutput(Outputs.failureReason, result.failureReason);
  core.setOutput(Outputs.attempts, String(result.attempts.length));
  core.setOutput(Outputs.resumedSessions, String(result.attempts.filter((a) => a.mode === 'resume').length));
  core.setOutput(Outputs.freshSessionFallbacks, String(result.freshAfterLostSession));
  core.setOutput(Outputs.apiRetries, String(result.apiRetries));
  core.setOutput(Outputs.resumed, String(result.resumed));
  core.setOutput(Outputs.restoredFrom, result.restoredFrom);
  core.setOutput(Outputs.checkpointKey, result.checkpointKey);
  core.setOutput(Outputs.checkpointsSaved, String(result.checkpointsSaved));
}

async function writeSummary(agent: string, result: RunResult): Promise<void> {
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
        turns: attempt.numTurns,
      }))],
      waits: result.waits,
      checkpoints: result.checkpoints,
      holds: result.holds,
      totalCostUsd: result.totals.costUsd > 0 ? result.totals.costUsd : sumDefined(result.attempts.map((attempt) => attempt.costUsd)),
      totalTurns: result.totals.turns > 0 ? result.totals.turns : sumDefined(result.attempts.map((attempt) => attempt.numTurns)),
    });
    await core.summary.addRaw(markdown).write();
  } catch (error) {
    core.warning(`Could not write the job summary: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function sumDefined(values: ReadonlyArray<number | undefined>): number | undefined {
  const known = values.filter((value): value is number => value !== undefined);
  return known.length > 0 ? known.reduce((sum, value) => sum + value, 0) : undefined;
}

/** The action's main step. Never throws: every failure ends as a failed step with a clear message. */
export async function runAction(): Promise<void> {
  core.saveState(States.mainStarted, 'true');
  const controller = new AbortController();
  // GitHub cancels with SIGINT, then SIGTERM 7.5 s later: both end the agent's whole process group.
  const onSignal = (signal: NodeJS.Signals): void => {
    core.warning(`Received ${signal}: stopping the agent`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (core.getInput('mode') === 'watchdog') {
      await runWatchdogAction(controller.signal);
      return;
    }
    const settings = readSettings((name: InputName) => core.getInput(name), {
      baseDir: process.env.GITHUB_WORKSPACE ?? process.cwd(),
      tempDir: process.env.RUNNER_TEMP ?? os.tmpdir(),
      job: process.env.GITHUB_JOB,
    });
    for (const secret of secretValues(settings)) core.setSecret(secret);
    core.saveState(States.stateDir, settings.homeDir);

    const result = await runPipeline({
      settings,
      log: actionsLog(),
      env: process.env,
      signal: controller.signal,
      onCheckpoint: (state) => {
        core.saveState(States.lastSequence, String(state.lastSequence));
        core.saveState(States.sessionId, state.sessionId ?? '');
        core.saveState(States.baseCommit, state.baseCommit);
        // The newest entries are enough to tell the story; the state file is not meant for bulk.
        core.saveState(States.history, JSON.stringify({ attempts: state.attempts.slice(-100), totals: state.totals }));
      },
    });
    setOutputs(result);
    await writeSummary(settings.agent, result);
    if (result.conclusion === 'failure') {
      const marker = result.failureKind ? ` ${failureMarker(result.failureKind, result.failureReason)}` : '';
      core.setFailed(`${result.failureReason}: ${result.failureMessage}${marker}`);
    }
  } catch (error) {
    if (error instanceof SettingsError) {
      core.setOutput(Outputs.conclusion, 'failure');
      core.setOutput(Outputs.failureReason, 'invalid_input');
    }
    core.setFailed(error instanceof Error ? error.message : String(error));
  } finally {
    core.saveState(States.mainFinished, 'true');
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
