import { TEST_AGENTS } from '../support/agents.js';
import { killChainSuite } from '../support/kill-chain-suite.js';

// One file per agent, so vitest runs the two chains side by side.
const opencode = TEST_AGENTS.find((agent) => agent.agent === 'opencode');
if (opencode === undefined) throw new Error('no opencode test agent');
killChainSuite(opencode);
