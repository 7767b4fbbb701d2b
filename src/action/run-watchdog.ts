import * as core from '@actions/core';
import { Outputs } from '../names.js';
import type { InputName } from '../settings/settings.js';
import { readWatchdogSettings } from '../settings/watchdog-settings.js';
import { watchdogFromSettings } from '../watchdog/run-from-settings.js';

/** `mode: watchdog`: decides whether to re-run the failed jobs of the run that triggered this workflow. */
export async function runWatchdogAction(signal: AbortSignal): Promise<void> {
  const settings = readWatchdogSettings((name: InputName) => core.getInput(name), process.env);
  core.setSecret(settings.token);
  const result = await watchdogFromSettings(
    settings,
    { info: (message) => core.info(message), warning: (message) => core.warning(message) },
    signal,
    (run, body) => core.group(`Watchdog: run ${run.runId}${run.workflowName ? ` of ${run.workflowName}` : ''}`, body),
  );
  core.setOutput(Outputs.decision, result.decision);
  core.setOutput(Outputs.reason, result.reason);
  core.info(`Decision: ${result.decision} (${result.reason})`);
}
