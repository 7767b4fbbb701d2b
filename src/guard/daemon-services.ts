// Everything the guard daemon runs, in one place: the API retry proxy (one per upstream the job
// uses) and the checkpoint scheduler. New proxy and scheduler features plug in here.
import type { JobCheckpoints } from '../checkpoint/job.js';
import { openJobCheckpoints } from '../checkpoint/job.js';
import { globMatcher, isCredentialFile } from '../checkpoint/safe-paths.js';
import { startApiProxy, type ApiProxy, type ProxyStats } from '../proxy/api-proxy.js';
import { emptyStats } from '../proxy/stats.js';
import type { Log } from '../report/log.js';
import type { Settings } from '../settings/settings.js';
import { findSession } from './session-finder.js';
import { stateExclude } from './agent-home.js';

export interface GuardProxy {
  /** The variable the agent reads this upstream's base URL from. */
  readonly variable: string;
  readonly upstream: string;
  readonly proxy: ApiProxy;
}

export interface GuardServices {
  readonly proxies: readonly GuardProxy[];
  readonly job: JobCheckpoints | undefined;
  stats(): ProxyStats;
  /** Final checkpoint, then everything stops. */
  stop(reason: string): Promise<void>;
}

export interface ServicesOptions {
  readonly settings: Settings;
  readonly stateDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly log: Log;
  readonly signal: AbortSignal;
}

const DEFAULT_ANTHROPIC_URL = 'https://api.anthropic.com';
const TURN_SETTLE_MS = 500;

/** The upstreams the agent may use: the Anthropic API always; Vertex AI and Foundry when the job set their base URL. */
export function guardUpstreams(env: Readonly<Record<string, string | undefined>>): Array<{ variable: string; upstream: string }> {
  const upstreams = [{ variable: 'ANTHROPIC_BASE_URL', upstream: env.ANTHROPIC_BASE_URL || DEFAULT_ANTHROPIC_URL }];
  for (const variable of ['ANTHROPIC_VERTEX_BASE_URL', 'ANTHROPIC_FOUNDRY_BASE_URL']) {
    const upstream = env[variable];
    if (upstream) upstreams.push({ variable, upstream });
  }
  return upstreams;
}

function addStats(total: ProxyStats, part: ProxyStats): ProxyStats {
  const failuresByStatus = { ...total.failuresByStatus };
  for (const [status, count] of Object.entries(part.failuresByStatus)) failuresByStatus[status] = (failuresByStatus[status] ?? 0) + count;
  return {
    requests: total.requests + part.requests,
    retriedRequests: total.retriedRequests + part.retriedRequests,
    retries: total.retries + part.retries,
    recovered: total.recovered + part.recovered,
    failuresByStatus,
    passedOnFailures: total.passedOnFailures + part.passedOnFailures,
    waitMs: total.waitMs + part.waitMs,
    lastRetryAfterMs: part.lastRetryAfterMs ?? total.lastRetryAfterMs,
    holds: [...total.holds, ...part.holds],
  };
}

export async function startGuardServices(options: ServicesOptions): Promise<GuardServices> {
  const { settings, log, env } = options;
  const job = await openJobCheckpoints({
    settings,
    adapter: { name: settings.agent, stateDir: options.stateDir },
    env,
    log,
    restore: true,
    agentStateExclude: stateExclude(settings.agent),
    // The folder is the agent's real home: a checkpoint that would write its settings or hooks
    // there (planted, or from another version of the guard) is refused, not trusted.
    agentStateRefuse: (rel) => stateExclude(settings.agent).some((pattern) => globMatcher(pattern)(rel) || globMatcher(`${pattern}/**`)(rel)) || isCredentialFile(rel),
  });
  const proxies: GuardProxy[] = [];
  if (settings.apiProxy.enabled) {
    for (const { variable, upstream } of guardUpstreams(env)) {
      const proxy = await startApiProxy({
        upstream,
        policy: { attempts: settings.apiProxy.attempts, initialDelayMs: Math.min(1000, settings.apiProxy.maxDelayMs), maxDelayMs: settings.apiProxy.maxDelayMs, factor: 2 },
        log,
        signal: options.signal,
      });
      log.info(`API retry proxy: ${proxy.url} → ${new URL(upstream).origin} (${variable})`);
      proxies.push({ variable, upstream, proxy });
    }
  }
  const stats = (): ProxyStats => proxies.reduce((total, { proxy }) => addStats(total, proxy.stats()), emptyStats());

  const scheduler = job?.scheduler;
  if (job?.restored && scheduler) await scheduler.save('after restore');
  // The agent's model requests are its turns: after one (once its session store caught up, which
  // takes Claude Code about 80 ms), a checkpoint is taken, at most every checkpoint_min_gap. It is
  // forced because the session moved on even when the work tree did not.
  let seenRequests = 0;
  let lastTurnSave = 0;
  const watch = setInterval(() => {
    const requests = stats().requests;
    if (requests === seenRequests || !scheduler) return;
    seenRequests = requests;
    if (Date.now() - lastTurnSave < settings.checkpoint.minGapMs) return;
    lastTurnSave = Date.now();
    setTimeout(() => {
      void findSession(settings.agent, options.stateDir, settings.workingDirectory).then((id) => {
        if (id) scheduler.sessionId = id;
        return scheduler.save('after an agent turn', { force: true });
      });
    }, TURN_SETTLE_MS).unref();
  }, 1000);
  watch.unref();
  scheduler?.start();

  return {
    proxies,
    job,
    stats,
    async stop(reason: string): Promise<void> {
      clearInterval(watch);
      if (scheduler) {
        scheduler.stop();
        scheduler.sessionId = (await findSession(settings.agent, options.stateDir, settings.workingDirectory)) ?? scheduler.sessionId;
        await scheduler.save(reason, { force: true, final: true });
        await scheduler.pruneOld(settings.checkpoint.keep);
      }
      for (const { proxy } of proxies) await proxy.close();
    },
  };
}
