import type { WatchdogSettings } from '../settings/watchdog-settings.js';
import { resolveWatchedRun, type WatchedRunRef } from './event.js';
import { runWatchdog, type WatchdogLog, type WatchdogResult } from './watchdog.js';

/** The watchdog as both the action's `mode: watchdog` and `durable-agent watchdog` run it. */
export async function watchdogFromSettings(
  settings: WatchdogSettings,
  log: WatchdogLog,
  signal: AbortSignal,
  around: (run: WatchedRunRef, body: () => Promise<WatchdogResult>) => Promise<WatchdogResult> = (_run, body) => body(),
): Promise<WatchdogResult> {
  const run = await resolveWatchedRun({ runId: settings.runId, eventPath: settings.eventPath });
  return around(run, () =>
    runWatchdog({
      token: settings.token,
      apiUrl: settings.apiUrl,
      repository: run.repository ?? settings.repository,
      runId: run.runId,
      maxRunAttempts: settings.maxRunAttempts,
      rerunDelayMs: settings.rerunDelayMs,
      githubRetryTimeMs: settings.githubRetryTimeMs,
      rerunOn: settings.rerunOn,
      watchedWorkflows: settings.watchedWorkflows,
      log,
      signal,
    }),
  );
}
