import { CLAUDE, OPENCODE } from './run-action.js';

/**
 * Both agents as the end-to-end tests run them: the action inputs that point at the real CLI,
 * how many tries the CLI makes itself before it gives up on one failed call (Claude with
 * CLAUDE_CODE_MAX_RETRIES=0 once; OpenCode always 1 + 5, at once when told retry-after 0), and an
 * idle limit its start-up fits in (OpenCode takes about 3 s before its first event, far more on a
 * busy machine).
 */
export const TEST_AGENTS = [
  { agent: 'claude', inputs: { path_to_claude_code_executable: CLAUDE, claude_args: '--allowedTools Bash' }, cliTries: 1, idleTimeout: '3s' },
  { agent: 'opencode', inputs: { path_to_opencode_executable: OPENCODE, model: 'claude-test' }, cliTries: 6, idleTimeout: '20s' },
] as const;
