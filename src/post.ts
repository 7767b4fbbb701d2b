import { runPost } from './action/run-post.js';

await runPost();
