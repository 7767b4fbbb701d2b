import { describe, expect, it } from 'vitest';
import type { Classification } from '../../src/runner/classify.js';
import { budgetStop, concludeRun, isFreshStart, type LoopOutcome } from '../../src/runner/conclusion.js';
import type { LaunchPlan } from '../../src/runner/next-launch.js';

const success: Classification = { kind: 'success', reason: 'success', message: 'done' };
const serverError: Classification = { kind: 'transient', reason: 'server_error', message: 'API Error: 500' };
const auth: Classification = { kind: 'fatal', reason: 'auth', message: 'invalid x-api-key' };
const cancelledAttempt: Classification = { kind: 'fatal', reason: 'cancelled', message: 'the job was cancelled' };
const lostSession: Classification = { kind: 'session_lost', reason: 'session_not_found', message: 'No conversation found' };

function loop(classifications: readonly Classification[], stoppedBecause?: string): LoopOutcome {
  return { attempts: classifications.map((classification) => ({ classification })), stoppedBecause };
}

const noLimits = { maxTotalCostUsd: 0, maxTotalTurns: 0 };

describe('concludeRun', () => {
  it('succeeds when the last attempt succeeded, after any failures', () => {
    expect(concludeRun(loop([serverError, success]), undefined)).toEqual({ conclusion: 'success', failureReason: '', failureKind: '', failureMessage: '', cancelled: false });
  });

  it('keeps a transient failure transient, with why retrying stopped appended', () => {
    expect(concludeRun(loop([serverError, serverError, serverError], 'max_attempts (3) reached'), undefined)).toEqual({
      conclusion: 'failure',
      failureReason: 'server_error',
      failureKind: 'transient',
      failureMessage: 'API Error: 500 (gave up: max_attempts (3) reached)',
      cancelled: false,
    });
    expect(concludeRun(loop([serverError], 'max_retry_time reached'), undefined).failureMessage).toBe('API Error: 500 (gave up: max_retry_time reached)');
  });

  it('reports a fatal failure with its own reason and message', () => {
    expect(concludeRun(loop([serverError, auth]), undefined)).toEqual({ conclusion: 'failure', failureReason: 'auth', failureKind: 'fatal', failureMessage: 'invalid x-api-key', cancelled: false });
  });

  it('reports a session lost again on a fresh start as the fatal session_not_found', () => {
    expect(concludeRun(loop([lostSession, lostSession]), undefined)).toMatchObject({ failureReason: 'session_not_found', failureKind: 'fatal', failureMessage: 'No conversation found' });
  });

  it('calls a run without attempts a fatal unknown failure', () => {
    expect(concludeRun(loop([]), undefined)).toEqual({ conclusion: 'failure', failureReason: 'unknown', failureKind: 'fatal', failureMessage: 'the agent did not run', cancelled: false });
  });

  it('names the budget when the cost guard refused an attempt, fatal even after a transient failure', () => {
    const stop = 'the total of 12 turns reached max_total_turns (10)';
    expect(concludeRun(loop([serverError], stop), stop)).toEqual({
      conclusion: 'failure',
      failureReason: 'budget',
      failureKind: 'fatal',
      failureMessage: `${stop}; no further attempt was started`,
      cancelled: false,
    });
  });

  it('names the budget when it was spent before the first attempt', () => {
    expect(concludeRun(loop([]), 'spent')).toMatchObject({ failureReason: 'budget', failureKind: 'fatal', failureMessage: 'spent; no further attempt was started' });
  });

  it('ignores a budget stop when the last attempt succeeded', () => {
    expect(concludeRun(loop([success]), 'spent')).toMatchObject({ conclusion: 'success', failureReason: '', failureMessage: '' });
  });

  it('reports a cancel during an attempt as a fatal cancel', () => {
    expect(concludeRun(loop([serverError, cancelledAttempt]), undefined)).toEqual({
      conclusion: 'failure',
      failureReason: 'cancelled',
      failureKind: 'fatal',
      failureMessage: 'the run was cancelled',
      cancelled: true,
    });
  });

  it('reports a cancel while waiting to retry as a fatal cancel, without the gave-up note', () => {
    expect(concludeRun(loop([serverError], 'cancelled'), undefined)).toEqual({
      conclusion: 'failure',
      failureReason: 'cancelled',
      failureKind: 'fatal',
      failureMessage: 'the run was cancelled',
      cancelled: true,
    });
  });

  it('lets the budget name the reason of a cancelled run, the cancel its message', () => {
    expect(concludeRun(loop([cancelledAttempt]), 'spent')).toMatchObject({ failureReason: 'budget', failureKind: 'fatal', failureMessage: 'the run was cancelled', cancelled: true });
  });
});

describe('budgetStop', () => {
  it('allows everything when both limits are off', () => {
    expect(budgetStop(noLimits, { costUsd: 1000, turns: 1000 })).toBeUndefined();
  });
  it('stops at the cost limit, inclusive', () => {
    const limits = { maxTotalCostUsd: 0.05, maxTotalTurns: 0 };
    expect(budgetStop(limits, { costUsd: 0.0499, turns: 99 })).toBeUndefined();
    expect(budgetStop(limits, { costUsd: 0.05, turns: 0 })).toBe('the total cost $0.0500 reached max_total_cost_usd ($0.05)');
  });
  it('stops at the turn limit, inclusive', () => {
    const limits = { maxTotalCostUsd: 0, maxTotalTurns: 10 };
    expect(budgetStop(limits, { costUsd: 5, turns: 9 })).toBeUndefined();
    expect(budgetStop(limits, { costUsd: 5, turns: 10 })).toBe('the total of 10 turns reached max_total_turns (10)');
  });
  it('names the cost first when both limits are reached', () => {
    expect(budgetStop({ maxTotalCostUsd: 1, maxTotalTurns: 1 }, { costUsd: 2, turns: 2 })).toMatch(/^the total cost \$2\.0000/);
  });
});

describe('isFreshStart', () => {
  const plan = (mode: 'fresh' | 'resume'): LaunchPlan => ({ request: { mode, prompt: 'p', sessionId: 's' }, note: undefined });
  it('counts a fresh session and not a resume', () => {
    expect(isFreshStart(plan('fresh'))).toBe(true);
    expect(isFreshStart(plan('resume'))).toBe(false);
  });
});
