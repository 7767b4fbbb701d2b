import { describe, expect, it } from 'vitest';
import { isSessionIdOf } from '../../src/agents/session-id.js';
import type { CheckpointManifest } from '../../src/checkpoint/manifest.js';
import { branchRunPrompt, rerunResumePrompt } from '../../src/checkpoint/resume-prompt.js';
import { claudeAgent } from '../../src/agents/claude-agent.js';
import { openCodeAgent } from '../../src/agents/opencode-agent.js';

const manifest = (omitted: string | null): CheckpointManifest => ({
  schemaVersion: 2,
  lineage: { repository: 'octo/demo', workflow: 'agent', job: 'agent', checkpointId: 'agent', runId: '1' },
  sequence: 4,
  attempt: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  agent: 'claude',
  sessionId: '1973dc98-97f4-46e8-bafc-b5d93726213e',
  consistency: 'turn-boundary',
  workspace: { path: '/w', base: 'a'.repeat(40), head: 'a'.repeat(40), branch: 'main', bundle: null, changes: null, omitted },
  checkpointPaths: '',
  extraDir: null,
  agentStateDir: null,
  attempts: [],
  totals: { costUsd: 0, turns: 0 },
  areas: [{ role: 'paths', tree: 'b'.repeat(64), files: 1, bytes: 1 }],
  objects: [{ id: 'b'.repeat(64), size: 1 }],
  excluded: [],
});

describe('resume prompts', () => {
  it('never claims a workspace that was left out was restored', () => {
    expect(rerunResumePrompt(manifest(null), 2)).toContain('restored the workspace (your edits, commits and untracked files), the experiment outputs and this conversation');
    const omitted = rerunResumePrompt(manifest('a secret in the agent commits'), 2);
    expect(omitted).not.toContain('restored the workspace');
    expect(omitted).toContain('restored the experiment outputs (not the workspace, which was left out of the checkpoint');
  });

  it('gives a new run on the branch its own task, with a note about the restored state', () => {
    const prompt = branchRunPrompt('SECOND TASK', manifest(null));
    expect(prompt.startsWith('SECOND TASK\n\nNote: this is a new run on this branch.')).toBe(true);
    expect(prompt).toContain('from checkpoint 4, taken 2026-01-01T00:00:00.000Z by an earlier run');
  });

  it('resumes only session ids in the agent format', () => {
    expect(isSessionIdOf(claudeAgent, '1973dc98-97f4-46e8-bafc-b5d93726213e')).toBe(true);
    expect(isSessionIdOf(claudeAgent, '--settings=/tmp/x.json')).toBe(false);
    expect(isSessionIdOf(openCodeAgent, 'ses_df2729cf9ffeNJdKicv0ulAI80')).toBe(true);
    expect(isSessionIdOf(openCodeAgent, 'ses_../../x')).toBe(false);
  });
});
