import { describe, expect, it } from 'vitest';
import type { AttemptRecord } from '../../src/runner/attempt.js';
import type { Classification } from '../../src/runner/classify.js';
import { nextLaunch } from '../../src/runner/next-launch.js';
import { runWithRetries } from '../../src/runner/retry-loop.js';
import { retryDelayMs, retryStep, type RetryPolicy } from '../../src/runner/retry-policy.js';
import { terminalLog } from '../../src/report/log.js';

const policy: RetryPolicy = { maxAttempts: 5, initialDelayMs: 10, maxDelayMs: 40, backoffFactor: 2, maxRetryTimeMs: 60_000 };

describe('retryDelayMs', () => {
  const slow: RetryPolicy = { ...policy, initialDelayMs: 1000, maxDelayMs: 4000 };
  it('draws full jitter below an exponential ceiling capped by max_delay', () => {
    expect(retryDelayMs(slow, 1, undefined, () => 1)).toBe(1000);
    expect(retryDelayMs(slow, 2, undefined, () => 1)).toBe(2000);
    expect(retryDelayMs(slow, 5, undefined, () => 1)).toBe(4000);
    expect(retryDelayMs(slow, 3, undefined, () => 0.75)).toBe(3000);
  });
  it('never returns zero, so a failure cannot loop without a pause', () => {
    expect(retryDelayMs(policy, 1, undefined, () => 0)).toBeGreaterThan(0);
    const zero = { ...policy, initialDelayMs: 0, maxDelayMs: 0 };
    expect(retryDelayMs(zero, 1, undefined, () => 0)).toBe(100);
    expect(retryDelayMs(zero, 1, 0, () => 0)).toBe(100);
  });
  it('lets a retry-after hint win, capped by max_delay', () => {
    expect(retryDelayMs(slow, 1, 3000, () => 0)).toBe(3000);
    expect(retryDelayMs(slow, 1, 10_000, () => 0)).toBe(4000);
  });
});

describe('retryStep', () => {
  const after = (classification: Classification, mode: 'fresh' | 'resume') => retryStep({ classification, mode });
  it('decides from how the attempt ended and how it was launched', () => {
    expect(after({ kind: 'success', reason: 'success', message: '' }, 'resume')).toBe('done');
    expect(after({ kind: 'transient', reason: 'server_error', message: '' }, 'fresh')).toBe('after_backoff');
    expect(after({ kind: 'transient', reason: 'server_error', message: '' }, 'resume')).toBe('after_backoff');
    expect(after({ kind: 'fatal', reason: 'auth', message: '' }, 'resume')).toBe('stop');
    expect(after({ kind: 'fatal', reason: 'cancelled', message: '' }, 'fresh')).toBe('stop');
  });
  it('retries a lost session at once, unless the session was a fresh one', () => {
    const lost: Classification = { kind: 'session_lost', reason: 'session_not_found', message: '' };
    expect(after(lost, 'resume')).toBe('at_once');
    expect(after(lost, 'fresh')).toBe('stop');
  });
});

describe('nextLaunch', () => {
  const transient: Classification = { kind: 'transient', reason: 'server_error', message: '500' };
  it('resumes the same session with the continuation prompt', () => {
    const plan = nextLaunch({ previous: { mode: 'fresh', sessionId: 's1', classification: transient }, prompt: 'task', resumePrompt: 'go on', newSessionId: () => 'new' });
    expect(plan).toEqual({ request: { mode: 'resume', prompt: 'go on', sessionId: 's1' }, note: undefined });
  });
  it('falls back to a fresh session with the original prompt and a note when the session is lost', () => {
    const plan = nextLaunch({
      previous: { mode: 'resume', sessionId: 's1', classification: { kind: 'session_lost', reason: 'session_not_found', message: 'No conversation found' } },
      prompt: 'task',
      resumePrompt: 'go on',
      newSessionId: () => 'new',
    });
    expect(plan.request.mode).toBe('fresh');
    expect(plan.request.sessionId).toBe('new');
    expect(plan.request.prompt).toMatch(/^task\n\nNote: .*Work may already be present in the workspace/s);
    expect(plan.note).toMatch(/session s1 could not be resumed/);
  });
});

function record(number: number, classification: Classification, mode: 'fresh' | 'resume' = 'fresh'): AttemptRecord {
  return { number, mode, sessionId: 's', startedAt: new Date(), durationMs: 1, classification, exitCode: 1, signal: null, agentRetries: 0, apiRetries: 0, retryAfterMs: undefined, numTurns: undefined, costUsd: undefined };
}

