import { createRequire as __durableCreateRequire } from 'node:module';
import { fileURLToPath as __durableFileURLToPath } from 'node:url';
import { dirname as __durableDirname } from 'node:path';
const require = __durableCreateRequire(import.meta.url);
const __filename = __durableFileURLToPath(import.meta.url);
const __dirname = __durableDirname(__filename);
import {
  States,
  getState,
  info,
  warning
} from "./chunks/chunk-574JSCTU.js";

// src/action/run-post.ts
function runPost() {
  try {
    const started = getState(States.mainStarted) === "true";
    const finished = getState(States.mainFinished) === "true";
    if (!started) info("durable-agent did not start in this job: nothing to do.");
    else if (finished) info("durable-agent finished in the main step: nothing to do.");
    else info("durable-agent did not finish in the main step (cancelled or killed).");
  } catch (error) {
    warning(`post step: ${error instanceof Error ? error.message : String(error)}`);
  }
}

// src/post.ts
runPost();
