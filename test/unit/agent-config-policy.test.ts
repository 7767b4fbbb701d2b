import { describe, expect, it } from 'vitest';
import { isSessionData, isWorkTreeAgentConfig } from '../../src/checkpoint/agent-config-policy.js';
import { claudeAgent } from '../../src/agents/claude-agent.js';
import { openCodeAgent } from '../../src/agents/opencode-agent.js';

const SESSION = '1973dc98-97f4-46e8-bafc-b5d93726213e';

describe('isSessionData: what of the agent state a checkpoint carries', () => {
  it.each([
    // Claude Code 2.1.331, measured: what a run with tools writes into CLAUDE_CONFIG_DIR.
    ['projects', true],
    ['projects/-tmp-repo', true],
    [`projects/-tmp-repo/${SESSION}.jsonl`, true],
    [`projects/-tmp-repo/${SESSION}`, true],
    [`projects/-tmp-repo/${SESSION}/subagents/agent-1.jsonl`, true],
    ['projects/-tmp-repo/memory/MEMORY.md', true],
    [`todos/${SESSION}-agent-${SESSION}.json`, true],
    [`file-history/${SESSION}/abc@v1`, true],
    ['plans/plan.md', true],
    ['settings.json', false],
    ['settings.local.json', false],
    ['.claude.json', false],
    ['backups/.claude.json.backup.1', false],
    ['plugins/store/x.json', false],
    ['hooks/pre.sh', false],
    ['commands/deploy.md', false],
    ['agents/reviewer.md', false],
    ['skills/x/SKILL.md', false],
    ['CLAUDE.md', false],
    ['.credentials.json', false],
    [`shell-snapshots/snapshot-bash-1.sh`, false],
    [`session-env/${SESSION}/hook-1.sh`, false],
    ['sessions/123.json', false],
    ['projects/-tmp-repo/settings.json', false],
    ['projects/-tmp-repo/notes.sh', false],
    ['projects/../settings.json', false],
  ])('claude %s: %s', (rel, expected) => expect(isSessionData(claudeAgent, rel)).toBe(expected));

  it.each([
    ['opencode', true],
    ['opencode/opencode.db', true],
    ['opencode/opencode.db-wal', true],
    ['opencode/opencode.db-shm', true],
    ['opencode/storage/session/x.json', true],
    ['opencode/auth.json', false],
    ['opencode/snapshot/abc/HEAD', false],
    ['opencode/log/opencode.log', false],
    ['opencode/bin/tool', false],
    ['opencode/storage.db', false],
    ['projects/-tmp-repo/x.jsonl', false],
  ])('opencode %s: %s', (rel, expected) => expect(isSessionData(openCodeAgent, rel)).toBe(expected));
});

describe('isWorkTreeAgentConfig: what a restore holds back in the work tree', () => {
  it.each([
    ['.claude/settings.json', true],
    ['.claude/settings.local.json', true],
    ['.claude/hooks/start.sh', true],
    ['.claude/commands/x.md', true],
    ['.claude/agents/x.md', true],
    ['sub/.claude/settings.json', true],
    ['.mcp.json', true],
    ['opencode.json', true],
    ['opencode.jsonc', true],
    ['.opencode/plugin/x.ts', true],
    ['CLAUDE.md', false],
    ['AGENTS.md', false],
    ['src/settings.json', false],
    ['results/run.json', false],
  ])('%s: %s', (rel, expected) => expect(isWorkTreeAgentConfig(rel)).toBe(expected));
});
