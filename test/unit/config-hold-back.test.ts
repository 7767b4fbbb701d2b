import { describe, expect, it } from 'vitest';
import { putBackPlan, type HeldFile } from '../../src/checkpoint/config-hold-back.js';

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
