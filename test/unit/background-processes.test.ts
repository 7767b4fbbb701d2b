import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { backgroundProcessesNote } from '../../src/checkpoint/resume-prompt.js';
import { findRunProcesses, RUN_MARKER_VARIABLE } from '../../src/runner/background-processes.js';

describe('backgroundProcessesNote', () => {
  it('says nothing when nothing survived', () => {
    expect(backgroundProcessesNote([])).toBe('');
  });

  it('lists pid and command line, secrets masked, long lines and long lists cut', () => {
    const note = backgroundProcessesNote(
      [
        { pid: 41, command: 'python train.py --token sk-secret-value' },
        { pid: 42, command: `sh -c ${'x'.repeat(300)}` },
        { pid: 43, command: '' },
      ],
      ['sk-secret-value', 'abc'],
    );
    expect(note).toMatch(/^\n\nProcesses you started earlier are still running .*\n- pid 41: python train\.py --token \*\*\*\n- pid 42: sh -c x{194}…\n- pid 43: \(command line unknown\)$/);
    const many = backgroundProcessesNote(Array.from({ length: 25 }, (_, i) => ({ pid: i + 1, command: 'sleep 9' })));
    expect(many.split('\n').filter((line) => line.startsWith('- pid'))).toHaveLength(20);
    expect(many).toMatch(/\n- … and 5 more$/);
  });
});

describe('findRunProcesses', () => {
  it('finds the live processes that carry the run marker, and only those', async () => {
    const runId = randomUUID();
    const marked = spawn('sleep', ['31'], { env: { PATH: process.env.PATH ?? '', [RUN_MARKER_VARIABLE]: runId }, stdio: 'ignore' });
    const other = spawn('sleep', ['32'], { env: { PATH: process.env.PATH ?? '', [RUN_MARKER_VARIABLE]: randomUUID() }, stdio: 'ignore' });
    try {
      await Promise.all([marked, other].map((child) => new Promise((resolve) => child.once('spawn', resolve))));
      // exec has replaced the environment by the time the command line reads `sleep 31`.
      let found = findRunProcesses(runId);
      for (let i = 0; i < 100 && found[0]?.command !== 'sleep 31'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        found = findRunProcesses(runId);
      }
      expect(found).toEqual([{ pid: marked.pid, command: 'sleep 31' }]);
    } finally {
      marked.kill('SIGKILL');
      other.kill('SIGKILL');
    }
    await new Promise((resolve) => marked.once('exit', resolve));
    expect(findRunProcesses(runId)).toEqual([]);
  });

  it('finds nothing without a /proc', () => {
    expect(findRunProcesses('x', '/nonexistent-proc')).toEqual([]);
  });
});
