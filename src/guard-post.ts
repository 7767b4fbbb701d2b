import { runGuardPost } from './guard/run-guard-post.js';

/** The guard's post step (runs.post): final checkpoint, daemon stopped, summary, marker. Never rejects. Importing this module does nothing. */
export async function run(): Promise<void> {
  await runGuardPost(process.env);
}
