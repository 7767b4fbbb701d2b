import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { AgentAdapter } from '../agents/adapter.js';
import type { Log } from '../report/log.js';
import type { RunContext } from '../run-context.js';
import type { RunSnapshot } from '../runner/run-ledger.js';
import { knownSecrets } from '../settings/known-secrets.js';
import type { Settings } from '../settings/settings.js';
import { isSessionData } from './agent-config-policy.js';
import { restoreLatest, type RestoredCheckpoint } from './checkpoint.js';
import { ensurePrivateFolder } from '../private-folder.js';
import { holdBackAgentConfig } from './config-hold-back.js';
import { git } from './exec.js';
import { trustClass } from './lineage.js';
import { guardStore } from './restore-guard.js';
import { expandCheckpointPaths } from './paths-archive.js';
import { parseCheckpointPaths, patternsWithoutMatches } from './safe-paths.js';
import { CheckpointScheduler } from './scheduler.js';
import { createStoreSet } from './store-set.js';
import type { Lineage } from './store.js';
import { errorMessage } from '../error-message.js';

/** What the agent's environment gets so an experiment can take part in checkpoints. */
export interface CheckpointHooks {
  /** DURABLE_AGENT_CHECKPOINT_DIR: a folder whose contents are always in the checkpoint. */
  readonly extraDir: string;
  /** DURABLE_AGENT_CHECKPOINT_REQUEST: creating this file asks for a checkpoint now. */
  readonly requestFile: string;
}

export interface JobCheckpoints {
  readonly scheduler: CheckpointScheduler;
  /** The checkout's commit before the agent ran: every checkpoint of the job is relative to it. */
  readonly baseCommit: string;
  readonly lineage: Lineage;
  readonly hooks: CheckpointHooks;
  readonly restored: RestoredCheckpoint | undefined;
  /** The repository root checkpoints work from. */
  readonly workspace: string;
  /** `checkpoint_paths`, relative to the workspace. */
  readonly checkpointPaths: string;
}

/** Warns once for each `checkpoint_paths` pattern that selects nothing in the workspace now. */
export async function warnUnmatchedCheckpointPaths(job: Pick<JobCheckpoints, 'workspace' | 'checkpointPaths'>, log: Log): Promise<void> {
  const { patterns } = parseCheckpointPaths(job.checkpointPaths);
  if (!patterns.some((pattern) => !pattern.negate)) return;
  const { entries } = await expandCheckpointPaths(job.workspace, job.checkpointPaths);
  for (const pattern of patternsWithoutMatches(patterns, entries.map((entry) => entry.rel))) {
    log.warning(`checkpoint_paths: '${pattern}' matched nothing in ${job.workspace}, so no checkpoint holds it (check the pattern, or that the file is written there)`);
  }
}

export function checkpointHooks(settings: Settings): CheckpointHooks {
  return { extraDir: settings.home.checkpointDir, requestFile: settings.home.checkpointRequest };
}

