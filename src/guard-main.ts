import { runGuardMain } from './guard/run-guard-main.js';

await runGuardMain();
