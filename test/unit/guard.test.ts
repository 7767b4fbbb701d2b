import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { globMatcher } from '../../src/checkpoint/safe-paths.js';
import { defaultStateDir, isGuardSessionData, sessionStoreRoot, stateExclude } from '../../src/guard/agent-home.js';
import { guardUpstreams } from '../../src/guard/daemon-services.js';
import { guardVerdict } from '../../src/guard/verdict.js';
import { INPUT_DEFAULTS } from '../../src/settings/settings.js';
import { claudeAgent, claudeProjectName } from '../../src/agents/claude-agent.js';
import { openCodeAgent } from '../../src/agents/opencode-agent.js';

const guardAction = z
  .object({
    runs: z.object({ using: z.string(), main: z.string(), post: z.string(), 'post-if': z.string() }),
    inputs: z.record(z.string(), z.object({ description: z.string(), default: z.string().optional() })),
    outputs: z.record(z.string(), z.object({ description: z.string() })),
  })
  .parse(parse(readFileSync('guard/action.yml', 'utf8')));

describe('guard/action.yml', () => {
  it('runs its own main and post from dist/ on node24, post always', () => {
    expect(guardAction.runs).toEqual({ using: 'node24', main: '../dist/guard-main.js', post: '../dist/guard-post.js', 'post-if': 'always()' });
  });

  it("takes the main action's inputs with the same defaults, plus the job's status", () => {
    for (const [name, input] of Object.entries(guardAction.inputs)) {
      if (name === 'job_status') expect(input.default).toBe('${{ job.status }}');
      else expect(INPUT_DEFAULTS, name).toHaveProperty(name, input.default ?? '');
    }
  });
});

describe('where the guarded agent keeps its sessions', () => {
  it('is the default location, moved only by the variables the agent itself reads', () => {
    expect(defaultStateDir(claudeAgent, {}, '/home/runner')).toBe('/home/runner/.claude');
    expect(defaultStateDir(claudeAgent, { CLAUDE_CONFIG_DIR: '/cfg' }, '/home/runner')).toBe('/cfg');
    expect(defaultStateDir(openCodeAgent, {}, '/home/runner')).toBe('/home/runner/.local/share/opencode');
    expect(defaultStateDir(openCodeAgent, { XDG_DATA_HOME: '/data' }, '/home/runner')).toBe('/data/opencode');
    expect(claudeProjectName('/home/runner/work/my.repo/my_repo')).toBe('-home-runner-work-my-repo-my-repo');
  });

  it("leaves the agent's own configuration out of checkpoints, and keeps its sessions", () => {
    const excluded = (agent: typeof claudeAgent | typeof openCodeAgent, rel: string): boolean => stateExclude(agent).some((pattern) => globMatcher(pattern)(rel));
    for (const rel of ['settings.json', 'settings.local.json', 'hooks', 'plugins', 'agents', 'commands', 'CLAUDE.md']) expect(excluded(claudeAgent, rel), rel).toBe(true);
    for (const rel of ['projects', 'projects/-repo/abc.jsonl', 'projects/-repo/settings.json', 'todos', 'session-env', 'file-history']) expect(excluded(claudeAgent, rel), rel).toBe(false);
    for (const rel of ['snapshot', 'bin', 'log']) expect(excluded(openCodeAgent, rel), rel).toBe(true);
    for (const rel of ['opencode.db', 'opencode.db-wal', 'storage']) expect(excluded(openCodeAgent, rel), rel).toBe(false);
  });

  it("takes session data relative to the folder the guard saves, which for OpenCode is its own folder, not the data home", () => {
    for (const rel of ['opencode.db', 'opencode.db-wal', 'opencode.db-shm', 'storage', 'storage/session/x.json']) expect(isGuardSessionData(openCodeAgent, rel), rel).toBe(true);
    for (const rel of ['snapshot/abc/HEAD', 'auth.json', 'log/opencode.log', 'opencode/opencode.db']) expect(isGuardSessionData(openCodeAgent, rel), rel).toBe(false);
    for (const rel of ['projects', 'projects/-repo/abc.jsonl']) expect(isGuardSessionData(claudeAgent, rel), rel).toBe(true);
    expect(isGuardSessionData(claudeAgent, 'settings.json')).toBe(false);
  });

  it("points the turn gate's store reader where the agent writes: Claude's config folder, OpenCode's data home", () => {
    expect(sessionStoreRoot(claudeAgent, '/home/runner/.claude')).toBe('/home/runner/.claude');
    expect(sessionStoreRoot(openCodeAgent, defaultStateDir(openCodeAgent, { XDG_DATA_HOME: '/data' }, '/home/runner'))).toBe('/data');
  });
});

describe('upstreams the guard proxies', () => {
  it('fronts the Anthropic API, and Vertex AI and Foundry when the job points at them', () => {
    expect(guardUpstreams({})).toEqual([{ variable: 'ANTHROPIC_BASE_URL', upstream: 'https://api.anthropic.com' }]);
    expect(guardUpstreams({ ANTHROPIC_BASE_URL: 'http://gw', ANTHROPIC_VERTEX_BASE_URL: 'https://v', ANTHROPIC_FOUNDRY_BASE_URL: 'https://f' }).map((entry) => entry.variable)).toEqual([
      'ANTHROPIC_BASE_URL',
      'ANTHROPIC_VERTEX_BASE_URL',
      'ANTHROPIC_FOUNDRY_BASE_URL',
    ]);
  });
});

describe('the transient marker of the guard', () => {
  const proxy = (failuresByStatus: Record<string, number>, passedOnFailures = 1) => ({ passedOnFailures, failuresByStatus });
  it('is written only for a failed job with evidence of a model API failure', () => {
    expect(guardVerdict({ jobStatus: 'success', proxy: proxy({ 500: 5 }) })).toBeUndefined();
    expect(guardVerdict({ jobStatus: 'cancelled', proxy: proxy({ 500: 5 }) })).toBeUndefined();
    expect(guardVerdict({ jobStatus: 'failure', proxy: proxy({ 500: 5 }, 0) })).toBeUndefined();
    expect(guardVerdict({ jobStatus: 'failure' })).toBeUndefined();
  });

  it("reads the agent's own final result first, then what the proxy had to hand back", () => {
    expect(guardVerdict({ jobStatus: 'failure', agentResult: { isError: true, apiErrorStatus: 529, terminalReason: 'api_error' } })).toEqual({ kind: 'transient', reason: 'overloaded' });
    expect(guardVerdict({ jobStatus: 'failure', agentResult: { isError: true, apiErrorStatus: null, terminalReason: 'api_error' } })).toEqual({ kind: 'transient', reason: 'network' });
    expect(guardVerdict({ jobStatus: 'failure', agentResult: { isError: true, apiErrorStatus: 401, terminalReason: 'api_error' } })).toEqual({ kind: 'fatal', reason: 'auth' });
    expect(guardVerdict({ jobStatus: 'failure', proxy: proxy({ 500: 2, 429: 7 }) })).toEqual({ kind: 'transient', reason: 'rate_limited' });
    expect(guardVerdict({ jobStatus: 'failure', proxy: proxy({ network: 3 }) })).toEqual({ kind: 'transient', reason: 'network' });
  });
});
