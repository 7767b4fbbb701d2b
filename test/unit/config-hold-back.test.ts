import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { holdBackAgentConfig, putBackPlan, type HeldFile } from '../../src/checkpoint/config-hold-back.js';
import { claudeAgent } from '../../src/agents/claude-agent.js';

const file = (text: string, mode = 0o644): HeldFile => ({ kind: 'file', content: Buffer.from(text), mode });

describe('putBackPlan', () => {
  it('undoes what a restore changed, added or removed, and nothing else', () => {
    const before = new Map<string, HeldFile>([
      ['.claude/settings.json', file('{"permissions":{}}')],
      ['.mcp.json', file('{}')],
      ['opencode.json', file('{}')],
      ['.claude/commands/x.md', file('x')],
      ['.claude/hooks/run.sh', file('echo hi', 0o644)],
    ]);
    const after = new Map<string, HeldFile>([
      ['.claude/settings.json', file('{"hooks":{"SessionStart":[]}}')],
      ['.mcp.json', file('{}')],
      ['.claude/commands/x.md', { kind: 'symlink', target: '/etc/passwd' }],
      ['.claude/hooks/run.sh', file('echo hi', 0o755)],
      ['.claude/settings.local.json', file('{"hooks":{}}')],
    ]);
    expect(putBackPlan(before, after)).toEqual([
      { rel: '.claude/commands/x.md', action: 'write' },
      { rel: '.claude/hooks/run.sh', action: 'write' },
      { rel: '.claude/settings.json', action: 'write' },
      { rel: '.claude/settings.local.json', action: 'delete' },
      { rel: 'opencode.json', action: 'write' },
    ]);
  });

  it('has nothing to do when the restore left the configuration alone', () => {
    const same = new Map<string, HeldFile>([['.mcp.json', file('{}')], ['link', { kind: 'symlink', target: 'a' }]]);
    expect(putBackPlan(same, new Map(same))).toEqual([]);
  });
});

describe('putBackPlan, files too large to keep', () => {
  it('deletes a large file the restore changed, since its content was not kept', () => {
    const large: HeldFile = { kind: 'large', sizeBytes: 5_000_000, mtimeMs: 1, mode: 0o644 };
    const before = new Map<string, HeldFile>([['opencode/snapshot/x/objects/pack/p.pack', large]]);
    expect(putBackPlan(before, new Map([['opencode/snapshot/x/objects/pack/p.pack', { ...large, mtimeMs: 2 }]]))).toEqual([
      { rel: 'opencode/snapshot/x/objects/pack/p.pack', action: 'delete' },
    ]);
    expect(putBackPlan(before, new Map(before))).toEqual([]);
  });
});

describe('holdBackAgentConfig on a real checkout', () => {
  it('puts back what a restore did to configuration and leaves the rest of its work alone', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'hold-back-'));
    const repo = path.join(root, 'repo');
    const state = path.join(root, 'state');
    mkdirSync(repo);
    mkdirSync(path.join(state, 'projects', '-repo'), { recursive: true });
    execFileSync('git', ['init', '-q', repo]);
    writeFileSync(path.join(repo, '.mcp.json'), '{"mcpServers":{}}\n');
    writeFileSync(path.join(state, '.claude.json'), '{"prepared":true}\n');
    const held = await holdBackAgentConfig({ workspace: repo, workingDirectory: repo, agentStateDir: state, agent: claudeAgent, allowWorkTreeConfig: false });

    // What a planted checkpoint would restore.
    mkdirSync(path.join(repo, '.claude', 'hooks'), { recursive: true });
    writeFileSync(path.join(repo, '.claude', 'settings.local.json'), '{"hooks":{}}\n');
    writeFileSync(path.join(repo, '.claude', 'hooks', 'start.sh'), 'curl evil\n');
    writeFileSync(path.join(repo, '.mcp.json'), '{"mcpServers":{"evil":{}}}\n');
    writeFileSync(path.join(repo, 'work.txt'), 'the agent work\n');
    writeFileSync(path.join(state, 'settings.json'), '{"hooks":{}}\n');
    writeFileSync(path.join(state, '.claude.json'), '{"mcpServers":{"evil":{}}}\n');
    writeFileSync(path.join(state, 'projects', '-repo', 's.jsonl'), '{}\n');

    const { paths } = await held.putBack();
    expect(paths).toEqual([
      'agent state: .claude.json',
      'agent state: settings.json',
      'work tree: .claude/hooks/start.sh',
      'work tree: .claude/settings.local.json',
      'work tree: .mcp.json',
    ]);
    expect(readFileSync(path.join(repo, '.mcp.json'), 'utf8')).toBe('{"mcpServers":{}}\n');
    expect(existsSync(path.join(repo, '.claude', 'settings.local.json'))).toBe(false);
    expect(existsSync(path.join(state, 'settings.json'))).toBe(false);
    expect(readFileSync(path.join(state, '.claude.json'), 'utf8')).toBe('{"prepared":true}\n');
    expect(readFileSync(path.join(repo, 'work.txt'), 'utf8')).toBe('the agent work\n');
    expect(existsSync(path.join(state, 'projects', '-repo', 's.jsonl'))).toBe(true);
  });
});
