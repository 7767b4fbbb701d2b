import { describe, expect, it } from 'vitest';
import { claudeAgent } from '../../src/agents/claude-agent.js';
import { openCodeAgent } from '../../src/agents/opencode-agent.js';
import { childEnvironment } from '../../src/runner/child-env.js';
import { readSettings, type InputName } from '../../src/settings/settings.js';

const settings = (inputs: Partial<Record<InputName, string>>) =>
  readSettings((name) => ({ prompt: 'p', ...inputs })[name], { baseDir: '/work/repo', tempDir: '/tmp/runner' });
const request = { mode: 'fresh' as const, prompt: 'p', sessionId: 's' };

/** The environment Claude Code would get, as the attempt builds it. */
function claudeEnv(inputs: Partial<Record<InputName, string>>, base: NodeJS.ProcessEnv, apiBaseUrl: string | undefined = 'http://127.0.0.1:1'): Record<string, string> {
  const launch = claudeAgent.createAdapter({ settings: settings(inputs), apiBaseUrl }).launch(request);
  return childEnvironment(base, launch.env, launch.envDefaults, launch.envAtLeast);
}

describe('the request bound of an agent behind an outage hold', () => {
  it('raises Claude Code\'s API_TIMEOUT_MS beyond api_retry_time, over a smaller value of the step', () => {
    expect(claudeEnv({}, {}).API_TIMEOUT_MS).toBe(String(40 * 60_000));
    expect(claudeEnv({ api_retry_time: '2m' }, { API_TIMEOUT_MS: '3000' }).API_TIMEOUT_MS).toBe(String(12 * 60_000));
  });

  it('keeps a larger value the step set, and leaves it alone without holds', () => {
    expect(claudeEnv({}, { API_TIMEOUT_MS: '99999999' }).API_TIMEOUT_MS).toBe('99999999');
    expect(claudeEnv({ api_retry_time: '0' }, { API_TIMEOUT_MS: '3000' }).API_TIMEOUT_MS).toBe('3000');
    expect(claudeEnv({ api_proxy: 'false' }, {}, undefined).API_TIMEOUT_MS).toBeUndefined();
  });

  it('has nothing to raise for OpenCode, which waits on pings', () => {
    expect(openCodeAgent.createAdapter({ settings: settings({ agent: 'opencode' }), apiBaseUrl: 'http://127.0.0.1:1' }).launch(request).envAtLeast).toBeUndefined();
  });
});
