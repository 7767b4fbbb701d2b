import * as core from '@actions/core';
import { Outputs } from '../names.js';
import type { RunContext } from '../run-context.js';
import type { InputName } from '../settings/settings.js';
import { readWatchdogSettings } from '../settings/watchdog-settings.js';
import { watchdogFromSettings } from '../watchdog/run-from-settings.js';
import type { WatchdogResult } from '../watchdog/watchdog.js';
import { errorMessage } from '../error-message.js';

/**
 * `mode: watchdog`: decides whether to re-run the failed jobs of the run that triggered this
 * workflow. Never throws: `decision` and `reason` are set on every path, so a later step testing
 * `decision` never reads an empty string; `error` (bad input, GitHub failing) also fails the step.
 */
export async function runWatchdogAction(run: RunContext, signal: AbortSignal): Promise<void> {
  let result: WatchdogResult;
  try {
    const settings = readWatchdogSettings((name: InputName) => core.getInput(name), run);
    core.setSecret(settings.token);
    result = await watchdogFromSettings(
      settings,
      { info: (message) => core.info(message), warning: (message) => core.warning(message) },
      signal,
      (run, body) => core.group(`Watchdog: run ${run.runId}${run.workflowName ? ` of ${run.workflowName}` : ''}`, body),
    );
  } catch (error) {
    result = { decision: 'error', reason: errorMessage(error), jobs: [] };
  }
  core.setOutput(Outputs.decision, result.decision);
  core.setOutput(Outputs.reason, result.reason);
  if (result.decision === 'error') core.setFailed(`Watchdog: ${result.reason}`);
  else core.info(`Decision: ${result.decision} (${result.reason})`);
}
