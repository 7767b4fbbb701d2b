import { runPost } from './action/run-post.js';

runPost();
