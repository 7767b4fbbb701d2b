import * as core from '@actions/core';
import { createAdapter } from '../agents/create-adapter.js';
import { agentNamed } from '../agents/registry.js';
import { Outputs } from '../names.js';
import { runPipeline, type RunResult } from '../pipeline.js';
import { runWatchdogAction } from './run-watchdog.js';
import { writeExecutionArray } from '../report/execution-array.js';
import { failureMarker } from '../report/failure-marker.js';
import { structuredOutcome } from '../report/structured-output.js';
import { foreignInputs } from '../settings/foreign-inputs.js';
import { actionsLog } from '../report/log.js';
import { runOutputs } from '../report/run-outputs.js';
import { renderSummary } from '../report/summary.js';
import { knownSecrets } from '../settings/known-secrets.js';
import { hideInputsFromEnviron } from './hide-inputs.js';
import { actionsStateProvider, saveCheckpointState, saveHomeDir, saveMainFinished, saveMainStarted } from './main-state.js';
import { readSettings, SettingsError, type InputName, type Settings } from '../settings/settings.js';
import { actionSettingsContext, readRunContext } from '../run-context.js';
import { errorMessage } from '../error-message.js';

function setOutputs(result: RunResult): void {
  for (const [name, value] of Object.entries(runOutputs(result))) core.setOutput(name, value);
}

/**
 * claude-code-action's own outputs: execution_file as its JSON array (next to where it writes it,
 * in RUNNER_TEMP), structured_output, and the config folder that holds the session. Returns the
 * failure when --json-schema was given and no structured output came back.
 */
async function setDropInOutputs(settings: Settings, result: RunResult): Promise<string | undefined> {
  const arrayFile = settings.home.executionArray;
  let messages: Record<string, unknown>[] = [];
  try {
    messages = await writeExecutionArray(result.executionFile, arrayFile);
    core.setOutput(Outputs.executionFile, arrayFile);
  } catch (error) {
    core.warning(`Could not write the execution file: ${errorMessage(error)}`);
  }
  const agent = agentNamed(settings.agent);
  if (agent.stateDirOutput !== undefined) core.setOutput(agent.stateDirOutput, createAdapter({ settings, apiBaseUrl: undefined }).stateDir);
  const outcome = structuredOutcome(agent.structuredOutputRequested(settings.agentArgs), messages);
  if (outcome.kind === 'present') {
    core.setOutput(Outputs.structuredOutput, outcome.json);
    core.info(`Set structured_output with ${outcome.fields} field(s)`);
  }
  return outcome.kind === 'missing' && result.conclusion === 'success' ? outcome.message : undefined;
}

async function writeSummary(agent: string, result: RunResult): Promise<void> {
  try {
    const markdown = renderSummary({
      conclusion: result.conclusion,
      failureReason: result.failureReason,
      failureMessage: result.failureMessage,
      agent,
      sessionId: result.sessionId,
      attempts: result.history,
      waits: result.waits,
      checkpoints: result.checkpoints,
      checkpointMode: result.checkpointMode,
      holds: result.holds,
      totals: result.totals,
    });
    await core.summary.addRaw(markdown).write();
  } catch (error) {
    core.warning(`Could not write the job summary: ${errorMessage(error)}`);
  }
}

/** The action's main step, in the job whose environment is `env`. Never throws: every failure ends as a failed step with a clear message. */
export async function runAction(env: NodeJS.ProcessEnv): Promise<void> {
  const run = readRunContext(env);
  const state = actionsStateProvider();
  saveMainStarted(state);
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
      await runWatchdogAction(run, controller.signal);
      return;
    }
    const foreign = foreignInputs(env);
    for (const warning of foreign.warnings) core.warning(warning);
    if (foreign.errors.length > 0) throw new SettingsError(foreign.errors.join('\n'));
    const settings = readSettings((name: InputName) => core.getInput(name), actionSettingsContext(run));
    for (const secret of knownSecrets(settings, env)) core.setSecret(secret);
    hideInputsFromEnviron();
    saveHomeDir(state, settings.home.root);

    const result = await runPipeline({
      settings,
      log: actionsLog(),
      run,
      env,
      signal: controller.signal,
      onCheckpoint: (checkpoint) => saveCheckpointState(state, checkpoint),
    });
    setOutputs(result);
    const missingStructured = await setDropInOutputs(settings, result);
    await writeSummary(settings.agent, result);
    if (missingStructured !== undefined) {
      core.setOutput(Outputs.conclusion, 'failure');
      core.setFailed(missingStructured);
    } else if (result.conclusion === 'failure') {
      const marker = result.failureKind ? ` ${failureMarker(result.failureKind, result.failureReason)}` : '';
      core.setFailed(`${result.failureReason}: ${result.failureMessage}${marker}`);
    }
  } catch (error) {
    if (error instanceof SettingsError) {
      core.setOutput(Outputs.conclusion, 'failure');
      core.setOutput(Outputs.failureReason, 'invalid_input');
    }
    core.setFailed(errorMessage(error));
  } finally {
    saveMainFinished(state);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
