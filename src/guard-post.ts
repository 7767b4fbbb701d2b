import { runGuardPost } from './guard/run-guard-post.js';

await runGuardPost();
