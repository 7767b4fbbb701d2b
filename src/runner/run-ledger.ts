import type { AttemptEntry } from './attempt-entry.js';
import { budgetStop, isFreshStart, type BudgetLimits, type RunTotals } from './conclusion.js';
import type { LaunchPlan } from './next-launch.js';

/** What a checkpoint and the post step carry of a run: the session to resume, the history, the totals. */
export interface RunSnapshot {
  readonly sessionId: string | undefined;
  readonly attempts: readonly AttemptEntry[];
  readonly totals: RunTotals;
}

/** What a restored checkpoint says the lineage's earlier job attempts did. */
export function earlierRun(manifest: { readonly sessionId: string | null; readonly attempts: readonly AttemptEntry[]; readonly totals: RunTotals }): RunSnapshot {
  return { sessionId: manifest.sessionId ?? undefined, attempts: manifest.attempts, totals: manifest.totals };
}

export const NO_BUDGET: BudgetLimits = { maxTotalCostUsd: 0, maxTotalTurns: 0 };

/**
 * The run's mutable facts, owned by the pipeline: the session the next checkpoint names, the
 * attempt history and totals of the whole lineage (re-runs included), the budget check and the
 * fresh starts after a lost session. Those that need them read it (the checkpoint scheduler through
 * `snapshot()` when it saves, the main→post state through `onChange`); nothing else keeps a copy.
 */
export class RunLedger {
  private session: string | undefined;
  private readonly entries: AttemptEntry[] = [];
  private costUsd = 0;
  private turns = 0;
  private stop: string | undefined;
  private fresh = 0;
  private readonly listeners: Array<() => void> = [];

  constructor(private readonly limits: BudgetLimits = NO_BUDGET) {}

  /** Takes over what the lineage's earlier job attempts left (the restored checkpoint's), before anything else. */
  continueFrom(earlier: RunSnapshot): void {
    this.session = earlier.sessionId;
    this.entries.splice(0, this.entries.length, ...earlier.attempts);
    this.costUsd = earlier.totals.costUsd;
    this.turns = earlier.totals.turns;
    this.stop = budgetStop(this.limits, earlier.totals);
    this.changed();
  }

  /** Called after every change (a known session, an attempt ended). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** The session the agent is in or was last in. */
  get sessionId(): string | undefined {
    return this.session;
  }

  /** Every attempt of the lineage, earlier job attempts first. */
  get history(): readonly AttemptEntry[] {
    return this.entries;
  }

  get totals(): RunTotals {
    return { costUsd: this.costUsd, turns: this.turns };
  }

  /** Why no further attempt may start, as of the last check; undefined while the budget allows one. */
  get budgetStop(): string | undefined {
    return this.stop;
  }

  /** Launches after a failed attempt that gave up the conversation (lost or never reported). */
  get freshAfterLostSession(): number {
    return this.fresh;
  }

  /** A copy, so that a checkpoint being written is not changed under it. */
  snapshot(): RunSnapshot {
    return { sessionId: this.session, attempts: [...this.entries], totals: this.totals };
  }

  /** An attempt starts with this plan: a checkpoint from now on names its session. */
  launched(plan: LaunchPlan): void {
    if (plan.request.sessionId === undefined || plan.request.sessionId === this.session) return;
    this.session = plan.request.sessionId;
    this.changed();
  }

  /** The agent said which session it is in. */
  sessionReported(sessionId: string): void {
    if (sessionId === this.session) return;
    this.session = sessionId;
    this.changed();
  }

  /** `sessionId`: the one the attempt ended in, when known. */
  attemptEnded(entry: AttemptEntry, sessionId: string | undefined): void {
    this.entries.push(entry);
    this.costUsd += entry.costUsd ?? 0;
    this.turns += entry.turns ?? 0;
    this.session = sessionId ?? this.session;
    this.changed();
  }

  /** Checks the budget before a retry; the answer is kept for the conclusion. */
  checkBudget(): string | undefined {
    this.stop = budgetStop(this.limits, this.totals);
    return this.stop;
  }

  /** The launch after a failed attempt was planned. */
  planned(plan: LaunchPlan): void {
    if (isFreshStart(plan)) this.fresh += 1;
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
