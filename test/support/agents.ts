import path from 'node:path';
import { AGENTS, type AgentName } from '../../src/agents/registry.js';
import { BIN } from './run-action.js';

interface AgentTestFacts {
  /** Action inputs besides the path to the real CLI. */
  readonly inputs: Readonly<Record<string, string>>;
  /** How many tries the CLI makes itself before it gives up on one failed call. */
  readonly cliTries: number;
  /** An idle limit its start-up fits in. */
  readonly idleTimeout: string;
}

// What only the tests know of each agent: Claude tries once with CLAUDE_CODE_MAX_RETRIES=0;
// OpenCode always 1 + 5, at once when told retry-after 0, and takes about 3 s before its first
// event (far more on a busy machine). A new agent in the registry fails typecheck here until given.
const TEST_FACTS = {
  claude: { inputs: { claude_args: '--allowedTools Bash' }, cliTries: 1, idleTimeout: '3s' },
  opencode: { inputs: { model: 'claude-test' }, cliTries: 6, idleTimeout: '20s' },
} as const satisfies Record<AgentName, AgentTestFacts>;

/**
 * Every registered agent as the end-to-end tests run them: the action inputs that point at the
 * real CLI (its pinned package, a dev dependency), and the test facts above.
 */
export const TEST_AGENTS = AGENTS.map((description) => {
  const facts: AgentTestFacts = TEST_FACTS[description.name];
  return {
    agent: description.name,
    inputs: { [description.inputs.path]: path.join(BIN, description.executableName), ...facts.inputs },
    cliTries: facts.cliTries,
    idleTimeout: facts.idleTimeout,
  };
});

/**
 * The inputs the proxy tests share: a scripted task, a test key, `proxyTries` tries per request and
 * short waits, both the proxy's and those between attempts.
 */
export function quickRetryInputs(agent: AgentName, proxyTries: number): Record<string, string> {
  return {
    agent,
    prompt: 'Work through the task step by step.',
    anthropic_api_key: 'sk-test',
    api_retry_attempts: String(proxyTries),
    api_max_delay: '300ms',
    initial_delay: '100ms',
    max_delay: '500ms',
  };
}
