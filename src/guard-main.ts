import { runGuardMain } from './guard/run-guard-main.js';

/** The guard's main step (guard/action.yml runs.main): starts the daemon and exports its address. Importing this module does nothing. */
export async function run(): Promise<void> {
  await runGuardMain(process.env);
}
