// Everything the guard daemon runs, in one place: the API retry proxy (one per upstream the job
// uses) and the checkpoint scheduler. New proxy and scheduler features plug in here.
import { agentNamed } from '../agents/registry.js';
import { sessionStoreFor } from '../agents/session-store.js';
import type { JobCheckpoints } from '../checkpoint/job.js';
import { openJobCheckpoints } from '../checkpoint/job.js';
import { globMatcher, isCredentialFile } from '../checkpoint/safe-paths.js';
import { defaultLimits } from '../checkpoint/turn-boundary-policy.js';
import { describeCheckpointMode, TurnCheckpoints, type CheckpointMode } from '../checkpoint/turn-checkpoints.js';
import type { TurnGate } from '../proxy/turn-gate.js';
import { startApiProxy, type ApiProxy, type ProxyStats } from '../proxy/api-proxy.js';
import { pingIntervalFrom } from '../proxy/hold-policy.js';
import { emptyStats } from '../proxy/stats.js';
import type { Log } from '../report/log.js';
import type { RunContext } from '../run-context.js';
import { earlierRun, RunLedger } from '../runner/run-ledger.js';
import type { Settings } from '../settings/settings.js';
import { findSession, isGuardSessionData, sessionStoreRoot, stateExclude } from './agent-home.js';

export interface GuardProxy {
  /** The variable the agent reads this upstream's base URL from. */
  readonly variable: string;
  readonly upstream: string;
  readonly proxy: ApiProxy;
}

export interface GuardServices {
  readonly proxies: readonly GuardProxy[];
  readonly job: JobCheckpoints | undefined;
  /** The session and the restored history the checkpoints carry (the agent runs no attempt here). */
  readonly ledger: RunLedger;
  /** How the checkpoints relate agent state and work tree; '' without checkpoints. */
  readonly checkpointMode: CheckpointMode | '';
  stats(): ProxyStats;
  /** Final checkpoint, then everything stops. */
  stop(reason: string): Promise<void>;
}

export interface ServicesOptions {
  readonly settings: Settings;
  readonly stateDir: string;
  readonly run: RunContext;
  /** The job's environment: the agent's upstream URLs and the secrets it holds. */
  readonly env: NodeJS.ProcessEnv;
  readonly log: Log;
  readonly signal: AbortSignal;
}

const DEFAULT_ANTHROPIC_URL = 'https://api.anthropic.com';

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
  const { settings, log, run, env } = options;
  const agent = agentNamed(settings.agent);
  const ledger = new RunLedger();
  const job = await openJobCheckpoints({
    settings,
    adapter: { agent, stateDir: options.stateDir },
    run,
    env,
    log,
    restore: true,
    agentStateExclude: stateExclude(agent),
    agentStateFilter: (rel) => isGuardSessionData(agent, rel),
    // The folder is the agent's real home: a checkpoint that would write its settings or hooks
    // there (planted, or from another version of the guard) is refused, not trusted.
    agentStateRefuse: (rel) => stateExclude(agent).some((pattern) => globMatcher(pattern)(rel) || globMatcher(`${pattern}/**`)(rel)) || isCredentialFile(rel),
    runState: () => ledger.snapshot(),
  });
  if (job?.restored) ledger.continueFrom(earlierRun(job.restored.manifest));
  const scheduler = job?.scheduler;
  // Turn-boundary checkpoints as the main action takes them, through the same gate: a due
  // checkpoint waits for the agent's next model request, which is held until the agent's store on
  // disk (in its default location) holds the tool results it carries, then the checkpoint is taken
  // and the request goes on. The agent runs in a later step, so its event stream is not seen:
  // - progress is its model requests (the next one follows only once it acted on an answer);
  // - which tool call runs is read from its store (a call written without its result). That is only
  //   used to name the call in a mid-turn checkpoint, never to decide that the agent is idle: a
  //   store cannot tell "between a model answer and its tool call" or "the agent step has not
  //   started yet" from "idle", so a due checkpoint with no request to hold waits for one up to
  //   checkpoint_interval and is then taken mid-turn. Once the agent steps are over (post), its
  //   state is settled: the final checkpoint is a boundary unless the store shows a call cut off.
  // Before the agent's first request passes the proxy (or if it bypasses it) checkpoints are taken
  // agent state first, as without the proxy.
  const turns = scheduler
    ? new TurnCheckpoints({
        scheduler,
        ledger,
        store: sessionStoreFor({ agent, stateDir: sessionStoreRoot(agent, options.stateDir) }),
        log,
        limits: defaultLimits(settings.checkpoint.intervalMs),
        gated: settings.apiProxy.enabled,
        withoutEvents: { sessionOf: () => findSession(agent, options.stateDir, settings.workingDirectory) },
      })
    : undefined;
  const gate: TurnGate['beforeForward'] = (request) => turns?.gate.beforeForward(request) ?? Promise.resolve();

  const proxies: GuardProxy[] = [];
  if (settings.apiProxy.enabled) {
    for (const { variable, upstream } of guardUpstreams(env)) {
      const proxy = await startApiProxy({
        upstream,
        policy: { attempts: settings.apiProxy.attempts, initialDelayMs: Math.min(1000, settings.apiProxy.maxDelayMs), maxDelayMs: settings.apiProxy.maxDelayMs, factor: 2 },
        log,
        signal: options.signal,
        beforeForward: gate,
        hold: { retryTimeMs: settings.apiProxy.retryTimeMs, pingIntervalMs: pingIntervalFrom(run.holdPingMs) },
      });
      log.info(`API retry proxy: ${proxy.url} → ${new URL(upstream).origin} (${variable})`);
      proxies.push({ variable, upstream, proxy });
    }
  }
  const stats = (): ProxyStats => proxies.reduce((total, { proxy }) => addStats(total, proxy.stats()), emptyStats());

  // A copy of the restored state, taken before any agent step: it guarantees what that one did.
  const restored = job?.restored?.manifest;
  if (restored && scheduler) await scheduler.save('after restore', { label: { consistency: restored.consistency, interruptedTool: restored.interruptedTool } });
  if (turns) log.info(`Checkpoints are taken ${describeCheckpointMode(turns.mode)}.`);
  // From here on the agent may run at any time (its steps follow the guard's).
  turns?.attemptStarted();
  scheduler?.start();

  return {
    proxies,
    job,
    ledger,
    checkpointMode: turns?.mode ?? '',
    stats,
    async stop(reason: string): Promise<void> {
      if (scheduler && turns) {
        scheduler.stop();
        // Post runs after the agent steps: the agent's state is settled, and a checkpoint still
        // waiting for a boundary is taken now, with the final one labelled by what the store shows.
        await turns.attemptEnded();
        await scheduler.due(reason, { force: true, final: true });
        turns.stop();
        await scheduler.pruneOld(settings.checkpoint.keep);
      }
      for (const { proxy } of proxies) await proxy.close();
    },
  };
}
