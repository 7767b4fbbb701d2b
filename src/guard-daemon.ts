import { runDaemon } from './guard/daemon.js';

/** The guard's daemon, started detached by its main step. Importing this module does nothing. */
export async function run(): Promise<void> {
  await runDaemon(process.env);
}
