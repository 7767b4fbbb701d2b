// When a due checkpoint is taken relative to the agent's turns. Pure: decisions only, no clocks,
// no I/O; turn-checkpoints.ts does the waiting and the saving.

/**
 * What a checkpoint guarantees about agent state versus work tree:
 * - `turn-boundary`: both from one instant while the agent could not act (its model request was
 *   held, or it was not running): a re-run neither redoes nor skips a finished step.
 * - `mid-turn`: taken while the agent may act (a long tool call, a store that did not catch up, a
 *   checkpoint over its deadline); the agent state is read first, so a step may run again, and
 *   `interruptedTool` names the call that was running when one is known.
 * - `agent-state-first`: without the API proxy nothing marks a turn boundary: the agent state is
 *   read first, then the work tree; a step may run again, none is lost.
 */
export type Consistency = 'turn-boundary' | 'mid-turn' | 'agent-state-first';

export interface ToolCall {
  readonly name: string;
  readonly id: string;
}

export interface TurnBoundaryLimits {
  /** How long a held request waits for the agent's store to record the tool results it carries. */
  readonly storeWaitMs: number;
  /** Between two looks at the store while waiting. */
  readonly storePollMs: number;
  /** The longest a request is held in all (store wait and checkpoint); past it the request goes on. */
  readonly holdDeadlineMs: number;
  /** A checkpoint that waited this long for a boundary (one long tool call) is taken mid-turn. */
  readonly midTurnAfterMs: number;
}

/**
 * Claude Code writes a tool result to its transcript 25–100 ms after it sent the request that
 * carries it (measured): 3 s leaves room for a loaded machine. 30 s of hold is short next to a
 * model's own answer times and the CLIs' 600 s request timeouts.
 */
export function defaultLimits(intervalMs: number): TurnBoundaryLimits {
  return { storeWaitMs: 3000, storePollMs: 5, holdDeadlineMs: 30_000, midTurnAfterMs: intervalMs };
}

export type Placement =
  | { readonly kind: 'now'; readonly consistency: Consistency; readonly interruptedTool?: ToolCall | undefined }
  | { readonly kind: 'at-next-boundary' };

/**
 * Where a checkpoint that just became due is taken. With the proxy and a running agent: at its next
 * model request. Without a running agent its state is settled: a boundary, unless a tool call was
 * cut off when it stopped. Without the proxy and with a running agent: now, agent state first.
 */
export function placeDueCheckpoint(input: { readonly gated: boolean; readonly agentRunning: boolean; readonly toolsInFlight: readonly ToolCall[] }): Placement {
  if (!input.agentRunning) {
    const cut = input.toolsInFlight[0];
    return cut === undefined ? { kind: 'now', consistency: 'turn-boundary' } : { kind: 'now', consistency: 'mid-turn', interruptedTool: cut };
  }
  if (!input.gated) return { kind: 'now', consistency: 'agent-state-first' };
  return { kind: 'at-next-boundary' };
}

/**
 * When to ask for a checkpoint before a stop durable-agent itself will make (the attempt timeout):
 * early enough for a turn boundary to come and the checkpoint to finish, a tenth of the attempt
 * but at most a minute ahead. Undefined when the stop is too far off to plan (no timer that long).
 */
export function plannedStopCheckpointInMs(stopsInMs: number): number | undefined {
  if (!Number.isFinite(stopsInMs) || stopsInMs <= 0 || stopsInMs > 2 ** 31 - 1) return undefined;
  return stopsInMs - Math.min(60_000, stopsInMs / 10);
}

export type WaitingDecision = { readonly kind: 'wait'; readonly checkAgainInMs: number } | { readonly kind: 'mid-turn'; readonly interruptedTool?: ToolCall | undefined };

/**
 * A checkpoint waiting for a turn boundary: keep waiting, or give up on the boundary and take it
 * mid-turn, naming the oldest tool call still running (the one the agent is blocked on).
 */
export function whileWaitingForBoundary(input: {
  readonly dueAt: number;
  readonly now: number;
  readonly limits: Pick<TurnBoundaryLimits, 'midTurnAfterMs'>;
  readonly toolsInFlight: readonly ToolCall[];
}): WaitingDecision {
  const waited = input.now - input.dueAt;
  if (waited < input.limits.midTurnAfterMs) return { kind: 'wait', checkAgainInMs: input.limits.midTurnAfterMs - waited };
  return { kind: 'mid-turn', interruptedTool: input.toolsInFlight[0] };
}

/**
 * At a model request: whether a checkpoint is taken before it goes on. A pending one always; one
 * the agent asked for; otherwise progress since the last checkpoint (tool results, finished turns)
 * once the minimum gap has passed, which is how "after agent turns" is judged at the boundary
 * itself rather than from the agent's printed events (those may arrive after its request).
 */
export function dueAtBoundary(input: {
  readonly pending: boolean;
  readonly requested: boolean;
  readonly progressSinceSave: boolean;
  readonly now: number;
  readonly lastSaveAt: number;
  readonly minGapMs: number;
}): boolean {
  if (input.pending || input.requested) return true;
  return input.progressSinceSave && input.now - input.lastSaveAt >= input.minGapMs;
}

export type StoreWaitStep = { readonly kind: 'ready' } | { readonly kind: 'poll'; readonly inMs: number } | { readonly kind: 'give-up' };

/** While a held request waits for the agent's store to record the tool results it carries. */
export function storeWaitStep(input: {
  readonly missing: number;
  readonly startedAt: number;
  readonly now: number;
  readonly limits: Pick<TurnBoundaryLimits, 'storeWaitMs' | 'storePollMs'>;
}): StoreWaitStep {
  if (input.missing === 0) return { kind: 'ready' };
  const left = input.startedAt + input.limits.storeWaitMs - input.now;
  if (left <= 0) return { kind: 'give-up' };
  return { kind: 'poll', inMs: Math.min(input.limits.storePollMs, left) };
}

/** How long the checkpoint itself may hold the request, after the store wait used its share. */
export function checkpointHoldMs(input: { readonly heldSince: number; readonly now: number; readonly limits: Pick<TurnBoundaryLimits, 'holdDeadlineMs'> }): number {
  return Math.max(0, input.heldSince + input.limits.holdDeadlineMs - input.now);
}

/**
 * The label of a checkpoint taken at a held request. A boundary only when the store held every
 * tool result the request carries and the capture finished before the request was let go.
 */
export function heldCheckpointConsistency(input: { readonly storeCaughtUp: boolean; readonly capturedBeforeRelease: boolean }): Consistency {
  return input.storeCaughtUp && input.capturedBeforeRelease ? 'turn-boundary' : 'mid-turn';
}

