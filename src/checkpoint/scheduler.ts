import { existsSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Log } from '../report/log.js';
import type { RunSnapshot } from '../runner/run-ledger.js';
import type { SummaryCheckpoint } from '../report/summary.js';
import { formatBytes, formatDuration } from '../format.js';
import { createCheckpoint } from './checkpoint.js';
import { checkWorkspaceState } from './fingerprint.js';
import type { CheckpointRef, Lineage } from './store.js';
import type { StoreSet } from './store-set.js';
import type { Consistency, ToolCall } from './turn-boundary-policy.js';
import { errorMessage } from '../error-message.js';

export interface CheckpointContext {
  readonly stores: StoreSet;
  readonly lineage: Lineage;
  /** The run's session, history and totals as of now (the pipeline's ledger): each checkpoint carries them. */
  readonly runState: () => RunSnapshot;
  /** The git work tree the agent changes. */
  readonly workspace: string;
  readonly baseCommit: string;
  /** Scratch space for building checkpoints (RUNNER_TEMP). */
  readonly stagingDir: string;
  readonly agent: string;
  readonly agentStateDir: string;
  readonly agentStateExclude: readonly string[];
  /** Which paths of the agent state are session data (agent-config-policy.ts); nothing else is saved. */
  readonly agentStateFilter?: ((relativePath: string) => boolean) | undefined;
  readonly extraDir: string;
  readonly checkpointPaths: string;
  readonly secrets: readonly string[];
  /** `checkpoint_signing_key`: every manifest is signed with it. */
  readonly signingKey?: string | undefined;
  /** GITHUB_RUN_ATTEMPT. */
  readonly runAttempt: number;
  readonly log: Log;
}

export interface SaveOptions {
  /** Save even when the workspace did not change (the last checkpoint of a job attempt). */
  readonly force?: boolean;
  /** The last checkpoint of this job attempt: also goes to the stores that keep only those. */
  readonly final?: boolean;
  /** Give up waiting after this long (a cancelled job has seconds left); the save is abandoned cleanly. */
  readonly deadlineMs?: number;
  /**
   * What the checkpoint guarantees (default agent-state-first). Read when the manifest is written,
   * at the end of the capture: a hold that runs out during the capture can still downgrade it.
   */
  readonly label?: CheckpointLabel;
  /** Told once the checkpoint's contents are read (before the upload), or when the save ends without one. */
  readonly onCaptured?: () => void;
}

export interface CheckpointLabel {
  consistency: Consistency;
  interruptedTool?: ToolCall | undefined;
}

/** Decides when a due checkpoint is taken (turn-checkpoints.ts); without one it is taken at once. */
export type CheckpointPlacer = (reason: string, options: SaveOptions) => Promise<CheckpointRef | undefined>;

/** How the log says what a checkpoint guarantees. */
export function describeConsistency(consistency: Consistency, interrupted: ToolCall | undefined): string {
  switch (consistency) {
    case 'turn-boundary':
      return 'taken at a turn boundary';
    case 'mid-turn':
      return `taken mid-turn${interrupted ? ` during tool call ${interrupted.name} (${interrupted.id})` : ''}`;
    case 'agent-state-first':
      return 'agent state copied first';
  }
}

/** How long progress waits before its checkpoint is due: until the minimum gap after the last save has passed. */
export function debounceWaitMs(lastSaveAt: number, minGapMs: number, now: number): number {
  return Math.max(0, lastSaveAt + minGapMs - now);
}

/**
 * Takes checkpoints for one job attempt: when asked, on a schedule, after agent turns (debounced),
 * and when the agent asks through its request file. Saves never overlap and never fail the run:
 * a failed save is a warning. It keeps only its own bookkeeping (sequence, timing, what it saved);
 * the run's facts each checkpoint carries are read from `runState` when it is written.
 */
