import { describe, expect, it } from 'vitest';
import { areaOf, parseManifest, serializeManifest, type CheckpointManifest } from '../../src/checkpoint/manifest.js';
import { signatureProblem, signManifest } from '../../src/checkpoint/signature.js';

const SHA = 'a'.repeat(40);
const TREE = 'e'.repeat(64);
const CHUNK = 'd'.repeat(64);

function manifest(overrides: Partial<CheckpointManifest> = {}): CheckpointManifest {
  return {
    schemaVersion: 2,
    lineage: { repository: 'octo/demo', workflow: 'agent.yml', job: 'agent', checkpointId: 'default', runId: '1' },
    sequence: 3,
    attempt: 2,
    createdAt: '2026-01-02T03:04:05.000Z',
    agent: 'claude',
    sessionId: 'b9f3c2f0-0000-4000-8000-000000000000',
    consistency: 'agent-state-first',
    workspace: { path: '/home/runner/work/demo/demo', base: SHA, head: 'b'.repeat(40), branch: 'agent/fix-1', bundle: { size: 10, segments: [[CHUNK, 0, 10]] }, changes: null, omitted: null },
    checkpointPaths: 'results/**',
    extraDir: null,
    agentStateDir: '/home/runner/work/_temp/claude-config',
    attempts: [{ runAttempt: 1, number: 1, startedAt: '2026-01-02T03:00:00.000Z', durationMs: 60_000, mode: 'fresh', outcome: 'transient', reason: 'server_error', apiRetries: 2, costUsd: 0.5, turns: 4 }],
    totals: { costUsd: 1.5, turns: 12 },
    areas: [{ role: 'agent-state', tree: TREE, files: 2, bytes: 20 }],
    objects: [
      { id: CHUNK, size: 11 },
      { id: TREE, size: 30 },
    ],
    excluded: [{ area: 'paths', path: 'results/log.txt' }],
    ...overrides,
  };
}

const reasonOf = (text: string): string => {
  const parsed = parseManifest(text);
  return parsed.ok ? 'ok' : parsed.reason;
};

describe('manifest schema v2', () => {
  it('round-trips through serialize and parse', () => {
    const original = manifest();
    expect(parseManifest(serializeManifest(original))).toEqual({ ok: true, manifest: original });
    expect(areaOf(original, 'agent-state')?.tree).toBe(TREE);
    expect(areaOf(original, 'paths')).toBeUndefined();
  });

  it('defaults the consistency of a manifest that does not say', () => {
    const rest: Partial<CheckpointManifest> = manifest();
    delete rest.consistency;
    const parsed = parseManifest(JSON.stringify(rest));
    expect(parsed.ok && parsed.manifest.consistency).toBe('agent-state-first');
    expect(reasonOf(JSON.stringify(manifest({ consistency: 'mid-turn', interruptedTool: { name: 'Bash', id: 'toolu_1' } })))).toBe('ok');
  });

  it('names the problems on one line', () => {
    expect(reasonOf('{"schemaVersion": 2,')).toMatch(/^manifest\.json is not JSON/);
    expect(reasonOf(JSON.stringify({ ...manifest(), schemaVersion: 1 }))).toMatch(/^manifest\.json is invalid: schemaVersion: /);
    expect(reasonOf(JSON.stringify({ ...manifest(), sequence: -1 }))).toMatch(/sequence: /);
    expect(reasonOf(JSON.stringify({ ...manifest(), createdAt: 'yesterday', sequence: -1 }))).toMatch(/^manifest\.json is invalid: [^\n]*; [^\n]*$/);
  });

  it.each([
    ['an object id with a path', { objects: [{ id: '../x', size: 1 }] }, /objects\.0\.id/],
    ['a short object id', { areas: [{ role: 'paths' as const, tree: 'abc', files: 0, bytes: 0 }] }, /areas\.0\.tree/],
    ['a relative workspace path', { workspace: { ...manifest().workspace, path: 'repo' } }, /workspace\.path/],
    ['an abbreviated commit', { workspace: { ...manifest().workspace, base: 'abc1234' } }, /workspace\.base/],
    ['a branch name git refuses', { workspace: { ...manifest().workspace, branch: 'a..b' } }, /workspace\.branch/],
    ['a branch name with a control character', { workspace: { ...manifest().workspace, branch: 'a\u0007' } }, /workspace\.branch/],
    ['two listings of one area', { areas: [manifest().areas[0], manifest().areas[0]] as CheckpointManifest['areas'] }, /duplicate areas/],
    ['an object referenced but not listed', { objects: [{ id: TREE, size: 30 }] }, /is referenced but not listed/],
    ['agent state without its folder', { agentStateDir: null }, /agent state saved without agentStateDir/],
    ['an omitted workspace with a bundle', { workspace: { ...manifest().workspace, omitted: 'secret' } }, /omitted workspace/],
  ])('refuses %s', (_label, overrides, reason) => {
    expect(reasonOf(JSON.stringify(manifest(overrides as Partial<CheckpointManifest>)))).toMatch(reason);
  });

  it('accepts sha256 repositories and detached heads', () => {
    expect(reasonOf(JSON.stringify(manifest({ workspace: { ...manifest().workspace, base: 'f'.repeat(64), branch: null } })))).toBe('ok');
  });
});

describe('manifest signatures', () => {
  it('accepts what the key signed and refuses unsigned, re-signed or edited manifests', () => {
    const signed = signManifest(manifest(), 'key-1');
    expect(signatureProblem(signed, 'key-1')).toBeUndefined();
    const parsed = parseManifest(serializeManifest(signed));
    expect(parsed.ok && signatureProblem(parsed.manifest, 'key-1')).toBeUndefined();
    expect(signatureProblem(manifest(), 'key-1')).toMatch(/not signed/);
    expect(signatureProblem(signed, 'key-2')).toMatch(/does not match/);
    expect(signatureProblem({ ...signed, objects: [...signed.objects, { id: 'f'.repeat(64), size: 1 }] }, 'key-1')).toMatch(/does not match/);
  });
});
