// Wires turn-boundary checkpoints: the scheduler says a checkpoint is due, the agent's events (in
// guard mode its session store) say which tool calls run, the proxy's gate holds the agent's next
// model request, the agent's session store says when the tool results that request carries are on disk.
import { existsSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import type { AgentEvent } from '../agents/events.js';
import type { SessionStoreReader } from '../agents/session-store.js';
import { createTurnGate, type TurnGate, type TurnRequest } from '../proxy/turn-gate.js';
import type { Log } from '../report/log.js';
import { formatDuration } from '../format.js';
import type { RunLedger } from '../runner/run-ledger.js';
import type { CheckpointLabel, CheckpointScheduler, SaveOptions } from './scheduler.js';
import type { CheckpointRef } from './store.js';
import {
  checkpointHoldMs,
  dueAtBoundary,
  heldCheckpointConsistency,
  placeDueCheckpoint,
  plannedStopCheckpointInMs,
  storeWaitStep,
  whileWaitingForBoundary,
  type ToolCall,
  type TurnBoundaryLimits,
} from './turn-boundary-policy.js';

/** How this run's checkpoints relate agent state and work tree, for the log and the summary. */
export type CheckpointMode = 'turn-boundary' | 'agent-state-first';

export function describeCheckpointMode(mode: CheckpointMode): string {
  return mode === 'turn-boundary'
    ? 'at turn boundaries (the API proxy holds the agent’s next model request while one is taken; mid-turn only during a long tool call)'
    : 'agent state first (no API proxy to mark turn boundaries: after a restore a step may run again)';
}

interface Pending {
  reason: string;
  force: boolean;
  readonly dueAt: number;
  readonly done: Promise<CheckpointRef | undefined>;
  readonly settle: (saving: Promise<CheckpointRef | undefined>) => void;
  timer: NodeJS.Timeout | undefined;
}

export interface TurnCheckpointsOptions {
  readonly scheduler: CheckpointScheduler;
  /** The run's ledger: the session the agent's store is read for; without events, told the session found there. */
  readonly ledger: Pick<RunLedger, 'sessionId' | 'sessionReported'>;
  readonly store: SessionStoreReader;
  readonly log: Log;
  readonly limits: TurnBoundaryLimits;
  /** Whether the agent's model requests pass the API proxy (and so this gate). */
  readonly gated: boolean;
  /**
   * Guard mode: the agent runs in a later step, so no event stream reaches onAgentEvent. Then
   * - each model request of the agent is its progress (it sends the next one only after acting on
   *   the previous answer), and a checkpoint taken at one is forced: the session moved on even when
   *   the work tree did not, and the work tree's fingerprint does not cover the agent's state;
   * - a request's tool results are looked for in every session of the store (tool_use ids are
   *   unique; the request may be a new session's, a resumed one's or a subagent's);
   * - the tool calls in flight (for a mid-turn label) are the store's: see SessionStoreReader.running;
   * - the session a checkpoint names is read from the store (`sessionOf`) just before it is taken.
   */
  readonly withoutEvents?: { readonly sessionOf: () => Promise<string | undefined> } | undefined;
}

export class TurnCheckpoints {
  readonly gate: TurnGate;
  private agentRunning = false;
  /** Tool calls the agent started and has not finished, by id, in start order. */
  private readonly calls = new Map<string, string>();
  /** Tool results or finished turns since the last checkpoint was taken. */
  private progress = false;
  private pending: Pending | undefined;
  /** Whether a model request of the agent has reached the gate: an agent that bypasses the proxy never does. */
  private sawRequest = false;
  private beforeStop: NodeJS.Timeout | undefined;

  constructor(private readonly options: TurnCheckpointsOptions) {
    options.scheduler.placer = (reason, saveOptions) => this.place(reason, saveOptions);
    this.gate = createTurnGate({ wants: () => this.wants(), atBoundary: (turn) => this.atBoundary(turn) });
  }

  get mode(): CheckpointMode {
    return this.options.gated ? 'turn-boundary' : 'agent-state-first';
  }

  /** `stopsInMs`: when durable-agent will stop this attempt itself (attempt_timeout); a checkpoint is asked for before. */
  attemptStarted(stopsInMs?: number): void {
    this.agentRunning = true;
    this.calls.clear();
    const at = stopsInMs === undefined ? undefined : plannedStopCheckpointInMs(stopsInMs);
    if (at === undefined) return;
    this.beforeStop = setTimeout(() => void this.options.scheduler.due('before the attempt timeout', { force: true }), at);
    this.beforeStop.unref();
  }

  /** The agent exited: its state is settled, so a checkpoint still waiting for a boundary is taken now. */
  async attemptEnded(): Promise<void> {
    this.agentRunning = false;
    clearTimeout(this.beforeStop);
    const pending = this.takePending();
    if (pending === undefined) return;
    const saving = this.saveAsPlaced(pending.reason, { force: pending.force });
    pending.settle(saving);
    await saving;
  }

  /** Stops the fallback timer; a pending checkpoint is dropped (the final one follows). */
  stop(): void {
    clearTimeout(this.beforeStop);
    const pending = this.takePending();
    pending?.settle(Promise.resolve(undefined));
    this.options.store.close();
  }

  onAgentEvent(event: AgentEvent): void {
    if (event.type === 'tool_call') this.calls.set(event.id, event.name);
    if (event.type === 'tool_result') this.calls.delete(event.id);
    if (event.type !== 'tool_result' && event.type !== 'turn') return;
    this.progress = true;
    // Behind the proxy, progress is judged at the next request (the boundary) instead.
    if (!this.throughProxy) this.options.scheduler.onProgress();
  }

  /** Turn boundaries exist only when the agent's requests pass the gate. */
  private get throughProxy(): boolean {
    return this.options.gated && this.sawRequest;
  }

  private get toolsInFlight(): ToolCall[] {
    return [...this.calls].map(([id, name]) => ({ id, name }));
  }

  /** The scheduler's placer: now, or at the agent's next model request. */
  private place(reason: string, saveOptions: SaveOptions): Promise<CheckpointRef | undefined> {
    if (!this.agentRunning) return this.saveAsPlaced(reason, saveOptions);
    const placement = placeDueCheckpoint({ gated: this.throughProxy, agentRunning: true, toolsInFlight: this.toolsInFlight });
    if (placement.kind === 'now') {
      return this.save(reason, { ...saveOptions, label: { consistency: placement.consistency, interruptedTool: placement.interruptedTool } });
    }
    if (this.pending) {
      this.pending.force ||= saveOptions.force ?? false;
      return this.pending.done;
    }
    let settle: Pending['settle'] = () => undefined;
    const done = new Promise<CheckpointRef | undefined>((resolve) => {
      settle = (saving) => resolve(saving);
    });
    const pending: Pending = { reason, force: saveOptions.force ?? false, dueAt: Date.now(), done, settle, timer: undefined };
    this.pending = pending;
    this.armFallback(pending);
    return done;
  }

  private armFallback(pending: Pending): void {
    const decision = whileWaitingForBoundary({ dueAt: pending.dueAt, now: Date.now(), limits: this.options.limits, toolsInFlight: this.toolsInFlight });
    if (decision.kind === 'wait') {
      pending.timer = setTimeout(() => this.armFallback(pending), decision.checkAgainInMs);
      pending.timer.unref();
      return;
    }
    if (this.pending !== pending) return;
    this.pending = undefined;
    pending.settle(this.takeMidTurn(pending, decision.interruptedTool));
  }

  /** No model request for a long time (one long tool call): take the checkpoint while the tool runs. */
  private async takeMidTurn(pending: Pending, known: ToolCall | undefined): Promise<CheckpointRef | undefined> {
    const interruptedTool = known ?? (await this.storeRunning())[0];
    this.options.log.info(
      `Checkpoint (${pending.reason}) waited ${formatDuration(Date.now() - pending.dueAt)} for a turn boundary${interruptedTool ? ` during tool call ${interruptedTool.name}` : ''}: taking it mid-turn.`,
    );
    return this.save(pending.reason, { force: pending.force, label: { consistency: 'mid-turn', interruptedTool } });
  }

  private takePending(): Pending | undefined {
    const { pending } = this;
    if (pending?.timer) clearTimeout(pending.timer);
    this.pending = undefined;
    return pending;
  }

  private async saveAsPlaced(reason: string, saveOptions: SaveOptions): Promise<CheckpointRef | undefined> {
    const toolsInFlight = this.options.withoutEvents ? await this.storeRunning() : this.toolsInFlight;
    const placement = placeDueCheckpoint({ gated: this.throughProxy, agentRunning: this.agentRunning, toolsInFlight });
    const label: CheckpointLabel =
      placement.kind === 'now' ? { consistency: placement.consistency, interruptedTool: placement.interruptedTool } : { consistency: 'mid-turn' };
    return this.save(reason, { ...saveOptions, label });
  }

  /** Every checkpoint goes through here: without events, the session it names is read first. */
  private async save(reason: string, saveOptions: SaveOptions): Promise<CheckpointRef | undefined> {
    const { scheduler, withoutEvents } = this.options;
    const found = withoutEvents ? await withoutEvents.sessionOf().catch(() => undefined) : undefined;
    if (found !== undefined) this.options.ledger.sessionReported(found);
    return scheduler.save(reason, saveOptions);
  }

  private async storeRunning(): Promise<ToolCall[]> {
    const { ledger, withoutEvents, store } = this.options;
    const found = withoutEvents ? await withoutEvents.sessionOf().catch(() => undefined) : undefined;
    return store.running(found ?? ledger.sessionId);
  }

  /** Asked at every model request of the agent, before its body is parsed: keep it cheap. */
  private wants(): boolean {
    this.sawRequest = true;
    if (!this.agentRunning) return false;
    if (this.options.withoutEvents) this.progress = true;
    const { scheduler } = this.options;
    return dueAtBoundary({
      pending: this.pending !== undefined,
      requested: existsSync(scheduler.requestPath),
      progressSinceSave: this.progress,
      now: Date.now(),
      lastSaveAt: scheduler.lastSavedAt,
      minGapMs: scheduler.minGap,
    });
  }

  /** Holds the agent's request: waits for its store, takes the checkpoint, lets it go. */
  private async atBoundary(turn: TurnRequest): Promise<void> {
    const { scheduler, store, limits, log } = this.options;
    const heldSince = Date.now();
    const pending = this.takePending();
    const requested = scheduler.takeRequest();
    const reason = pending?.reason ?? (requested ? 'requested by the agent' : 'after agent turns');
    const force = (pending?.force ?? false) || requested || this.options.withoutEvents !== undefined;
    const storeSession = this.options.withoutEvents ? undefined : this.options.ledger.sessionId;

    let missing = await store.missing(turn.toolUseIds, storeSession);
    for (;;) {
      const step = storeWaitStep({ missing: missing.length, startedAt: heldSince, now: Date.now(), limits });
      if (step.kind !== 'poll') break;
      await delay(step.inMs);
      missing = await store.missing(turn.toolUseIds, storeSession);
    }
    const storeCaughtUp = missing.length === 0;
    const storeMs = Date.now() - heldSince;
    if (!storeCaughtUp) {
      log.warning(`The agent's session store did not record ${missing.length} tool result(s) within ${formatDuration(limits.storeWaitMs)}: checkpoint (${reason}) taken mid-turn.`);
    }

    this.progress = false;
    let captured = false;
    const label: CheckpointLabel = { consistency: heldCheckpointConsistency({ storeCaughtUp, capturedBeforeRelease: true }) };
    const saving = this.save(reason, { force, label, onCaptured: () => (captured = true) });
    pending?.settle(saving);

    const holdMs = checkpointHoldMs({ heldSince, now: Date.now(), limits });
    const stopWaiting = new AbortController();
    const outcome = await Promise.race([
      saving.then(() => 'saved' as const),
      delay(holdMs, 'deadline' as const, { signal: stopWaiting.signal }).catch(() => 'saved' as const),
    ]);
    stopWaiting.abort();
    if (outcome === 'deadline') {
      if (!captured) label.consistency = heldCheckpointConsistency({ storeCaughtUp, capturedBeforeRelease: false });
      log.warning(
        `Checkpoint (${reason}) held the agent's model request for ${formatDuration(limits.holdDeadlineMs)}: the request goes on` +
          `${captured ? ' while the checkpoint is stored' : ' and the checkpoint is recorded mid-turn'}.`,
      );
      return;
    }
    log.debug(`Turn boundary (${reason}): held the agent's request ${Date.now() - heldSince} ms, ${storeMs} ms of it waiting for its session store.`);
  }
}