/** The event payload GITHUB_EVENT_PATH names, or undefined when there is none or it cannot be read. */
function readEventPayload(eventPath: string | undefined): unknown {
  if (!eventPath) return undefined;
  try {
    return JSON.parse(readFileSync(eventPath, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The lineage a re-run resumes: this run's, or with resume_from=branch, the branch's across runs
 * of the same trust class (a pull request's never meets a push's, nor another pull request's).
 */
export function lineageFor(settings: Settings, run: RunContext, workspace: string): Lineage {
  const branch = run.branch ?? 'local';
  const trust = trustClass(run.eventName, readEventPayload(run.eventPath));
  return {
    repository: run.repository ?? `local:${workspace}`,
    workflow: run.workflow ?? 'local',
    job: run.job ?? 'local',
    checkpointId: settings.checkpoint.id,
    // Run ids are unique to one run (and so to one event); a branch is not.
    runId: settings.checkpoint.resumeFrom === 'branch' ? `branch:${trust === 'local' || trust === 'trusted' ? '' : `${trust}:`}${branch}` : (run.runId ?? 'local'),
  };
}

/** `checkpoint_paths` are relative to the working directory; the checkpoint works from the repository root. */
function pathsFromRoot(patterns: string, workspace: string, workingDirectory: string): string {
  const prefix = path.relative(workspace, workingDirectory);
  if (prefix === '' || prefix.startsWith('..')) return patterns;
  return patterns
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => (line.startsWith('!') ? `!${prefix}/${line.slice(1)}` : `${prefix}/${line}`))
    .join('\n');
}

export interface OpenOptions {
  readonly settings: Settings;
  /** Whose session the checkpoints hold, and the folder it lives in. */
  readonly adapter: Pick<AgentAdapter, 'agent' | 'stateDir'>;
  readonly run: RunContext;
  /** The job's environment, for the secrets it holds (never stored). */
  readonly env: NodeJS.ProcessEnv;
  readonly log: Log;
  /** Paths of the agent's folder left out of checkpoints; by default OpenCode's own git snapshots. */
  readonly agentStateExclude?: readonly string[] | undefined;
  /** Agent-state paths whose presence makes a checkpoint refused on restore. */
  readonly agentStateRefuse?: ((relativePath: string) => boolean) | undefined;
  /** Which paths of the agent's folder are session data; by default isSessionData over the folder durable-agent gives the agent. */
  readonly agentStateFilter?: ((relativePath: string) => boolean) | undefined;
  /** Restore the newest valid checkpoint first (main); the post step only saves. */
  readonly restore: boolean;
  /** The checkout's commit before the agent ran; read from git when absent. */
  readonly baseCommit?: string | undefined;
  /** The highest sequence already used in this job (the post step continues after main's). */
  readonly lastSequence?: number | undefined;
  /** The run's session, history and totals as of now: read by each checkpoint when it is written. */
  readonly runState: () => RunSnapshot;
}

/**
 * Sets up checkpoints for this job: the stores, the lineage, and (in main) the restore of the
 * newest valid checkpoint. Undefined when checkpoints are off or the working directory is not in
 * a git checkout (said in the log).
 */
export async function openJobCheckpoints(options: OpenOptions): Promise<JobCheckpoints | undefined> {
  const { settings, adapter, run, env, log } = options;
  if (settings.checkpoint.store === 'none') {
    log.info('Checkpoints are off (checkpoint_store: none).');
    return undefined;
  }
  let workspace: string;
  let baseCommit: string;
  try {
    workspace = (await git(settings.workingDirectory, ['rev-parse', '--show-toplevel'])).trim();
    baseCommit = options.baseCommit ?? (await git(workspace, ['rev-parse', 'HEAD'])).trim();
  } catch (error) {
    log.warning(`Checkpoints need a git checkout with at least one commit; ${settings.workingDirectory} is not one, so none are taken. ${errorMessage(error)}`);
    return undefined;
  }
  const lineage = lineageFor(settings, run, workspace);
  const stores = createStoreSet(settings, run, log, lineage);
  const hooks = checkpointHooks(settings);
  await ensurePrivateFolder(settings.home.root);
  await mkdir(hooks.extraDir, { recursive: true, mode: 0o700 });
  const staging = settings.home.staging;
  // Staging holds copies of transcripts and outputs on their way into a checkpoint.
  await ensurePrivateFolder(staging);
  const checkpointPaths = pathsFromRoot(settings.checkpoint.paths, workspace, settings.workingDirectory);
  log.info(`Checkpoints: ${stores.names} store, lineage ${lineage.repository} / ${lineage.workflow} / ${lineage.job} / ${lineage.checkpointId} / run ${lineage.runId}`);

  const sessionData = options.agentStateFilter ?? ((relativePath: string): boolean => isSessionData(adapter.agent, relativePath));
  let restored: RestoredCheckpoint | undefined;
  if (options.restore && settings.checkpoint.resumeFrom !== 'none') {
    const held = await holdBackAgentConfig({
      workspace,
      workingDirectory: settings.workingDirectory,
      agentStateDir: adapter.stateDir,
      agent: adapter.agent,
      sessionData,
      allowWorkTreeConfig: settings.checkpoint.restoreAgentConfig,
    });
    for (const store of stores.restoreOrder) {
      restored = await restoreLatest(guardStore(store, { lineage, workspace, acrossRuns: settings.checkpoint.resumeFrom === 'branch' }), lineage, {
        workspace,
        tempDir: staging,
        warn: (message) => log.warning(message),
        agentStateDir: adapter.stateDir,
        extraDir: hooks.extraDir,
        checkpointPaths,
        agentStateRefuse: options.agentStateRefuse,
        agentStateFilter: sessionData,
        signingKey: settings.secrets.checkpointSigningKey,
        progress: (line) => log.info(line),
      });
      if (restored) break;
    }
    // A checkpoint is data, never code: what decides which hooks, tools and servers run stays as
    // this run set it up, also after a candidate that failed half-way.
    const { paths } = await held.putBack();
    if (paths.length > 0) {
      log.warning(
        `Held back agent configuration the checkpoint would have changed, since a checkpoint restores data, not configuration${settings.checkpoint.restoreAgentConfig ? '' : " (restore_agent_config: true lets it change the work tree's)"}: ${paths.join(', ')}`,
      );
    }
    if (restored) {
      const { manifest } = restored;
      log.info(
        `Restored checkpoint ${manifest.sequence} (${restored.ref.store} ${restored.ref.key}) from run attempt ${manifest.attempt}, taken ${manifest.createdAt}: ${restored.restored.join(', ') || 'nothing'}${restored.notes.length ? `; ${restored.notes.join('; ')}` : ''}`,
      );
    } else {
      log.info('No checkpoint to restore for this lineage: starting fresh.');
    }
  }

  const highest = Math.max(restored?.manifest.sequence ?? 0, options.lastSequence ?? 0, (await stores.highestSequence(lineage)) ?? 0);
  const scheduler = new CheckpointScheduler(
    {
      stores,
      lineage,
      runState: options.runState,
      workspace,
      baseCommit: restored?.manifest.workspace.base ?? baseCommit,
      stagingDir: staging,
      agent: adapter.agent.name,
      agentStateDir: adapter.stateDir,
      // OpenCode's own git snapshots of the work tree can be large and are rebuilt as needed.
      agentStateExclude: options.agentStateExclude ?? ['opencode/snapshot/**'],
      agentStateFilter: sessionData,
      extraDir: hooks.extraDir,
      checkpointPaths,
      secrets: knownSecrets(settings, env),
      signingKey: settings.secrets.checkpointSigningKey,
      runAttempt: run.runAttempt,
      log,
    },
    { startSequence: highest + 1, intervalMs: settings.checkpoint.intervalMs, minGapMs: settings.checkpoint.minGapMs, requestFile: hooks.requestFile },
  );
  if (restored) {
    scheduler.noteRestored({ ...restored.ref, sizeBytes: restored.ref.sizeBytes }, new Date());
  }
  return { scheduler, lineage, hooks, restored, baseCommit: restored?.manifest.workspace.base ?? baseCommit, workspace, checkpointPaths };
}
