import { formatBytes, formatDuration } from '../format.js';
import type { AttemptEntry } from '../runner/attempt-entry.js';
import type { RunTotals } from '../runner/conclusion.js';

export interface SummaryWait {
  readonly startedAt: Date;
  readonly ms: number;
  readonly reason: string;
}

export interface SummaryCheckpoint {
  readonly kind: 'saved' | 'restored';
  readonly at: Date;
  readonly sequence: number;
  readonly sizeBytes: number;
  readonly store: string;
  readonly durationMs?: number | undefined;
  /** What a saved checkpoint guarantees: turn-boundary, mid-turn or agent-state-first. */
  readonly consistency?: string | undefined;
}

/** One request the API proxy held through an outage. */
export interface SummaryHold {
  readonly startedAt: Date;
  readonly durationMs: number;
  /** Upstream tries of the request, those before the hold included. */
  readonly tries: number;
  /** '200', '401', 'gave up (500)', 'cancelled', 'agent left'. */
  readonly finalStatus: string;
  /** The agent attempt it belonged to. */
  readonly attempt: number;
}

export interface SummaryInput {
  readonly conclusion: 'success' | 'failure';
  readonly failureReason: string;
  readonly failureMessage: string;
  readonly agent: string;
  readonly sessionId: string | undefined;
  /** Every attempt of the lineage, earlier job attempts first. */
  readonly attempts: readonly AttemptEntry[];
  readonly waits: readonly SummaryWait[];
  readonly checkpoints: readonly SummaryCheckpoint[];
  /** How checkpoints related agent state and work tree: turn-boundary (through the API proxy) or agent-state-first. */
  readonly checkpointMode?: string | undefined;
  /** Requests held through an outage in this job attempt. */
  readonly holds?: readonly SummaryHold[] | undefined;
  /** Totals over every attempt of the lineage; shown when the agent reports them. */
  readonly totals?: RunTotals | undefined;
}

/** Rows kept of a long history: the first and the last ones, with a line saying what was left out. */
const KEEP_HEAD = 20;
const KEEP_TAIL = 30;

function elide<T>(items: readonly T[]): { head: readonly T[]; skipped: number; tail: readonly T[] } {
  if (items.length <= KEEP_HEAD + KEEP_TAIL) return { head: items, skipped: 0, tail: [] };
  return { head: items.slice(0, KEEP_HEAD), skipped: items.length - KEEP_HEAD - KEEP_TAIL, tail: items.slice(-KEEP_TAIL) };
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').slice(0, 300);
}

function time(date: Date | string): string {
  return new Date(date).toISOString().slice(11, 19);
}

function table<T>(header: readonly string[], rows: readonly T[], render: (row: T) => readonly string[]): string {
  const { head, skipped, tail } = elide(rows);
  const line = (cells: readonly string[]): string => `| ${cells.map(cell).join(' | ')} |`;
  const out = [line(header), `|${header.map(() => '---').join('|')}|`, ...head.map((row) => line(render(row)))];
  if (skipped > 0) out.push(line([`… ${skipped} more …`, ...header.slice(1).map(() => '')]));
  out.push(...tail.map((row) => line(render(row))));
  return out.join('\n');
}

