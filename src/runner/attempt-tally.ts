import type { AttemptRecord } from './attempt.js';
import { budgetStop, isFreshStart, type BudgetLimits, type RunTotals } from './conclusion.js';
import type { LaunchPlan } from './next-launch.js';

/**
 * What the retry loop's callbacks learn during a run and the conclusion reads afterwards: the
 * lineage's totals, the budget stop and the fresh starts after a lost session. One owner, so no
 * callback writes to a local of the pipeline.
 */
export class AttemptTally {
  private costUsd: number;
  private turns: number;
  private stop: string | undefined;
  private fresh = 0;

  /** `earlier`: the totals of the lineage's earlier job attempts, from the restored checkpoint. */
  constructor(
    private readonly limits: BudgetLimits,
    earlier: RunTotals,
  ) {
    this.costUsd = earlier.costUsd;
    this.turns = earlier.turns;
    this.stop = budgetStop(limits, earlier);
  }

  get totals(): RunTotals {
    return { costUsd: this.costUsd, turns: this.turns };
  }

  /** Why no further attempt may start, as of the last check; undefined while the budget allows one. */
  get budgetStop(): string | undefined {
    return this.stop;
  }

  get freshAfterLostSession(): number {
    return this.fresh;
  }

  attemptEnded(record: Pick<AttemptRecord, 'costUsd' | 'numTurns'>): void {
    this.costUsd += record.costUsd ?? 0;
    this.turns += record.numTurns ?? 0;
  }

  /** Checks the budget before a retry; the answer is kept for the conclusion. */
  checkBudget(): string | undefined {
    this.stop = budgetStop(this.limits, this.totals);
    return this.stop;
  }

  planned(plan: LaunchPlan): void {
    if (isFreshStart(plan)) this.fresh += 1;
  }
}
