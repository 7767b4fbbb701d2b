import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import type { AdapterContext, AgentAdapter, AgentLaunch, LaunchRequest } from '../../src/agents/adapter.js';
import type { AgentDescription } from '../../src/agents/agent-description.js';
import { AGENT_NAMES, AGENTS, agentNamed } from '../../src/agents/registry.js';
import { isSessionIdOf } from '../../src/agents/session-id.js';
import { sessionStoreFor, type SessionStoreReader } from '../../src/agents/session-store.js';
import { isSessionData } from '../../src/checkpoint/agent-config-policy.js';
import { baseUrlOutputs, defaultStateDir, findSession, isGuardSessionData, resumeOutputs, sessionStoreRoot, stateExclude } from '../../src/guard/agent-home.js';
import { INPUT_DEFAULTS, readSettings } from '../../src/settings/settings.js';

// Every field of a description, with the type its value must have: a new field of AgentDescription
// that an agent leaves out fails typecheck, and this catches a value of the wrong kind.
const FIELDS = {
  name: 'string',
  label: 'string',
  npmPackage: 'string',
  executableName: 'string',
  pinnedVersion: 'string',
  inputs: 'object',
  sessionIdFormat: 'object',
  resumeArgs: 'function',
  isSessionData: 'function',
  defaultHome: 'object',
  baseUrlPath: 'string',
  guardBaseUrlOutput: ['string', 'undefined'],
  requestTimeoutVariable: ['string', 'undefined'],
  takesClaudeCodeInputs: 'boolean',
  stateDirOutput: ['string', 'undefined'],
  structuredOutputRequested: 'function',
  createAdapter: 'function',
  sessionStore: 'function',
  findSession: 'function',
} satisfies Record<keyof AgentDescription, string | string[]>;

describe('the agent registry', () => {
  it.each(AGENTS.map((agent) => [agent.name, agent] as const))('describes %s with every field', (_, agent: AgentDescription) => {
    expect(Object.keys(agent).sort()).toEqual(Object.keys(FIELDS).sort());
    for (const [field, kind] of Object.entries(FIELDS)) expect([kind].flat(), field).toContain(typeof agent[field as keyof AgentDescription]);
    for (const text of [agent.name, agent.label, agent.npmPackage, agent.executableName, agent.pinnedVersion, agent.inputs.args, agent.inputs.version, agent.inputs.path]) expect(text.trim()).not.toBe('');
    expect(agent.name).toMatch(/^[a-z][a-z0-9-]*$/);
    expect(agent.sessionIdFormat).toBeInstanceOf(RegExp);
    // A session id anchors the whole string: nothing around it reaches the command line.
    expect(agent.sessionIdFormat.source).toMatch(/^\^.*\$$/);
    expect(agent.baseUrlPath).toMatch(/^(\/[a-z0-9]+)*$/);
    expect(typeof agent.defaultHome.stateDir).toBe('function');
    for (const pattern of agent.defaultHome.exclude) expect(pattern).toMatch(/^\//);
  });

  it('names each agent and each agent input once, apart from the shared inputs', () => {
    expect(new Set(AGENT_NAMES).size).toBe(AGENTS.length);
    const inputs = AGENTS.flatMap((agent) => Object.values(agent.inputs));
    expect(new Set(inputs).size).toBe(inputs.length);
    for (const agent of AGENTS) expect(agentNamed(agent.name)).toBe(agent);
  });

  it("gives the settings each agent's inputs, defaulting to its pinned version, and the first agent as the default", () => {
    expect(INPUT_DEFAULTS.agent).toBe(AGENTS[0].name);
    for (const agent of AGENTS) {
      expect(INPUT_DEFAULTS).toHaveProperty(agent.inputs.args, '');
      expect(INPUT_DEFAULTS).toHaveProperty(agent.inputs.version, agent.pinnedVersion);
      expect(INPUT_DEFAULTS).toHaveProperty(agent.inputs.path, '');
      const settings = readSettings((name) => ({ agent: agent.name, prompt: 'p', [agent.inputs.args]: '--one "two three"', [agent.inputs.path]: '/opt/cli' })[name], { baseDir: '/work/repo', tempDir: '/tmp/runner' });
      expect(settings).toMatchObject({ agent: agent.name, agentArgs: ['--one', 'two three'], cliVersion: agent.pinnedVersion, cliPath: '/opt/cli' });
    }
  });

  it('pins the version the tests run: each package is a dev dependency at the pinned version', () => {
    const pkg = z.object({ devDependencies: z.record(z.string(), z.string()) }).parse(JSON.parse(readFileSync('package.json', 'utf8')));
    for (const agent of AGENTS) expect(pkg.devDependencies[agent.npmPackage], agent.npmPackage).toBe(agent.pinnedVersion);
  });

  it("declares each agent's args input (it resumes the restored session) and its base-URL output as guard outputs", () => {
    const guard = z.object({ outputs: z.record(z.string(), z.unknown()) }).parse(parse(readFileSync('guard/action.yml', 'utf8')));
    for (const agent of AGENTS) expect(Object.keys(guard.outputs)).toContain(agent.inputs.args);
    for (const agent of AGENTS) if (agent.guardBaseUrlOutput !== undefined) expect(Object.keys(guard.outputs)).toContain(agent.guardBaseUrlOutput);
  });

  it('is the only place that tells agents apart: no module outside the descriptions compares an agent name', () => {
    const names = AGENT_NAMES.join('|');
    const comparison = new RegExp(`(?:===|!==|case)\\s*['"](?:${names})['"]|['"](?:${names})['"]\\s*(?:===|!==)`);
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (file.endsWith('.ts') && !/-agent\.ts$/.test(file)) {
          readFileSync(file, 'utf8').split('\n').forEach((line, index) => {
            if (comparison.test(line)) offenders.push(`${file}:${index + 1}: ${line.trim()}`);
          });
        }
      }
    };
    walk('src');
    expect(offenders).toEqual([]);
  });
});

