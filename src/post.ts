import { runPost } from './action/run-post.js';

/**
 * The action's post step (`runs.post`): importing this module does nothing, `run()` does the work
 * (src/index-post.ts calls it). Never rejects: a post step must not fail the job.
 */
export async function run(): Promise<void> {
  await runPost(process.env);
}
