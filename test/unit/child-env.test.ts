import { describe, expect, it } from 'vitest';
import { childEnvironment } from '../../src/runner/child-env.js';
import { TailBuffer } from '../../src/runner/tail-buffer.js';

describe('childEnvironment', () => {
  it('drops the runner credentials and the action inputs, applies defaults and overrides', () => {
    const env = childEnvironment(
      {
        PATH: '/bin',
        ACTIONS_RUNTIME_TOKEN: 't',
        ACTIONS_RESULTS_URL: 'u',
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'i',
        ACTIONS_ID_TOKEN_REQUEST_URL: 'j',
        INPUT_ANTHROPIC_API_KEY: 'sk-secret',
        GITHUB_ENV: '/runner/env',
        GITHUB_PATH: '/runner/path',
        GITHUB_OUTPUT: '/runner/output',
        GITHUB_STATE: '/runner/state',
        GITHUB_STEP_SUMMARY: '/runner/summary',
        STATE_durable_session_id: 's',
        GITHUB_REPOSITORY: 'octo/demo',
        KEEP: 'user',
      },
      { CLAUDE_CONFIG_DIR: '/state', ANTHROPIC_API_KEY: undefined },
      { KEEP: 'default', NEW: 'default' },
    );
    expect(env).toEqual({ PATH: '/bin', GITHUB_REPOSITORY: 'octo/demo', KEEP: 'user', NEW: 'default', CLAUDE_CONFIG_DIR: '/state' });
  });
});

describe('TailBuffer', () => {
  it('keeps only the last characters', () => {
    const tail = new TailBuffer(10);
    for (let i = 0; i < 100; i++) tail.push(`${i % 10}`);
    expect(tail.toString()).toBe('0123456789');
  });
});
