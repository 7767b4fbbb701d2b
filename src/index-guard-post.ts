// Entry point bundled to dist/guard-post.js: only calls run(), so the logic stays importable.
import { run } from './guard-post.js';

await run();
