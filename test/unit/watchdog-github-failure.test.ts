import { describe, expect, it } from 'vitest';
import { classifyGitHubFailure, decideGitHubRetry, describeGitHubFailure, SECONDARY_RATE_LIMIT_WAIT_MS, type GitHubFailure } from '../../src/watchdog/github-failure.js';

const NOW = Date.UTC(2026, 0, 5, 10, 0, 0);
const answer = (status: number | undefined, message = '', headers: Record<string, string> = {}) => classifyGitHubFailure({ status, headers, message }, NOW);

describe('classifyGitHubFailure', () => {
  it('reads the kind from the status, and a rate limit from what the answer says', () => {
    expect(answer(undefined, 'connect ECONNREFUSED')).toEqual({ kind: 'network', detail: 'connect ECONNREFUSED' });
    expect(answer(502)).toEqual({ kind: 'server_error', status: 502 });
    expect(answer(500)).toEqual({ kind: 'server_error', status: 500 });
    expect(answer(401, 'Bad credentials')).toEqual({ kind: 'bad_credentials', status: 401 });
    expect(answer(403, 'Resource not accessible by integration')).toEqual({ kind: 'missing_permission', status: 403 });
    expect(answer(404, 'Not Found')).toEqual({ kind: 'not_found', status: 404 });
    expect(answer(422, 'Unprocessable')).toEqual({ kind: 'refused', status: 422 });
  });

  it('tells a secondary rate limit, a spent primary limit and a 429 from a missing permission', () => {
    expect(answer(403, 'You have exceeded a secondary rate limit.', { 'retry-after': '30' })).toEqual({ kind: 'rate_limited', status: 403, secondary: true, waitMs: 30_000 });
    expect(answer(403, 'You have exceeded a secondary rate limit.')).toEqual({ kind: 'rate_limited', status: 403, secondary: true, waitMs: undefined });
    expect(answer(403, 'API rate limit exceeded for installation', { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW / 1000 + 90) })).toEqual({
      kind: 'rate_limited',
      status: 403,
      secondary: false,
      waitMs: 90_000,
    });
    expect(answer(429, 'Too many requests', { 'retry-after': '2' })).toMatchObject({ kind: 'rate_limited', waitMs: 2000 });
    // A permission answer with rate-limit headers still present (remaining > 0) is a permission answer.
    expect(answer(403, 'Resource not accessible by integration', { 'x-ratelimit-remaining': '4999' }).kind).toBe('missing_permission');
  });
});

describe('decideGitHubRetry', () => {
  const half = (): number => 0.5;

  it('retries what another try can fix, with backoff that grows', () => {
    const server: GitHubFailure = { kind: 'server_error', status: 502 };
    const first = decideGitHubRetry(server, 1, 60_000, half);
    const fifth = decideGitHubRetry(server, 5, 60_000, half);
    expect(first).toEqual({ retry: true, delayMs: 500 });
    expect(fifth.retry && fifth.delayMs).toBe(4000);
    expect(decideGitHubRetry({ kind: 'network', detail: 'reset' }, 1, 60_000, half).retry).toBe(true);
  });

  it('never retries what the same request gets again', () => {
    for (const failure of [
      { kind: 'bad_credentials', status: 401 },
      { kind: 'missing_permission', status: 403 },
      { kind: 'not_found', status: 404 },
      { kind: 'refused', status: 422 },
    ] as const) {
      expect(decideGitHubRetry(failure, 1, 60_000, half)).toEqual({ retry: false, retryable: false, why: 'another try gets the same answer' });
    }
  });

  it("waits what a rate limit asks, GitHub's minute for a secondary limit without a hint", () => {
    expect(decideGitHubRetry({ kind: 'rate_limited', status: 403, secondary: true, waitMs: 7000 }, 1, 60_000, half)).toEqual({ retry: true, delayMs: 7000 });
    expect(decideGitHubRetry({ kind: 'rate_limited', status: 403, secondary: true, waitMs: undefined }, 1, 120_000, half)).toEqual({ retry: true, delayMs: SECONDARY_RATE_LIMIT_WAIT_MS });
  });

  it('gives up when the wait does not fit in what is left of the budget', () => {
    expect(decideGitHubRetry({ kind: 'server_error', status: 503 }, 1, 100, half)).toEqual({ retry: false, retryable: true, why: 'github_retry_time is spent' });
    expect(decideGitHubRetry({ kind: 'rate_limited', status: 429, secondary: false, waitMs: 600_000 }, 1, 180_000, half)).toMatchObject({
      retry: false,
      why: expect.stringContaining('GitHub asks to wait 600 s') as unknown,
    });
    expect(decideGitHubRetry({ kind: 'server_error', status: 503 }, 1, 0, half).retry).toBe(false);
  });
});

describe('describeGitHubFailure', () => {
  it('names the permission the call needs only for a 403 that is no rate limit', () => {
    expect(describeGitHubFailure({ kind: 'missing_permission', status: 403 }, 'checks: read')).toBe('missing permission (403): the token needs checks: read');
    expect(describeGitHubFailure({ kind: 'rate_limited', status: 403, secondary: true, waitMs: 1000 }, 'checks: read')).toBe('GitHub secondary rate limit (403)');
    expect(describeGitHubFailure({ kind: 'server_error', status: 502 }, 'checks: read')).toBe('GitHub server error (502)');
  });
});
