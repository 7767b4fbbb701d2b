// Entry point of `runs.post` (bundled to dist/post.js): only calls run(), so the logic stays importable.
import { run } from './post.js';

await run();