// A third agent, described in this file only, through the generic code that is pure.
class FakeAdapter implements AgentAdapter {
  readonly stateDir: string;
  constructor(
    private readonly context: AdapterContext,
    readonly agent: AgentDescription,
  ) {
    this.stateDir = path.join(context.settings.home.root, 'fake');
  }
  prepare(): Promise<void> {
    return Promise.resolve();
  }
  newSessionId(): undefined {
    return undefined;
  }
  launch(request: LaunchRequest): AgentLaunch {
    const resume = request.mode === 'resume' && request.sessionId ? this.agent.resumeArgs(request.sessionId) : [];
    return { args: [...resume, ...this.context.settings.agentArgs, request.prompt], env: { FAKE_HOME: this.stateDir }, envDefaults: {} };
  }
  parseLine(): [] {
    return [];
  }
}

const noStore: SessionStoreReader = { missing: (ids) => Promise.resolve([...ids]), running: () => Promise.resolve([]), close: () => undefined };

const fakeAgent: AgentDescription<'fake'> = {
  name: 'fake',
  label: 'Fake Agent',
  npmPackage: '@example/fake-agent',
  executableName: 'fake',
  pinnedVersion: '0.1.0',
  inputs: { args: 'fake_args', version: 'fake_version', path: 'path_to_fake_executable' },
  sessionIdFormat: /^fk-\d{4}$/,
  resumeArgs: (sessionId) => ['--continue', sessionId],
  isSessionData: (parts) => parts[0] === 'fake' && (parts[1] === undefined || parts[1] === 'sessions'),
  defaultHome: { stateDir: (env, home) => path.join(env.FAKE_DATA || path.join(home, '.local', 'share'), 'fake'), within: 'fake', exclude: ['/config.toml'] },
  baseUrlPath: '/api',
  guardBaseUrlOutput: 'fake_base_url',
  requestTimeoutVariable: undefined,
  takesClaudeCodeInputs: false,
  stateDirOutput: undefined,
  structuredOutputRequested: () => false,
  createAdapter: (context) => new FakeAdapter(context, fakeAgent),
  sessionStore: () => noStore,
  findSession: (root, cwd) => Promise.resolve(`${root}|${cwd}`),
};

