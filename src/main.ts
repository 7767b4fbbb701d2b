import { runAction } from './action/run-action.js';

/**
 * The action's main step, as actions/typescript-action shapes it: importing this module does
 * nothing, `run()` does the work (src/index.ts calls it; `npm run local-action` imports it).
 * Never rejects: every failure ends as a failed step with a clear message.
 */
export async function run(): Promise<void> {
  await runAction(process.env);
}
