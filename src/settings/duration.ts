const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** The longest delay Node's timers take (2^31 - 1 ms, about 596 h); a longer one fires at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * Parses `90s`, `15m`, `2h`, `500ms`, compounds such as `1h30m` (the way `formatDuration` prints
 * them) or a bare number of seconds; returns milliseconds, or undefined when the text is not a
 * duration. `0` is allowed and means "off" where an input says so.
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  if (!/^(?:\d+(?:\.\d+)?\s*(?:ms|s|m|h)\s*)+$/i.test(trimmed)) return undefined;
  let total = 0;
  const seen = new Set<string>();
  for (const match of trimmed.matchAll(/(\d+(?:\.\d+)?)\s*(ms|s|m|h)/gi)) {
    const unit = (match[2] ?? '').toLowerCase();
    const factor = UNIT_MS[unit];
    // `1m1m` is more likely a typo than a sum.
    if (factor === undefined || seen.has(unit)) return undefined;
    seen.add(unit);
    total += Number(match[1]) * factor;
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}
