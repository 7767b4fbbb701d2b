import { runDaemon } from './guard/daemon.js';

await runDaemon();
