// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { mermaidTimeline, renderSummary, type SummaryInput } from '../../src/report/summary.js';

const t0 = Date.parse('2026-11-24T10:00:00Z');
const at = (seconds: number) => new Date(t0 + seconds * 1000);
const iso = (seconds: number) => at(seconds).toISOString();

// Two transient failures, a resume within the job, then a re-run (run attempt 2) that restored a
// checkpoint and finished.
const input: SummaryInput = {
  conclusion: 'success',
  failureReason: '',
  failureMessage: '',
  agent: 'claude',
  sessionId: 'c0ffee00-0000-4000-8000-000000000001',
  attempts: [
    { number: 1, runAttempt: 1, startedAt: iso(0), durationMs: 60_000, mode: 'fresh', outcome: 'transient', reason: 'server_error', apiRetries: 4, costUsd: 0.5 },
    { number: 2, runAttempt: 1, startedAt: iso(75), durationMs: 30_000, mode: 'resume', outcome: 'transient', reason: 'overloaded', apiRetries: 2, costUsd: 0.25 },
    { number: 1, runAttempt: 2, startedAt: iso(400), durationMs: 90_000, mode: 'resume', outcome: 'success', reason: 'success', apiRetries: 0, costUsd: 0.75 },
  ],
  waits: [{ startedAt: at(60), ms: 15_000, reason: 'server_error' }],
  checkpoints: [
    { kind: 'saved', at: at(30), sequence: 1, sizeBytes: 2048, store: 'cache', durationMs: 800 },
    { kind: 'saved', at: at(105), sequence: 2, sizeBytes: 4096, store: 'cache' },
    { kind: 'restored', at: at(395), sequence: 2, sizeBytes: 4096, store: 'cache' },
  ],
  totals: { costUsd: 1.5, turns: 42 },
};

function tableRows(markdown: string, heading: string): string[][] {
  const section = markdown.split(`### ${heading}\n`)[1]?.split('###')[0] ?? '';
  return section
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .slice(2)
    .map((line) => line.split('|').slice(1, -1).map((c) => c.trim()));
}

describe('renderSummary', () => {
  const markdown = renderSummary(input);

  it('has one attempt row per attempt with how it ended and whether it resumed', () => {
    const rows = tableRows(markdown, 'Attempts');
    expect(rows.map((row) => [row[0], row[3], row[4], row[5], row[6]])).toEqual([
      ['1.1', 'transient', 'server_error', 'new', '4'],
      ['1.2', 'transient', 'overloaded', 'resumed', '2'],
      ['2.1', 'success', 'success', 'resumed', '0'],
    ]);
  });

  it('lists checkpoints saved and restored, and the totals', () => {
    expect(tableRows(markdown, 'Checkpoints').map((row) => [row[0], row[2], row[3], row[4]])).toEqual([
      ['saved', '1', '2.0 KiB', 'cache'],
      ['saved', '2', '4.0 KiB', 'cache'],
      ['restored', '2', '4.0 KiB', 'cache'],
    ]);
    expect(markdown).toContain('Time waiting on backoff: **15s**');
    expect(markdown).toContain('Cost: **$1.5000**');
    expect(markdown).toContain('Turns: **42**');
  });

  it('shows the totals only when the agent reported them, zero included', () => {
    const silent = input.attempts.map((attempt) => ({ ...attempt, costUsd: undefined, turns: undefined }));
    const none = renderSummary({ ...input, attempts: silent, totals: { costUsd: 0, turns: 0 } });
    expect(none).not.toContain('Cost:');
    expect(none).not.toContain('Turns:');
    const free = renderSummary({ ...input, attempts: [{ ...silent[0], costUsd: 0, turns: 0 }] as SummaryInput['attempts'], totals: { costUsd: 0, turns: 0 } });
    expect(free).toContain('Cost: **$0.0000**');
    expect(free).toContain('Turns: **0**');
  });

  it('draws a gantt chart with every attempt, wait and checkpoint', () => {
    const chart = mermaidTimeline(input).split('\n');
    expect(chart.filter((line) => /^\s+Attempt \d/.test(line))).toHaveLength(3);
    expect(chart.filter((line) => /^\s+Wait /.test(line))).toHaveLength(1);
    expect(chart.filter((line) => /:milestone/.test(line))).toHaveLength(3);
  });

  it('produces a chart the real Mermaid parser accepts, with every task dated', async () => {
    const { default: mermaid } = await import('mermaid');
    mermaid.initialize({ startOnLoad: false });
    const chart = mermaidTimeline(input);
    await expect(mermaid.parse(chart)).resolves.toMatchObject({ diagramType: 'gantt' });
    // Gantt parsing is lenient; the chart's own model (what GitHub renders from) dates each task.
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- parse() does not expose the chart model
    const diagram = await mermaid.mermaidAPI.getDiagramFromText(chart);
    const db = diagram.db as { getTasks(): Array<{ task: string; startTime: Date; endTime: Date }> };
    const tasks = db.getTasks();
    expect(tasks).toHaveLength(7);
    for (const task of tasks) {
      expect(task.startTime.getTime(), task.task).toBeGreaterThanOrEqual(t0);
      expect(task.endTime.getTime(), task.task).toBeGreaterThan(task.startTime.getTime());
    }
    expect(tasks[0]?.startTime.getTime()).toBe(t0);
    await expect(mermaid.parse('gantt\n  section\n')).rejects.toThrow(/Parse error/);
  });

  it('lists the requests held through an outage, and leaves the table out when there were none', () => {
    const held = renderSummary({
      ...input,
      holds: [
        { attempt: 1, startedAt: at(10), durationMs: 150_000, tries: 31, finalStatus: '200' },
        { attempt: 2, startedAt: at(80), durationMs: 4_000, tries: 3, finalStatus: '401' },
      ],
    });
    expect(tableRows(held, 'Outage holds')).toEqual([
      ['1', '10:00:10', '2m30s', '31', '200'],
      ['2', '10:01:20', '4s', '3', '401'],
    ]);
    expect(held).toContain('- API calls held through an outage: **2**');
    expect(markdown).not.toContain('Outage holds');
    expect(markdown).not.toContain('held through an outage');
  });

  it('stays small however long the run', () => {
    const many: SummaryInput = {
      ...input,
      attempts: Array.from({ length: 5000 }, (_, i) => ({ ...input.attempts[0], number: i + 1, startedAt: iso(i * 10) }) as SummaryInput['attempts'][number]),
      checkpoints: Array.from({ length: 5000 }, (_, i) => ({ kind: 'saved' as const, at: at(i), sequence: i, sizeBytes: 1, store: 'cache' })),
      waits: Array.from({ length: 5000 }, (_, i) => ({ startedAt: at(i), ms: 1000, reason: 'server_error' })),
    };
    const text = renderSummary(many);
    expect(Buffer.byteLength(text)).toBeLessThan(64 * 1024);
    expect(text).toContain('… 4950 more …');
  });
});
