import { describe, expect, it } from 'vitest';
import { parseManifest, type CheckpointManifest } from '../../src/checkpoint/manifest.js';
import { freshAfterRestorePrompt, rerunResumePrompt } from '../../src/checkpoint/resume-prompt.js';
import { describeConsistency } from '../../src/checkpoint/scheduler.js';
import { renderSummary, type SummaryInput } from '../../src/report/summary.js';

const SHA = 'a'.repeat(40);
const manifest = (overrides: Partial<CheckpointManifest> = {}): CheckpointManifest => ({
  schemaVersion: 2,
  lineage: { repository: 'octo/demo', workflow: 'agent.yml', job: 'agent', checkpointId: 'default', runId: '1' },
  sequence: 3,
  attempt: 1,
  createdAt: '2026-01-02T03:04:05.000Z',
  agent: 'claude',
  sessionId: 'b9f3c2f0-0000-4000-8000-000000000000',
  consistency: 'agent-state-first',
  workspace: { path: '/home/runner/work/demo/demo', base: SHA, head: SHA, branch: 'main', bundle: null, changes: null, omitted: null },
  checkpointPaths: '',
  extraDir: null,
  agentStateDir: null,
  attempts: [],
  totals: { costUsd: 0, turns: 0 },
  areas: [],
  objects: [],
  excluded: [],
  ...overrides,
});

describe('the manifest says what a checkpoint guarantees', () => {
  it('reads a manifest without the fields as agent state first', () => {
    const without: Record<string, unknown> = { ...manifest() };
    delete without.consistency;
    const parsed = parseManifest(JSON.stringify(without));
    expect(parsed.ok && parsed.manifest.consistency).toBe('agent-state-first');
  });

  it('keeps the interrupted tool call of a mid-turn checkpoint, and refuses an unknown level', () => {
    const midTurn = manifest({ consistency: 'mid-turn', interruptedTool: { name: 'Bash', id: 'toolu_1' } });
    expect(parseManifest(JSON.stringify(midTurn))).toEqual({ ok: true, manifest: midTurn });
    expect(parseManifest(JSON.stringify({ ...midTurn, consistency: 'whenever' })).ok).toBe(false);
  });

  it('writes it at the end of the log line', () => {
    expect(describeConsistency('turn-boundary', undefined)).toBe('taken at a turn boundary');
    expect(describeConsistency('mid-turn', { name: 'Bash', id: 'toolu_1' })).toBe('taken mid-turn during tool call Bash (toolu_1)');
    expect(describeConsistency('agent-state-first', undefined)).toBe('agent state copied first');
  });
});

describe('the resume prompt after a mid-turn checkpoint', () => {
  const midTurn = manifest({ consistency: 'mid-turn', interruptedTool: { name: 'Bash', id: 'toolu_1' } });

  it('names the interrupted call and says its outputs may be partial', () => {
    for (const prompt of [rerunResumePrompt(midTurn, 2), freshAfterRestorePrompt('Do the task.', midTurn)]) {
      expect(prompt).toContain('your tool call Bash (id toolu_1) was still running');
      expect(prompt).toContain('its outputs may be partial');
      expect(prompt).not.toMatch(/ {2}/);
    }
  });

  it('says nothing of it at a turn boundary', () => {
    for (const prompt of [rerunResumePrompt(manifest({ consistency: 'turn-boundary' }), 2), freshAfterRestorePrompt('Do the task.', manifest())]) {
      expect(prompt).not.toContain('still running');
      expect(prompt).not.toMatch(/ {2}/);
    }
  });
});

describe('the job summary names the checkpoint mode', () => {
  const at = new Date('2026-11-24T10:00:00Z');
  const input: SummaryInput = {
    conclusion: 'success',
    failureReason: '',
    failureMessage: '',
    agent: 'claude',
    sessionId: undefined,
    attempts: [],
    waits: [],
    checkpoints: [
      { kind: 'saved', at, sequence: 1, sizeBytes: 1, store: 'cache', consistency: 'turn-boundary' },
      { kind: 'saved', at, sequence: 2, sizeBytes: 1, store: 'cache', consistency: 'mid-turn' },
      { kind: 'saved', at, sequence: 2, sizeBytes: 1, store: 'artifact', consistency: 'mid-turn' },
    ],
  };

  it('at turn boundaries, counting mid-turn checkpoints once per sequence', () => {
    expect(renderSummary({ ...input, checkpointMode: 'turn-boundary' })).toContain('- Checkpoints: **at turn boundaries** through the API proxy (1 of 2 mid-turn)');
  });

  it('agent state first without the proxy, with what that means', () => {
    expect(renderSummary({ ...input, checkpointMode: 'agent-state-first' })).toContain('- Checkpoints: **agent state first** (no API proxy: after a restore a step may run again)');
  });

  it('not at all without checkpoints', () => {
    expect(renderSummary(input)).not.toContain('Checkpoints: **');
  });
});
