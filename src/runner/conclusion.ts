import type { Classification, FailureReason } from './classify.js';
import type { LaunchPlan } from './next-launch.js';

/** The cost guard's limits; 0 switches a limit off. */
export interface BudgetLimits {
  readonly maxTotalCostUsd: number;
  readonly maxTotalTurns: number;
}

export interface RunTotals {
  readonly costUsd: number;
  readonly turns: number;
}

/** What the conclusion needs from the retry loop's result. */
export interface LoopOutcome {
  readonly attempts: readonly { readonly classification: Classification }[];
  /** Why retrying stopped before success, when not for the last attempt's own reason. */
  readonly stoppedBecause: string | undefined;
}

export interface Conclusion {
  readonly conclusion: 'success' | 'failure';
  readonly failureReason: FailureReason | '';
  /** Whether a re-run may succeed (transient) or not (fatal); empty on success. */
  readonly failureKind: 'transient' | 'fatal' | '';
  readonly failureMessage: string;
  /** The run was cancelled: the final checkpoint must hurry and skip the housekeeping. */
  readonly cancelled: boolean;
}

/**
 * Why no further attempt may start: the cost guard over every attempt of the lineage (re-runs
 * included, so a re-run of an over-budget job does not start the agent at all).
 */
export function budgetStop(limits: BudgetLimits, totals: RunTotals): string | undefined {
  const { maxTotalCostUsd, maxTotalTurns } = limits;
  if (maxTotalCostUsd > 0 && totals.costUsd >= maxTotalCostUsd) return `the total cost $${totals.costUsd.toFixed(4)} reached max_total_cost_usd ($${maxTotalCostUsd})`;
  if (maxTotalTurns > 0 && totals.turns >= maxTotalTurns) return `the total of ${totals.turns} turns reached max_total_turns (${maxTotalTurns})`;
  return undefined;
}

/**
 * Whether the launch after a failed attempt gives up the conversation: the session was lost or
 * never reported, so the next attempt starts a fresh one (counted in the outputs).
 */
export function isFreshStart(plan: LaunchPlan): boolean {
  return plan.request.mode === 'fresh';
}

/**
 * How the run ended, from the retry loop's result and the budget stop (when the cost guard refused
 * an attempt). A cancel wins over everything but success; the budget over the last attempt's own
 * reason; a stop for attempts or time is appended to the last attempt's message.
 */
export function concludeRun(loop: LoopOutcome, budget: string | undefined): Conclusion {
  const verdict = loop.attempts.at(-1)?.classification;
  const cancelled = loop.stoppedBecause === 'cancelled' || verdict?.reason === 'cancelled';
  if (verdict?.kind === 'success') {
    return { conclusion: 'success', failureReason: '', failureKind: '', failureMessage: cancelled ? 'the run was cancelled' : '', cancelled };
  }
  const failureReason: FailureReason = budget ? 'budget' : cancelled ? 'cancelled' : (verdict?.reason ?? 'unknown');
  const failureKind = budget || cancelled || verdict === undefined || verdict.kind !== 'transient' ? 'fatal' : 'transient';
  return { conclusion: 'failure', failureReason, failureKind, failureMessage: failureMessage(loop, verdict, budget, cancelled), cancelled };
}

function failureMessage(loop: LoopOutcome, verdict: Classification | undefined, budget: string | undefined, cancelled: boolean): string {
  if (cancelled) return 'the run was cancelled';
  if (budget) return `${budget}; no further attempt was started`;
  const message = verdict?.message ?? 'the agent did not run';
  return loop.stoppedBecause ? `${message} (gave up: ${loop.stoppedBecause})` : message;
}
