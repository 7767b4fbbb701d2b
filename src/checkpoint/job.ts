import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { AgentAdapter } from '../agents/adapter.js';
import type { Log } from '../report/log.js';
import { secretValues, type Settings } from '../settings/settings.js';
import { restoreLatest, type RestoredCheckpoint } from './checkpoint.js';
import { git } from './exec.js';
import { CheckpointScheduler } from './scheduler.js';
import { createStoreSet } from './store-set.js';
import type { Lineage } from './store.js';

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
}

export function checkpointHooks(settings: Settings): CheckpointHooks {
  return { extraDir: path.join(settings.homeDir, 'checkpoint-dir'), requestFile: path.join(settings.homeDir, 'checkpoint-request') };
}

/** The lineage a re-run resumes: this run's, or with resume_from=branch, the branch's across runs. */
export function lineageFor(settings: Settings, env: NodeJS.ProcessEnv, workspace: string): Lineage {
  const branch = env.GITHUB_HEAD_REF || env.GITHUB_REF_NAME || 'local';
  return {
    repository: env.GITHUB_REPOSITORY ?? `local:${workspace}`,
    workflow: env.GITHUB_WORKFLOW ?? 'local',
    job: env.GITHUB_JOB ?? 'local',
    checkpointId: settings.checkpoint.id,
    runId: settings.checkpoint.resumeFrom === 'branch' ? `branch:${branch}` : (env.GITHUB_RUN_ID ?? 'local'),
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
  readonly adapter: AgentAdapter;
  readonly env: NodeJS.ProcessEnv;
  readonly log: Log;
  /** Restore the newest valid checkpoint first (main); the post step only saves. */
  readonly restore: boolean;
  /** The checkout's commit before the agent ran; read from git when absent. */
  readonly baseCommit?: string | undefined;
  /** The highest sequence already used in this job (the post step continues after main's). */
  readonly lastSequence?: number | undefined;
}

/**
 * Sets up checkpoints for this job: the stores, the lineage, and (in main) the restore of the
 * newest valid checkpoint. Undefined when checkpoints are off or the working directory is not in
 * a git checkout (said in the log).
 */
export async function openJobCheckpoints(options: OpenOptions): Promise<JobCheckpoints | undefined> {
  const { settings, adapter, env, log } = options;
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
    log.warning(`Checkpoints need a git checkout with at least one commit; ${settings.workingDirectory} is not one, so none are taken. ${(error as Error).message}`);
    return undefined;
  }
  const lineage = lineageFor(settings, env, workspace);
  const stores = createStoreSet(settings, env, log, lineage);
  const hooks = checkpointHooks(settings);
  await mkdir(hooks.extraDir, { recursive: true });
  const staging = path.join(settings.homeDir, 'staging');
  await mkdir(staging, { recursive: true });
  const checkpointPaths = pathsFromRoot(settings.checkpoint.paths, workspace, settings.workingDirectory);
  log.info(`Checkpoints: ${stores.names} store, lineage ${lineage.repository} / ${lineage.workflow} / ${lineage.job} / ${lineage.checkpointId} / run ${lineage.runId}`);

  let restored: RestoredCheckpoint | undefined;
  if (options.restore && settings.checkpoint.resumeFrom !== 'none') {
    for (const store of stores.restoreOrder) {
      restored = await restoreLatest(store, lineage, {
        workspace,
        tempDir: staging,
        warn: (message) => log.warning(message),
        agentStateDir: adapter.stateDir,
        extraDir: hooks.extraDir,
        checkpointPaths,
        signingKey: settings.secrets.checkpointSigningKey,
        progress: (line) => log.info(line),
      });
      if (restored) break;
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
      workspace,
      baseCommit: restored?.manifest.workspace.base ?? baseCommit,
      stagingDir: staging,
      agent: adapter.name,
      agentStateDir: adapter.stateDir,
      // OpenCode's own git snapshots of the work tree can be large and are rebuilt as needed.
      agentStateExclude: ['opencode/snapshot/**'],
      extraDir: hooks.extraDir,
      checkpointPaths,
      secrets: secretValues(settings),
      signingKey: settings.secrets.checkpointSigningKey,
      runAttempt: Number(env.GITHUB_RUN_ATTEMPT ?? '1') || 1,
      log,
    },
    { startSequence: highest + 1, intervalMs: settings.checkpoint.intervalMs, minGapMs: settings.checkpoint.minGapMs, requestFile: hooks.requestFile },
  );
  if (restored) {
    scheduler.sessionId = restored.manifest.sessionId ?? undefined;
    scheduler.attempts = restored.manifest.attempts.map((entry) => ({ ...entry }));
    scheduler.totals = { ...restored.manifest.totals };
    scheduler.noteRestored({ ...restored.ref, sizeBytes: restored.ref.sizeBytes }, new Date());
  }
  return { scheduler, lineage, hooks, restored, baseCommit: restored?.manifest.workspace.base ?? baseCommit };
}
