import { describe, expect, it } from 'vitest';
import { agentTestEnv, CLAUDE, runAction } from '../support/run-action.js';
import { useWorkspaceAndModelApi } from '../support/workspace-and-model-api.js';

describe('the cost guard', () => {
  // From step 2 on the model API fails for ever: without a bound, retries would go on burning tokens.
  const setup = useWorkspaceAndModelApi({ api: { script: { steps: 3 }, faults: [{ kind: 'http500', at: { step: 2 }, count: 100_000, retryAfterSeconds: 0 }] } });

  const inputs = {
    prompt: 'Do the task.',
    anthropic_api_key: 'sk-test',
    path_to_claude_code_executable: CLAUDE,
    claude_args: '--allowedTools Bash',
    api_proxy: 'false',
    initial_delay: '100ms',
    max_delay: '200ms',
    max_attempts: '20',
  };

  it('stops a transient retry loop once the total cost crosses max_total_cost_usd', async () => {
    const result = await runAction(setup.ws, { ...inputs, max_total_cost_usd: '0.05' }, { env: agentTestEnv(setup.ws, setup.api.url) });
    expect(result.outputs.conclusion).toBe('failure');
    expect(result.outputs.failure_reason).toBe('budget');
    const attempts = Number(result.outputs.attempts);
    expect(attempts).toBeGreaterThan(1);
    expect(attempts).toBeLessThan(20);
    expect(result.stdout).toMatch(/::error::budget: the total cost \$0\.\d+ reached max_total_cost_usd \(\$0\.05\); no further attempt was started/);
  });

  it('counts turns across attempts too', async () => {
    const result = await runAction(setup.ws, { ...inputs, max_total_turns: '4' }, { env: agentTestEnv(setup.ws, setup.api.url) });
    expect(result.outputs.failure_reason).toBe('budget');
    expect(result.stdout).toMatch(/reached max_total_turns \(4\)/);
  });
});
