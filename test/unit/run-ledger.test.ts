import { describe, expect, it } from 'vitest';
import type { AttemptEntry } from '../../src/runner/attempt-entry.js';
import type { LaunchPlan } from '../../src/runner/next-launch.js';
import { earlierRun, RunLedger } from '../../src/runner/run-ledger.js';

function entry(number: number, extra: Partial<AttemptEntry> = {}): AttemptEntry {
  return { runAttempt: 1, number, startedAt: '2026-11-24T10:00:00.000Z', durationMs: 1000, mode: 'fresh', outcome: 'transient', reason: 'server_error', apiRetries: 0, ...extra };
}

const plan = (mode: 'fresh' | 'resume', sessionId: string | undefined): LaunchPlan => ({ request: { mode, prompt: 'p', sessionId }, note: undefined });

describe('RunLedger', () => {
  it('starts empty, with the budget open', () => {
    const ledger = new RunLedger({ maxTotalCostUsd: 1, maxTotalTurns: 10 });
    expect(ledger.snapshot()).toEqual({ sessionId: undefined, attempts: [], totals: { costUsd: 0, turns: 0 } });
    expect(ledger.budgetStop).toBeUndefined();
    expect(ledger.freshAfterLostSession).toBe(0);
  });

  it('adds each attempt to the history and the totals, on top of what earlier job attempts left', () => {
    const ledger = new RunLedger();
    ledger.continueFrom({ sessionId: 's0', attempts: [entry(1, { costUsd: 0.5, turns: 4 })], totals: { costUsd: 0.5, turns: 4 } });
    ledger.attemptEnded(entry(1, { runAttempt: 2, costUsd: 0.25, turns: 3 }), 's1');
    ledger.attemptEnded(entry(2, { runAttempt: 2 }), undefined);
    expect(ledger.totals).toEqual({ costUsd: 0.75, turns: 7 });
    expect(ledger.history.map((item) => `${item.runAttempt}.${item.number}`)).toEqual(['1.1', '2.1', '2.2']);
    // An attempt that ends without a session keeps the one before.
    expect(ledger.sessionId).toBe('s1');
  });

  it('takes the session of each launch and each report', () => {
    const ledger = new RunLedger();
    ledger.launched(plan('fresh', 'planned'));
    expect(ledger.sessionId).toBe('planned');
    ledger.launched(plan('fresh', undefined));
    expect(ledger.sessionId).toBe('planned');
    ledger.sessionReported('reported');
    expect(ledger.sessionId).toBe('reported');
  });

  it('stops at once when earlier job attempts already spent the budget', () => {
    const ledger = new RunLedger({ maxTotalCostUsd: 0, maxTotalTurns: 5 });
    ledger.continueFrom({ sessionId: undefined, attempts: [], totals: { costUsd: 0.5, turns: 5 } });
    expect(ledger.budgetStop).toBe('the total of 5 turns reached max_total_turns (5)');
  });

  it('checks the budget when asked and keeps the answer for the conclusion', () => {
    const ledger = new RunLedger({ maxTotalCostUsd: 1, maxTotalTurns: 0 });
    ledger.attemptEnded(entry(1, { costUsd: 0.6 }), undefined);
    expect(ledger.checkBudget()).toBeUndefined();
    ledger.attemptEnded(entry(2, { costUsd: 0.4 }), undefined);
    // Not re-checked until asked: the stop is what the last check said.
    expect(ledger.budgetStop).toBeUndefined();
    expect(ledger.checkBudget()).toBe('the total cost $1.0000 reached max_total_cost_usd ($1)');
    expect(ledger.budgetStop).toBe('the total cost $1.0000 reached max_total_cost_usd ($1)');
  });

  it('counts the fresh starts among the planned launches', () => {
    const ledger = new RunLedger();
    ledger.planned(plan('resume', 's1'));
    ledger.planned(plan('fresh', 's2'));
    ledger.planned(plan('fresh', undefined));
    expect(ledger.freshAfterLostSession).toBe(2);
  });

  it('hands out copies, so a checkpoint being written is not changed under it', () => {
    const ledger = new RunLedger();
    const before = ledger.snapshot();
    const totals = ledger.totals;
    ledger.attemptEnded(entry(1, { costUsd: 1, turns: 1 }), 's1');
    expect(before).toEqual({ sessionId: undefined, attempts: [], totals: { costUsd: 0, turns: 0 } });
    expect(totals).toEqual({ costUsd: 0, turns: 0 });
  });

  it('tells its listeners of every change, and only of changes', () => {
    const ledger = new RunLedger();
    const seen: Array<string | undefined> = [];
    ledger.onChange(() => seen.push(ledger.sessionId));
    ledger.continueFrom({ sessionId: 's0', attempts: [], totals: { costUsd: 0, turns: 0 } });
    ledger.launched(plan('resume', 's0'));
    ledger.sessionReported('s0');
    ledger.sessionReported('s1');
    ledger.attemptEnded(entry(1), undefined);
    ledger.checkBudget();
    ledger.planned(plan('fresh', 's2'));
    expect(seen).toEqual(['s0', 's1', 's1']);
  });

  it('reads what a restored checkpoint says', () => {
    expect(earlierRun({ sessionId: null, attempts: [entry(1)], totals: { costUsd: 2, turns: 3 } })).toEqual({ sessionId: undefined, attempts: [entry(1)], totals: { costUsd: 2, turns: 3 } });
  });
});
