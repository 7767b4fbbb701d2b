/** The API proxy's counters: totals since start, and a window per agent attempt. */

export interface ProxyStats {
  /** Requests received from the agent. */
  requests: number;
  /** Requests that needed at least one retry. */
  retriedRequests: number;
  /** Extra upstream tries in total. */
  retries: number;
  /** Retried requests that then got a successful (< 400) answer. */
  recovered: number;
  /** Upstream failures seen (every try), by status ('500', '401', …) or 'network' / 'timeout'. */
  failuresByStatus: Record<string, number>;
  /** Transient failures handed back to the agent: retries exhausted, breaker open, too many waiting, after the first byte, shutdown. */
  passedOnFailures: number;
  /** Total time spent in backoff. */
  waitMs: number;
  /** The last retry-after hint seen, uncapped. */
  lastRetryAfterMs: number | undefined;
  /** Outage holds that ended, oldest first (the totals keep the newest MAX_HOLDS_KEPT). */
  holds: HoldRecord[];
}

/** One held request: how long the agent waited on pings, how many upstream tries, how it ended. */
export interface HoldRecord {
  /** Epoch ms when the hold began. */
  startedAt: number;
  durationMs: number;
  /** Upstream tries of the request, those before the hold included. */
  tries: number;
  /** The upstream's final status ('200', '401'), or 'gave up (500)', 'cancelled', 'agent left'. */
  finalStatus: string;
}

const MAX_HOLDS_KEPT = 200;

export function emptyStats(): ProxyStats {
  return {
    requests: 0,
    retriedRequests: 0,
    retries: 0,
    recovered: 0,
    failuresByStatus: {},
    passedOnFailures: 0,
    waitMs: 0,
    lastRetryAfterMs: undefined,
    holds: [],
  };
}

function copy(stats: ProxyStats): ProxyStats {
  return { ...stats, failuresByStatus: { ...stats.failuresByStatus }, holds: stats.holds.map((hold) => ({ ...hold })) };
}

/** One per proxy: every event lands in both the totals and the current attempt's window. */
export class StatsRecorder {
  #total = emptyStats();
  #window = emptyStats();

  #apply(change: (stats: ProxyStats) => void): void {
    change(this.#total);
    change(this.#window);
  }

  request(): void {
    this.#apply((stats) => (stats.requests += 1));
  }

  failure(key: string): void {
    this.#apply((stats) => (stats.failuresByStatus[key] = (stats.failuresByStatus[key] ?? 0) + 1));
  }

  retryAfterHint(ms: number): void {
    this.#apply((stats) => (stats.lastRetryAfterMs = ms));
  }

  /** `first`: this request's first retry. */
  retry(first: boolean): void {
    this.#apply((stats) => {
      stats.retries += 1;
      if (first) stats.retriedRequests += 1;
    });
  }

  waited(ms: number): void {
    this.#apply((stats) => (stats.waitMs += ms));
  }

  recovered(): void {
    this.#apply((stats) => (stats.recovered += 1));
  }

  passedOn(): void {
    this.#apply((stats) => (stats.passedOnFailures += 1));
  }

  hold(record: HoldRecord): void {
    this.#apply((stats) => {
      stats.holds.push({ ...record });
      if (stats.holds.length > MAX_HOLDS_KEPT) stats.holds.shift();
    });
  }

  total(): ProxyStats {
    return copy(this.#total);
  }

  /** The window since the previous call, then a fresh one. */
  take(): ProxyStats {
    const window = this.#window;
    this.#window = emptyStats();
    return window;
  }
}
