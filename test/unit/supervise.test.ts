import { describe, expect, it } from 'vitest';
import { supervise, type SuperviseOptions } from '../../src/runner/supervise.js';

import { exitedWithin } from '../support/processes.js';

const node = (script: string, extra: Partial<SuperviseOptions> = {}) => {
  const lines: string[] = [];
  const run = supervise({
    file: process.execPath,
    args: ['-e', script],
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '' },
    attemptTimeoutMs: 60_000,
    idleTimeoutMs: 0,
    killGraceMs: 2000,
    onLine: (line) => {
      lines.push(line);
    },
    ...extra,
  });
  return { lines, run };
};

// A child that starts a grandchild in the same process group, prints its pid, then stays silent.
const SILENT_WITH_GRANDCHILD = `
  const { spawn } = require('node:child_process');
  const g = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  console.log(JSON.stringify({ grandchild: g.pid }));
  setInterval(() => {}, 1000);
`;

describe('supervise', () => {
  it('reads every stdout line in order and reports the exit code', async () => {
    const { lines, run } = node(`for (let i = 0; i < 5000; i++) console.log('line ' + i); console.error('bye'); process.exitCode = 3`);
    const outcome = await run;
    expect(outcome.exitCode).toBe(3);
    expect(lines).toHaveLength(5000);
    expect(lines[4999]).toBe('line 4999');
    expect(outcome.tail).toContain('bye');
    expect(outcome.stoppedBy).toBeUndefined();
  });

  it('ends the whole process group when the agent goes quiet', async () => {
    const { lines, run } = node(SILENT_WITH_GRANDCHILD, { idleTimeoutMs: 300 });
    const outcome = await run;
    expect(outcome.stoppedBy).toBe('idle_timeout');
    expect(outcome.signal).toBe('SIGTERM');
    const grandchild = (JSON.parse(lines[0] ?? '{}') as { grandchild: number }).grandchild;
    expect(await exitedWithin(grandchild, 5000)).toBe(true);
  });

  it('escalates to SIGKILL when the agent ignores SIGTERM', async () => {
    const { run } = node(`process.on('SIGTERM', () => {}); console.log('x'); setInterval(() => {}, 1000)`, { idleTimeoutMs: 200, killGraceMs: 200 });
    const outcome = await run;
    expect(outcome.stoppedBy).toBe('idle_timeout');
    expect(outcome.signal).toBe('SIGKILL');
  });

  it('stops the group on cancellation', async () => {
    const controller = new AbortController();
    const { lines, run } = node(SILENT_WITH_GRANDCHILD, {
      signal: controller.signal,
      onLine: (line) => {
        lines.push(line);
        controller.abort();
      },
    });
    const outcome = await run;
    expect(outcome.stoppedBy).toBe('cancelled');
    const grandchild = (JSON.parse(lines[0] ?? '{}') as { grandchild: number }).grandchild;
    expect(await exitedWithin(grandchild, 5000)).toBe(true);
  });

  it('does not wait for a background job that holds stdout after the agent exits', async () => {
    const { run } = node(`
      const { spawn } = require('node:child_process');
      spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: ['ignore', 'inherit', 'inherit'] });
      console.log('done');
      setTimeout(() => process.exit(0), 50);
    `);
    const outcome = await run;
    expect(outcome.exitCode).toBe(0);
  });

  it('reports a missing executable', async () => {
    const outcome = await supervise({
      file: '/nonexistent/agent',
      args: [],
      cwd: process.cwd(),
      env: {},
      attemptTimeoutMs: 1000,
      idleTimeoutMs: 0,
      killGraceMs: 100,
      onLine: () => undefined,
    });
    expect(outcome.spawnError).toMatch(/ENOENT/);
  });
});