describe('a third agent, described in one place', () => {
  it('has every field the registered agents have', () => {
    expect(Object.keys(fakeAgent).sort()).toEqual(Object.keys(FIELDS).sort());
  });

  it('keeps only its session data, and never a path out of its folder', () => {
    expect(isSessionData(fakeAgent, 'fake/sessions/fk-0001.json')).toBe(true);
    expect(isSessionData(fakeAgent, 'fake')).toBe(true);
    expect(isSessionData(fakeAgent, 'fake/config.toml')).toBe(false);
    expect(isSessionData(fakeAgent, 'fake/sessions/../../x')).toBe(false);
    expect(isSessionData(fakeAgent, '')).toBe(false);
  });

  it('resumes only session ids of its own format', () => {
    expect(isSessionIdOf(fakeAgent, 'fk-0042')).toBe(true);
    expect(isSessionIdOf(fakeAgent, '--config=/tmp/x')).toBe(false);
    expect(isSessionIdOf(fakeAgent, '1973dc98-97f4-46e8-bafc-b5d93726213e')).toBe(false);
  });

  it('is found and checkpointed by the guard in its own default home', () => {
    const stateDir = defaultStateDir(fakeAgent, { FAKE_DATA: '/data' }, '/home/runner');
    expect(stateDir).toBe('/data/fake');
    expect(defaultStateDir(fakeAgent, {}, '/home/runner')).toBe('/home/runner/.local/share/fake');
    expect(sessionStoreRoot(fakeAgent, stateDir)).toBe('/data');
    expect(isGuardSessionData(fakeAgent, 'sessions/fk-0001.json')).toBe(true);
    expect(isGuardSessionData(fakeAgent, 'config.toml')).toBe(false);
    expect(stateExclude(fakeAgent)).toEqual(['/config.toml']);
    return expect(findSession(fakeAgent, stateDir, '/work/repo')).resolves.toBe('/data|/work/repo');
  });

  it('gets its own guard output, and the registered agents theirs, empty', () => {
    expect(resumeOutputs([...AGENTS, fakeAgent], 'fake', 'fk-0042')).toEqual({ ...Object.fromEntries(AGENTS.map((agent) => [agent.inputs.args, ''])), fake_args: '--continue fk-0042' });
    expect(resumeOutputs([...AGENTS, fakeAgent], 'fake', undefined)).toMatchObject({ fake_args: '' });
  });

  it("gets the proxy's URL in its own form as its guard base-URL output, beside OpenCode's", () => {
    expect(baseUrlOutputs([...AGENTS, fakeAgent], 'http://127.0.0.1:4000')).toEqual({ opencode_base_url: 'http://127.0.0.1:4000/v1', fake_base_url: 'http://127.0.0.1:4000/api' });
    expect(baseUrlOutputs([...AGENTS, fakeAgent], undefined)).toEqual({ opencode_base_url: '', fake_base_url: '' });
  });

  it('runs through its adapter and session store as the pipeline builds them', () => {
    const settings = readSettings((name) => (name === 'prompt' ? 'do it' : undefined), { baseDir: '/work/repo', tempDir: '/tmp/runner' });
    const adapter = fakeAgent.createAdapter({ settings: { ...settings, agentArgs: ['--fast'] }, apiBaseUrl: undefined });
    expect(adapter.agent).toBe(fakeAgent);
    expect(adapter.launch({ mode: 'resume', prompt: 'go on', sessionId: 'fk-0042' }).args).toEqual(['--continue', 'fk-0042', '--fast', 'go on']);
    expect(sessionStoreFor(adapter)).toBe(noStore);
  });
});
