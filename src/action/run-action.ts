import os from 'node:os';
import * as core from '@actions/core';
import { Outputs, States } from '../names.js';
import { runPipeline, type RunResult } from '../pipeline.js';
import { actionsLog } from '../report/log.js';
import { readSettings, secretValues, SettingsError, type InputName } from '../settings/settings.js';

function setOutputs(result: RunResult): void {
  core.setOutput(Outputs.conclusion, result.conclusion);
  core.setOutput(Outputs.sessionId, result.sessionId ?? '');
  core.setOutput(Outputs.executionFile, result.executionFile);
  core.setOutput(Outputs.failureReason, result.failureReason);
  core.setOutput(Outputs.attempts, String(result.attempts.length));
  core.setOutput(Outputs.resumedSessions, String(result.attempts.filter((a) => a.mode === 'resume').length));
  core.setOutput(Outputs.freshSessionFallbacks, String(result.freshAfterLostSession));
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
    const settings = readSettings((name: InputName) => core.getInput(name), {
      baseDir: process.env.GITHUB_WORKSPACE ?? process.cwd(),
      tempDir: process.env.RUNNER_TEMP ?? os.tmpdir(),
    });
    for (const secret of secretValues(settings)) core.setSecret(secret);
    core.saveState(States.stateDir, settings.homeDir);

    const result = await runPipeline({ settings, log: actionsLog(), env: process.env, signal: controller.signal });
    setOutputs(result);
    if (result.conclusion === 'failure') core.setFailed(`${result.failureReason}: ${result.failureMessage}`);
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
