import * as core from '@actions/core';
import { terminalLog } from '../report/log.js';
import type { InputName } from '../settings/settings.js';
import { agentNamed } from '../agents/registry.js';
import { guardStatusFile } from '../home-layout.js';
import { readRunContext } from '../run-context.js';
import { defaultStateDir } from './agent-home.js';
import { startGuardServices, type GuardServices } from './daemon-services.js';
import { guardContext, readGuardSettings } from './guard-settings.js';
import { writeStatus, type GuardStatus } from './status.js';
import { errorMessage } from '../error-message.js';

/**
 * The guard's daemon: started detached by the guard's main step, it outlives that step and serves
 * the agent's steps of the job until the guard's post step sends SIGTERM. Its inputs and secrets
 * come through its environment (as the runner gave them to main); it writes no secret to disk.
 */
export async function runDaemon(env: NodeJS.ProcessEnv): Promise<void> {
  const run = readRunContext(env);
  const context = guardContext(run);
  const statusFile = run.guardStatusFile ?? guardStatusFile(context.runnerTemp);
  const log = terminalLog(process.stdout);
  const controller = new AbortController();
  let status: GuardStatus = { state: 'starting', pid: process.pid, baseUrls: {}, resumed: false, restoredFrom: '', checkpointMode: '', checkpoints: [], checkpointKey: '' };
  let services: GuardServices | undefined;

  const snapshot = (): GuardStatus => {
    const job = services?.job;
    const stats = services?.stats();
    return {
      ...status,
      sessionId: services?.ledger.sessionId ?? status.sessionId,
      proxy: stats && {
        requests: stats.requests,
        retriedRequests: stats.retriedRequests,
        retries: stats.retries,
        recovered: stats.recovered,
        passedOnFailures: stats.passedOnFailures,
        failuresByStatus: stats.failuresByStatus,
        waitMs: stats.waitMs,
        holds: stats.holds.map((hold) => ({ ...hold })),
      },
      checkpointMode: services?.checkpointMode ?? status.checkpointMode,
      checkpoints: (job?.scheduler.history ?? []).map((entry) => ({ ...entry, at: entry.at.toISOString() })),
      checkpointKey: job?.scheduler.latest?.key ?? '',
    };
  };

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info(`Guard daemon: ${signal}, taking the final checkpoint and stopping.`);
    try {
      await services?.stop('guard post: end of the agent steps');
      status = { ...snapshot(), state: 'stopped' };
    } catch (error) {
      status = { ...snapshot(), state: 'failed', message: errorMessage(error) };
    }
    controller.abort();
    await writeStatus(statusFile, status);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  try {
    await writeStatus(statusFile, status);
    const settings = readGuardSettings((name: InputName) => core.getInput(name), context);
    const stateDir = defaultStateDir(agentNamed(settings.agent), env, run.user.home);
    log.info(`Agent: ${settings.agent}, session store ${stateDir}`);
    services = await startGuardServices({ settings, stateDir, run, env, log, signal: controller.signal });
    const restored = services.job?.restored;
    const [first] = services.proxies;
    status = {
      ...status,
      state: 'running',
      proxyUrl: first?.proxy.url,
      baseUrls: Object.fromEntries(services.proxies.map(({ variable, proxy }) => [variable, proxy.url])),
      resumed: restored !== undefined,
      restoredFrom: restored ? `${restored.manifest.sequence}@${restored.manifest.createdAt}` : '',
      sessionId: restored?.manifest.agent === settings.agent ? (restored.manifest.sessionId ?? undefined) : undefined,
    };
    await writeStatus(statusFile, snapshot());
    // Post reads the counters from here; a few seconds old is fine. The timer also keeps the
    // process alive until post stops it.
    setInterval(() => {
      if (!stopping) void writeStatus(statusFile, snapshot()).catch(() => undefined);
    }, 2000);
    await new Promise<void>((resolve) => controller.signal.addEventListener('abort', () => resolve(), { once: true }));
  } catch (error) {
    log.error(`Guard daemon failed: ${errorMessage(error)}`);
    await writeStatus(statusFile, { ...status, state: 'failed', message: errorMessage(error) });
    process.exit(1);
  }
}
