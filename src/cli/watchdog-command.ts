import { parseArgs } from 'node:util';
import type { CommandIo } from './io.js';
import type { RunContext } from '../run-context.js';
import { readWatchdogSettings } from '../settings/watchdog-settings.js';
import { SettingsError, type InputName } from '../settings/settings.js';
import { watchdogFromSettings } from '../watchdog/run-from-settings.js';
import type { WatchdogResult } from '../watchdog/watchdog.js';
import { errorMessage } from '../error-message.js';

export const WATCHDOG_HELP = `Usage: durable-agent watchdog [--run-id ID] [options]

Decides whether to re-run the failed jobs of a workflow run, and does it: the same as the
action's mode: watchdog, for other schedulers or by hand.

Options:
  --run-id ID                 the run to check (default: the workflow_run event in GITHUB_EVENT_PATH)
  --repository OWNER/NAME     default GITHUB_REPOSITORY
  --max-run-attempts N        re-run only while the run's attempt is below N (default 3)
  --rerun-delay DURATION      wait before re-running (default 1m)
  --github-retry-time DURATION
                              how long, in all, to retry GitHub API calls that fail with a
                              server error, a rate limit or no answer (default 3m; 0: never)
  --rerun-on REGEXES          newline-separated patterns of annotations that count as transient
  --watched-workflows NAMES   newline-separated workflow names or files (default: every workflow)
  -h, --help

The token comes from GITHUB_TOKEN (actions: write, checks: read); the API from GITHUB_API_URL.
Prints decision=… and reason=… (decision is rerun, skip or error); exits 0 for rerun and skip,
1 when it could not decide or act (GitHub failing, a missing permission), 2 on bad arguments.`;

export async function watchdogCommand(argv: readonly string[], run: RunContext, io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      'run-id': { type: 'string' },
      repository: { type: 'string' },
      'max-run-attempts': { type: 'string' },
      'rerun-delay': { type: 'string' },
      'github-retry-time': { type: 'string' },
      'rerun-on': { type: 'string' },
      'watched-workflows': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    io.out(`${WATCHDOG_HELP}\n`);
    return 0;
  }
  const flags: Partial<Record<InputName, string | undefined>> = {
    run_id: values['run-id'],
    max_run_attempts: values['max-run-attempts'],
    rerun_delay: values['rerun-delay'],
    github_retry_time: values['github-retry-time'],
    rerun_on: values['rerun-on'],
    watched_workflows: values['watched-workflows'],
  };
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.on('SIGINT', onSignal);
  let result: WatchdogResult;
  let exitCode = 1;
  try {
    const settings = readWatchdogSettings((name) => flags[name], values.repository ? { ...run, repository: values.repository } : run);
    result = await watchdogFromSettings(
      settings,
      { info: (message) => io.err(`${message}\n`), warning: (message) => io.err(`warning: ${message}\n`) },
      controller.signal,
    );
  } catch (error) {
    // A bad input is a usage error; anything else (an unreadable event, ...) is the watchdog failing.
    if (error instanceof SettingsError) exitCode = 2;
    result = { decision: 'error', reason: errorMessage(error), jobs: [] };
  } finally {
    process.off('SIGINT', onSignal);
  }
  io.out(`decision=${result.decision}\nreason=${result.reason.replace(/\n/g, ' ')}\n`);
  if (result.decision !== 'error') return 0;
  io.err(`durable-agent watchdog: ${result.reason}\n`);
  return exitCode;
}
