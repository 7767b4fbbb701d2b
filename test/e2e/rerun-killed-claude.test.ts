import { TEST_AGENTS } from '../support/agents.js';
import { killChainSuite } from '../support/kill-chain-suite.js';

// One file per agent, so vitest runs the two chains side by side.
const claude = TEST_AGENTS.find((agent) => agent.agent === 'claude');
if (claude === undefined) throw new Error('no claude test agent');
killChainSuite(claude);