describe('runWithRetries', () => {
  const quiet = terminalLog({ write: () => true } as unknown as NodeJS.WritableStream);
  const first = { request: { mode: 'fresh' as const, prompt: 'p', sessionId: 's' }, note: undefined };
  const next = () => ({ request: { mode: 'resume' as const, prompt: 'c', sessionId: 's' }, note: undefined });

  it('retries transient failures until success, waiting between attempts', async () => {
    const verdicts: Classification[] = [
      { kind: 'transient', reason: 'server_error', message: '500' },
      { kind: 'transient', reason: 'overloaded', message: '529' },
      { kind: 'success', reason: 'success', message: 'done' },
    ];
    const modes: string[] = [];
    const result = await runWithRetries({
      policy, first, next, log: quiet,
      attempt: (n, plan) => {
        modes.push(plan.request.mode);
        return Promise.resolve(record(n, verdicts[n - 1] ?? { kind: 'success', reason: 'success', message: '' }, plan.request.mode));
      },
    });
    expect(result.attempts.map((a) => a.classification.kind)).toEqual(['transient', 'transient', 'success']);
    expect(modes).toEqual(['fresh', 'resume', 'resume']);
    expect(result.waits.map((w) => w.reason)).toEqual(['server_error', 'overloaded']);
    expect(result.stoppedBecause).toBeUndefined();
  });

  it('stops at once on a fatal failure', async () => {
    const result = await runWithRetries({ policy, first, next, log: quiet, attempt: (n) => Promise.resolve(record(n, { kind: 'fatal', reason: 'auth', message: '401' })) });
    expect(result.attempts).toHaveLength(1);
    expect(result.waits).toHaveLength(0);
  });

  it('gives up after max_attempts with the last reason', async () => {
    const result = await runWithRetries({
      policy: { ...policy, maxAttempts: 3 }, first, next, log: quiet,
      attempt: (n) => Promise.resolve(record(n, { kind: 'transient', reason: n === 3 ? 'overloaded' : 'server_error', message: 'x' })),
    });
    expect(result.attempts).toHaveLength(3);
    expect(result.attempts.at(-1)?.classification.reason).toBe('overloaded');
    expect(result.stoppedBecause).toBe('max_attempts (3) reached');
  });

  it('ends a wait at once when cancelled', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const result = await runWithRetries({
      policy: { ...policy, initialDelayMs: 60_000, maxDelayMs: 60_000 }, first, next, log: quiet, signal: controller.signal, random: () => 1,
      attempt: (n) => {
        setImmediate(() => controller.abort());
        return Promise.resolve(record(n, { kind: 'transient', reason: 'server_error', message: '500' }));
      },
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.stoppedBecause).toBe('cancelled');
    expect(result.attempts).toHaveLength(1);
  });

  it('does not wait before falling back from a lost session', async () => {
    const verdicts: Classification[] = [
      { kind: 'transient', reason: 'server_error', message: '500' },
      { kind: 'session_lost', reason: 'session_not_found', message: 'No conversation found' },
      { kind: 'success', reason: 'success', message: '' },
    ];
    const result = await runWithRetries({ policy, first, next, log: quiet, attempt: (n, plan) => Promise.resolve(record(n, verdicts[n - 1] ?? { kind: 'success', reason: 'success', message: '' }, plan.request.mode)) });
    expect(result.attempts).toHaveLength(3);
    expect(result.waits).toHaveLength(1);
  });

  it('says retrying ran out when the last attempt allowed lost its session', async () => {
    const lost: Classification = { kind: 'session_lost', reason: 'session_not_found', message: 'No conversation found' };
    const result = await runWithRetries({ policy: { ...policy, maxAttempts: 1 }, first, next, log: quiet, attempt: (n) => Promise.resolve(record(n, lost, 'resume')) });
    expect(result.attempts).toHaveLength(1);
    expect(result.stoppedBecause).toBe('max_attempts (1) reached');
  });

  it('stops when a fresh session is lost too', async () => {
    const lost: Classification = { kind: 'session_lost', reason: 'session_not_found', message: 'No conversation found' };
    const result = await runWithRetries({ policy, first, next, log: quiet, attempt: (n) => Promise.resolve(record(n, lost, 'fresh')) });
    expect(result.attempts).toHaveLength(1);
    expect(result.stoppedBecause).toBeUndefined();
  });
});
