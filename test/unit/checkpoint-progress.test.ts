import { describe, expect, it } from 'vitest';
import { Progress, progressLine } from '../../src/checkpoint/progress.js';

describe('progress lines of a long save or restore', () => {
  it('says nothing for a quick operation', () => {
    const lines: string[] = [];
    let now = 0;
    const progress = new Progress('Checkpoint 3: saving', (line) => lines.push(line), { now: () => now });
    progress.plan(10, 1000);
    now = 2000;
    progress.tick();
    progress.finish('10 files');
    expect(lines).toEqual([]);
  });

  it('announces a slow one, reports about every 10 s, and ends with the summary', () => {
    const lines: string[] = [];
    let now = 0;
    const progress = new Progress('Checkpoint 3: saving', (line) => lines.push(line), { now: () => now });
    progress.plan(5000, 150 * 1024 * 1024);
    now = 3500;
    progress.tick();
    progress.advance(50 * 1024 * 1024);
    now = 8000;
    progress.tick();
    now = 13_600;
    progress.tick();
    progress.advance(100 * 1024 * 1024);
    now = 20_000;
    progress.finish('5000 files, 120 MiB new, 30 MiB reused');
    expect(lines).toEqual([
      'Checkpoint 3: saving: 5000 files, 150 MiB…',
      'Checkpoint 3: saving: 50 MiB of 150 MiB (33%) in 13.6s, 3.7 MiB/s',
      'Checkpoint 3: saving done in 20s: 5000 files, 120 MiB new, 30 MiB reused',
    ]);
  });

  it('formats a rate without a total', () => {
    expect(progressLine('Restoring', 0, 0, 0)).toBe('Restoring: 0 B of 0 B in 0ms, 0 B/s');
  });
});
