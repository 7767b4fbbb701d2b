import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCheckpoint, restoreCheckpoint } from '../../src/checkpoint/checkpoint.js';
import { globMatcher } from '../../src/checkpoint/safe-paths.js';
import { stateExclude } from '../../src/guard/agent-home.js';
import { createWorkspace, type Workspace } from '../support/workspace.js';
import { claudeAgent } from '../../src/agents/claude-agent.js';

// The guard restores into the agent's real home (~/.claude): sessions come back, its configuration
// never does, and a checkpoint that carries configuration is refused whole.
const LINEAGE = { repository: 'octo/demo', workflow: 'agent', job: 'agent', checkpointId: 'agent-guard', runId: '1' };
const refuse = (rel: string): boolean => stateExclude(claudeAgent).some((pattern) => globMatcher(pattern)(rel) || globMatcher(`${pattern}/**`)(rel));

describe("guard checkpoints of Claude Code's ~/.claude", () => {
  let ws: Workspace;
  let scratch: string;
  beforeEach(async () => {
    ws = await createWorkspace();
    scratch = await mkdtemp(path.join(os.tmpdir(), 'guard-restore-'));
  });
  afterEach(async () => {
    await ws.dispose();
    await rm(scratch, { recursive: true, force: true });
  });

  async function claudeHome(name: string, settings: object): Promise<string> {
    const home = path.join(scratch, name);
    await mkdir(path.join(home, 'projects', '-repo'), { recursive: true });
    await mkdir(path.join(home, 'hooks'), { recursive: true });
    await writeFile(path.join(home, 'projects', '-repo', 'session.jsonl'), '{"type":"user"}\n');
    await writeFile(path.join(home, 'settings.json'), JSON.stringify(settings));
    await writeFile(path.join(home, 'hooks', 'run.sh'), 'echo hook\n');
    return home;
  }

  /** `planted`: every file of the folder goes in, as a tampered checkpoint or another version's would carry it. */
  async function checkpointOf(home: string, exclude: readonly string[], planted = false): Promise<string> {
    const base = (await ws.git('rev-parse', 'HEAD')).trim();
    const created = await createCheckpoint({
      workspace: ws.repo,
      baseCommit: base,
      stagingDir: scratch,
      lineage: LINEAGE,
      sequence: 1,
      attempt: 1,
      agent: 'claude',
      agentStateDir: home,
      agentStateExclude: exclude,
      ...(planted ? { agentStateFilter: () => true } : {}),
    });
    return created.dir;
  }

  it('restores the sessions and leaves the settings of the new job as they are', async () => {
    const dir = await checkpointOf(await claudeHome('old', { hooks: 'old' }), stateExclude(claudeAgent));
    const target = path.join(scratch, 'new');
    await mkdir(target, { recursive: true });
    await writeFile(path.join(target, 'settings.json'), '{"fromThisJob":true}');
    const result = await restoreCheckpoint({ dir, workspace: ws.repo, lineage: LINEAGE, agentStateDir: target, agentStateRefuse: refuse });
    expect(result.restored).toContain('agent-state');
    expect(await readFile(path.join(target, 'projects', '-repo', 'session.jsonl'), 'utf8')).toBe('{"type":"user"}\n');
    expect(await readFile(path.join(target, 'settings.json'), 'utf8')).toBe('{"fromThisJob":true}');
    await expect(readFile(path.join(target, 'hooks', 'run.sh'), 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('refuses a checkpoint that carries settings or hooks', async () => {
    const dir = await checkpointOf(await claudeHome('planted', { hooks: { Stop: [] } }), [], true);
    const target = path.join(scratch, 'victim');
    await mkdir(target, { recursive: true });
    await expect(restoreCheckpoint({ dir, workspace: ws.repo, lineage: LINEAGE, agentStateDir: target, agentStateRefuse: refuse })).rejects.toThrow(/is agent configuration, which a checkpoint never restores/);
    await expect(readFile(path.join(target, 'settings.json'), 'utf8')).rejects.toThrow(/ENOENT/);
  });
});
