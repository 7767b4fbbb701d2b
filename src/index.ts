// Entry point of `runs.main` (bundled to dist/main.js): only calls run(), so the logic stays importable.
import { run } from './main.js';

await run();
