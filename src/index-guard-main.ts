// Entry point bundled to dist/guard-main.js: only calls run(), so the logic stays importable.
import { run } from './guard-main.js';

await run();