export class CheckpointScheduler {
  private chain: Promise<unknown> = Promise.resolve();
  private lastFingerprint: string | undefined;
  private lastSaveAt = 0;
  private debounce: NodeJS.Timeout | undefined;
  private interval: NodeJS.Timeout | undefined;
  private nextSequence: number;
  private readonly record: SummaryCheckpoint[] = [];
  private newest: CheckpointRef | undefined;
  private savedCount = 0;
  private readonly savedListeners: Array<() => void> = [];
  /** Set by turn-checkpoints.ts to take due checkpoints at turn boundaries. */
  placer: CheckpointPlacer | undefined;

  constructor(
    private readonly context: CheckpointContext,
    options: { startSequence: number; intervalMs: number; minGapMs: number; requestFile: string },
  ) {
    this.nextSequence = options.startSequence;
    this.intervalMs = options.intervalMs;
    this.minGapMs = options.minGapMs;
    this.requestFile = options.requestFile;
  }

  private readonly intervalMs: number;
  private readonly minGapMs: number;
  private readonly requestFile: string;

  /** Checkpoints taken and restored, for the job summary. */
  get history(): readonly SummaryCheckpoint[] {
    return this.record;
  }

  get latest(): CheckpointRef | undefined {
    return this.newest;
  }

  get count(): number {
    return this.savedCount;
  }

  /** The sequence the last save used (or the restored one before any save). */
  get lastSequence(): number {
    return this.nextSequence - 1;
  }

  /** When the last checkpoint was stored (0 before any), for the minimum gap between them. */
  get lastSavedAt(): number {
    return this.lastSaveAt;
  }

  get minGap(): number {
    return this.minGapMs;
  }

  get requestPath(): string {
    return this.requestFile;
  }

  /** Called after each save that used up a sequence number (lastSequence moved). */
  onSaved(listener: () => void): void {
    this.savedListeners.push(listener);
  }

  noteRestored(ref: CheckpointRef, at: Date): void {
    this.record.push({ kind: 'restored', at, sequence: ref.sequence, sizeBytes: ref.sizeBytes, store: ref.store });
  }

  start(): void {
    this.interval = setInterval(() => {
      void this.due('interval');
    }, this.intervalMs);
    this.interval.unref();
  }

  stop(): void {
    if (this.interval) clearInterval(this.interval);
    if (this.debounce) clearTimeout(this.debounce);
    this.interval = undefined;
    this.debounce = undefined;
  }

  /** Resolves once every save queued so far has ended, so a caller may remove what saves read. */
  async whenIdle(): Promise<void> {
    await this.chain;
  }

