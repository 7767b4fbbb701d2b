// Entry point bundled to dist/guard-daemon.js: only calls run(), so the logic stays importable.
import { run } from './guard-daemon.js';

await run();
