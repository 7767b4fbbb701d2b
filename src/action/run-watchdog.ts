import * as core from '@actions/core';
import { Outputs } from '../names.js';
import type { InputName } from '../settings/settings.js';
import { readWatchdogSettings } from '../settings/watchdog-settings.js';
import { resolveWatchedRun } from '../watchdog/event.js';
import { runWatchdog } from '../watchdog/watchdog.js';

/** `mode: watchdog`: decides whether to re-run the failed jobs of the run that triggered this workflow. */
export async function runWatchdogAction(signal: AbortSignal): Promise<void> {
  const settings = readWatchdogSettings((name: InputName) => core.getInput(name), process.env);
  core.setSecret(settings.token);
  const run = await resolveWatchedRun({ runId: settings.runId, eventPath: settings.eventPath });
  const result = await core.group(`Watchdog: run ${run.runId}${run.workflowName ? ` of ${run.workflowName}` : ''}`, () =>
    runWatchdog({
      token: settings.token,
      apiUrl: settings.apiUrl,
      repository: run.repository ?? settings.repository,
      runId: run.runId,
      maxRunAttempts: settings.maxRunAttempts,
      rerunDelayMs: settings.rerunDelayMs,
      rerunOn: settings.rerunOn,
      watchedWorkflows: settings.watchedWorkflows,
      log: { info: (message) => core.info(message), warning: (message) => core.warning(message) },
      signal,
    }),
  );
  core.setOutput(Outputs.decision, result.decision);
  core.setOutput(Outputs.reason, result.reason);
  core.info(`Decision: ${result.decision} (${result.reason})`);
}