/** Mermaid task names may not hold `:` `#` `;` or line breaks. */
function label(text: string): string {
  return text.replace(/[:#;,\n\r]/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 60) || 'step';
}

/** A gantt chart of attempts, backoff waits and checkpoints, in wall-clock milliseconds. */
export function mermaidTimeline(input: SummaryInput): string {
  const lines = ['gantt', '  title durable-agent timeline', '  dateFormat x', '  axisFormat %H:%M:%S'];
  const attempts = elide(input.attempts);
  lines.push('  section Attempts');
  for (const attempt of [...attempts.head, ...attempts.tail]) {
    const tag = attempt.outcome === 'success' ? 'done, ' : attempt.outcome === 'transient' ? 'active, ' : 'crit, ';
    const start = Date.parse(attempt.startedAt);
    lines.push(`  Attempt ${attempt.number} ${label(attempt.reason)} :${tag}a${attempt.number}, ${start}, ${start + Math.max(1, attempt.durationMs)}`);
  }
  const waits = elide(input.waits);
  if (waits.head.length > 0) {
    lines.push('  section Backoff');
    [...waits.head, ...waits.tail].forEach((wait, index) => {
      const start = wait.startedAt.getTime();
      lines.push(`  Wait ${formatDuration(wait.ms)} ${label(wait.reason)} :w${index + 1}, ${start}, ${start + Math.max(1, wait.ms)}`);
    });
  }
  const checkpoints = elide(input.checkpoints);
  if (checkpoints.head.length > 0) {
    lines.push('  section Checkpoints');
    [...checkpoints.head, ...checkpoints.tail].forEach((checkpoint, index) => {
      const start = checkpoint.at.getTime();
      lines.push(`  ${checkpoint.kind === 'saved' ? 'Saved' : 'Restored'} ${checkpoint.sequence} ${label(checkpoint.store)} :milestone, c${index + 1}, ${start}, ${start + 1}`);
    });
  }
  return lines.join('\n');
}

/** Which mode the run's checkpoints used, and how many of those saved were taken mid-turn. */
export function checkpointFact(mode: string, checkpoints: ReadonlyArray<Pick<SummaryCheckpoint, 'kind' | 'sequence' | 'consistency'>>): string {
  const saved = new Map<number, string | undefined>();
  for (const checkpoint of checkpoints) if (checkpoint.kind === 'saved') saved.set(checkpoint.sequence, checkpoint.consistency);
  const midTurn = [...saved.values()].filter((consistency) => consistency === 'mid-turn').length;
  if (mode === 'turn-boundary') return `Checkpoints: **at turn boundaries** through the API proxy${midTurn > 0 ? ` (${midTurn} of ${saved.size} mid-turn)` : ''}`;
  return `Checkpoints: **agent state first** (no API proxy: after a restore a step may run again)`;
}

/** A total worth a line: one above zero, or zero when some attempt reported it (an agent that never says has none). */
function reported(total: number | undefined, perAttempt: ReadonlyArray<number | undefined>): number | undefined {
  if (total === undefined) return undefined;
  return total > 0 || perAttempt.some((value) => value !== undefined) ? total : undefined;
}

/** The job summary: what happened, in tables a person reads at a glance, and a timeline. */
export function renderSummary(input: SummaryInput): string {
  const parts: string[] = [];
  const icon = input.conclusion === 'success' ? '✅' : '❌';
  parts.push(`## ${icon} durable-agent: ${input.conclusion}${input.failureReason ? ` (${input.failureReason})` : ''}`);
  if (input.failureMessage) parts.push(`> ${cell(input.failureMessage)}`);

  const waited = input.waits.reduce((sum, wait) => sum + wait.ms, 0);
  const apiRetries = input.attempts.reduce((sum, attempt) => sum + attempt.apiRetries, 0);
  const facts = [
    `Agent: **${input.agent}**${input.sessionId ? `, session \`${input.sessionId}\`` : ''}`,
    `Attempts: **${input.attempts.length}** (${input.attempts.filter((a) => a.mode === 'resume').length} resumed a session)`,
    `API calls retried by the proxy: **${apiRetries}**`,
    ...((input.holds ?? []).length > 0 ? [`API calls held through an outage: **${(input.holds ?? []).length}**`] : []),
    `Time waiting on backoff: **${formatDuration(waited)}**`,
  ];
  if (input.checkpointMode) facts.push(checkpointFact(input.checkpointMode, input.checkpoints));
  const cost = reported(input.totals?.costUsd, input.attempts.map((attempt) => attempt.costUsd));
  const turns = reported(input.totals?.turns, input.attempts.map((attempt) => attempt.turns));
  if (cost !== undefined) facts.push(`Cost: **$${cost.toFixed(4)}**`);
  if (turns !== undefined) facts.push(`Turns: **${turns}**`);
  parts.push(facts.map((fact) => `- ${fact}`).join('\n'));

  parts.push('### Attempts');
  parts.push(
    table(['#', 'started', 'length', 'ended', 'reason', 'session', 'API retries', 'cost'], input.attempts, (attempt) => [
      `${attempt.runAttempt}.${attempt.number}`,
      time(attempt.startedAt),
      formatDuration(attempt.durationMs),
      attempt.outcome,
      attempt.reason,
      attempt.mode === 'resume' ? 'resumed' : 'new',
      String(attempt.apiRetries),
      attempt.costUsd !== undefined ? `$${attempt.costUsd.toFixed(4)}` : '',
    ]),
  );

  const holds = input.holds ?? [];
  if (holds.length > 0) {
    parts.push('### Outage holds');
    parts.push(
      table(['attempt', 'started', 'held', 'upstream tries', 'final status'], holds, (hold) => [
        String(hold.attempt),
        time(hold.startedAt),
        formatDuration(hold.durationMs),
        String(hold.tries),
        hold.finalStatus,
      ]),
    );
  }

  if (input.checkpoints.length > 0) {
    parts.push('### Checkpoints');
    parts.push(
      table(['', 'time', 'sequence', 'size', 'store', 'took'], input.checkpoints, (checkpoint) => [
        checkpoint.kind,
        time(checkpoint.at),
        String(checkpoint.sequence),
        formatBytes(checkpoint.sizeBytes),
        checkpoint.store,
        checkpoint.durationMs !== undefined ? formatDuration(checkpoint.durationMs) : '',
      ]),
    );
  }

  parts.push('### Timeline');
  parts.push(['```mermaid', mermaidTimeline(input), '```'].join('\n'));
  return `${parts.join('\n\n')}\n`;
}
