import { describe, expect, it } from 'vitest';
import { fileMismatches, fileOfRole, parseManifest, serializeManifest, type CheckpointManifest } from '../../src/checkpoint/manifest.js';

const SHA = 'a'.repeat(40);

function manifest(overrides: Partial<CheckpointManifest> = {}): CheckpointManifest {
  return {
    schemaVersion: 1,
    lineage: { repository: 'octo/demo', workflow: 'agent.yml', job: 'agent', checkpointId: 'default', runId: '1' },
    sequence: 3,
    attempt: 2,
    createdAt: '2026-01-02T03:04:05.000Z',
    agent: 'claude',
    sessionId: 'b9f3c2f0-0000-4000-8000-000000000000',
    workspace: { path: '/home/runner/work/demo/demo', base: SHA, head: 'b'.repeat(40), branch: 'agent/fix-1', snapshot: 'c'.repeat(40), omitted: null },
    checkpointPaths: 'results/**',
    extraDir: null,
    agentStateDir: '/home/runner/work/_temp/claude-config',
    attempts: [{ attempt: 1, outcome: 'transient', reason: 'server_error' }],
    totals: { costUsd: 1.5, turns: 12 },
    files: [
      { name: 'workspace.bundle', role: 'workspace', sizeBytes: 10, sha256: 'd'.repeat(64) },
      { name: 'agent-state.tar.gz', role: 'agent-state', sizeBytes: 20, sha256: 'e'.repeat(64) },
    ],
    excluded: [{ area: 'paths', path: 'results/log.txt' }],
    ...overrides,
  };
}

const reasonOf = (text: string): string => {
  const parsed = parseManifest(text);
  return parsed.ok ? 'ok' : parsed.reason;
};

describe('manifest schema v1', () => {
  it('round-trips through serialize and parse', () => {
    const original = manifest();
    expect(parseManifest(serializeManifest(original))).toEqual({ ok: true, manifest: original });
    expect(fileOfRole(original, 'agent-state')?.name).toBe('agent-state.tar.gz');
    expect(fileOfRole(original, 'paths')).toBeUndefined();
  });

  it('names the first problem', () => {
    expect(reasonOf('{"schemaVersion": 1,')).toMatch(/^manifest\.json is not JSON/);
    expect(reasonOf(JSON.stringify({ ...manifest(), schemaVersion: 2 }))).toMatch(/^manifest\.json is invalid at schemaVersion/);
    expect(reasonOf(JSON.stringify({ ...manifest(), sequence: -1 }))).toMatch(/at sequence/);
    expect(reasonOf(JSON.stringify({ ...manifest(), createdAt: 'yesterday' }))).toMatch(/at createdAt/);
  });

  it.each([
    ['a file name with a path', { files: [{ name: '../workspace.bundle', role: 'workspace' as const, sizeBytes: 1, sha256: 'd'.repeat(64) }] }, /files\.0\.name/],
    ['the manifest as a file', { files: [{ name: 'manifest.json', role: 'workspace' as const, sizeBytes: 1, sha256: 'd'.repeat(64) }] }, /files\.0\.name/],
    ['a short sha256', { files: [{ name: 'x', role: 'workspace' as const, sizeBytes: 1, sha256: 'abc' }] }, /files\.0\.sha256/],
    ['a relative workspace path', { workspace: { ...manifest().workspace, path: 'repo' } }, /workspace\.path/],
    ['an abbreviated commit', { workspace: { ...manifest().workspace, base: 'abc1234' } }, /workspace\.base/],
    ['a branch name git refuses', { workspace: { ...manifest().workspace, branch: 'a..b' } }, /workspace\.branch/],
    ['a branch name with a control character', { workspace: { ...manifest().workspace, branch: 'a\u0007' } }, /workspace\.branch/],
    ['two files of one role', { files: [manifest().files[0], { ...manifest().files[1], role: 'workspace' }] as CheckpointManifest['files'] }, /duplicate file roles/],
    ['agent state without its folder', { agentStateDir: null }, /agent state archive without agentStateDir/],
    ['an omitted workspace with a bundle', { workspace: { ...manifest().workspace, omitted: 'secret' } }, /omitted workspace/],
  ])('refuses %s', (_label, overrides, reason) => {
    expect(reasonOf(JSON.stringify(manifest(overrides as Partial<CheckpointManifest>)))).toMatch(reason);
  });

  it('accepts sha256 repositories and detached heads', () => {
    expect(reasonOf(JSON.stringify(manifest({ workspace: { ...manifest().workspace, base: 'f'.repeat(64), branch: null } })))).toBe('ok');
  });
});

describe('fileMismatches', () => {
  const files = manifest().files;
  it('reports missing files, wrong sizes and wrong hashes', () => {
    expect(
      fileMismatches(
        files,
        new Map([
          ['workspace.bundle', { sizeBytes: 9, sha256: 'd'.repeat(64) }],
          ['agent-state.tar.gz', undefined],
        ]),
      ),
    ).toEqual(['workspace.bundle has 9 bytes, the manifest says 10', 'agent-state.tar.gz is missing']);
    expect(fileMismatches(files, new Map([['workspace.bundle', { sizeBytes: 10, sha256: '0'.repeat(64) }]]))[0]).toBe('workspace.bundle does not match its sha256');
    expect(
      fileMismatches(
        files,
        new Map(files.map((file) => [file.name, { sizeBytes: file.sizeBytes, sha256: file.sha256 }])),
      ),
    ).toEqual([]);
  });
});