  /** After an agent turn or tool result: a save once the minimum gap has passed, if something changed. */
  onProgress(): void {
    if (this.takeRequest()) {
      void this.due('requested by the agent', { force: true });
      return;
    }
    if (this.debounce) return;
    const wait = debounceWaitMs(this.lastSaveAt, this.minGapMs, Date.now());
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.due('after agent turns');
    }, wait);
    this.debounce.unref();
  }

  /** A checkpoint is due: taken where the placer says (the next turn boundary), or now. */
  due(reason: string, options: SaveOptions = {}): Promise<CheckpointRef | undefined> {
    return this.placer ? this.placer(reason, options) : this.save(reason, options);
  }

  /** Whether the agent asked for a checkpoint (the request file exists); consumes the request. */
  takeRequest(): boolean {
    if (!existsSync(this.requestFile)) return false;
    rmSync(this.requestFile, { force: true });
    return true;
  }

  /** Deletes the lineage's checkpoints beyond the newest `keep` where the store allows it. */
  async pruneOld(keep: number): Promise<void> {
    await this.chain;
    await this.context.stores.prune(this.context.lineage, keep);
  }

  /** Queues a save behind any running one; resolves when done, skipped, or past the deadline. */
  save(reason: string, options: SaveOptions = {}): Promise<CheckpointRef | undefined> {
    let told = false;
    const captured = (): void => {
      if (told) return;
      told = true;
      options.onCaptured?.();
    };
    const run = this.chain.then(() => this.saveNow(reason, options, captured)).finally(captured);
    this.chain = run.catch(() => undefined);
    if (options.deadlineMs === undefined) return run;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => {
        this.context.log.warning(`Checkpoint (${reason}) did not finish within ${formatDuration(options.deadlineMs ?? 0)}: skipped.`);
        resolve(undefined);
      }, options.deadlineMs);
    });
    return Promise.race([run, deadline]).finally(() => clearTimeout(timer));
  }

  private async saveNow(reason: string, options: SaveOptions, captured: () => void): Promise<CheckpointRef | undefined> {
    const { context } = this;
    if (context.stores.isEmpty) return undefined;
    const started = Date.now();
    const label = options.label ?? { consistency: 'agent-state-first' };
    try {
      const { fingerprint, status } = await checkWorkspaceState(context.workspace, context.checkpointPaths, [context.extraDir]);
      if (!options.force && fingerprint === this.lastFingerprint) {
        context.log.debug(`Checkpoint (${reason}) skipped: nothing changed since the last one.`);
        return undefined;
      }
      const sequence = this.nextSequence;
      const run = context.runState();
      const created = await createCheckpoint({
        // Getters: createCheckpoint reads them when it writes the manifest, after the capture.
        get consistency() {
          return label.consistency;
        },
        get interruptedTool() {
          return label.consistency === 'mid-turn' ? label.interruptedTool : undefined;
        },
        workspace: context.workspace,
        baseCommit: context.baseCommit,
        stagingDir: context.stagingDir,
        lineage: context.lineage,
        sequence,
        attempt: context.runAttempt,
        agent: context.agent,
        sessionId: run.sessionId,
        checkpointPaths: context.checkpointPaths,
        extraDir: context.extraDir,
        agentStateDir: context.agentStateDir,
        agentStateExclude: context.agentStateExclude,
        agentStateFilter: context.agentStateFilter,
        secrets: context.secrets,
        attempts: run.attempts,
        totals: run.totals,
        signingKey: context.signingKey,
        progress: (line) => context.log.info(line),
        // Held at a turn boundary the agent edits nothing: the check's status serves the save. Asked
        // once the agent state is read; a hold that ran out by then downgraded the label already.
        workTreeStatus: () => (label.consistency === 'turn-boundary' ? status : undefined),
      });
      captured();
      try {
        for (const excluded of created.excluded) context.log.warning(`Checkpoint ${sequence}: left out ${excluded.area} file ${excluded.path}, which holds a secret value.`);
        for (const warning of created.warnings) context.log.warning(`Checkpoint ${sequence}: ${warning}`);
        const refs = await context.stores.save(
          { dir: created.dir, lineage: context.lineage, sequence, attempt: context.runAttempt, createdAt: created.manifest.createdAt },
          options.final ?? false,
        );
        // The sequence is used up even when every store refused it: a key may exist half-written.
        this.nextSequence = sequence + 1;
        this.lastSaveAt = Date.now();
        for (const listener of this.savedListeners) listener();
        if (refs.length === 0) return undefined;
        this.lastFingerprint = fingerprint;
        this.savedCount += 1;
        const took = Date.now() - started;
        const newest = refs[0];
        this.newest = newest;
        const consistency = created.manifest.consistency ?? 'agent-state-first';
        for (const ref of refs) {
          this.record.push({ kind: 'saved', at: new Date(created.manifest.createdAt), sequence, sizeBytes: created.sizeBytes, store: ref.store, durationMs: took, consistency });
        }
        const interrupted = created.manifest.interruptedTool;
        context.log.info(
          `Checkpoint ${sequence} saved (${reason}): ${formatBytes(created.sizeBytes)} in ${formatDuration(took)} to ${refs.map((ref) => `${ref.store} ${ref.key}`).join(', ')}; ` +
            `${created.stats.files} files, ${formatBytes(created.stats.bytesNew)} new and ${formatBytes(created.stats.bytesReused)} reused (${formatBytes(created.stats.bytesRead)} read); ${describeConsistency(consistency, interrupted)}`,
        );
        return newest;
      } finally {
        await rm(created.dir, { recursive: true, force: true });
      }
    } catch (error) {
      context.log.warning(`Checkpoint (${reason}) failed; the run goes on. ${errorMessage(error)}`);
      return undefined;
    }
  }
}
