import { createRequire as __durableCreateRequire } from 'node:module';
import { fileURLToPath as __durableFileURLToPath } from 'node:url';
import { dirname as __durableDirname } from 'node:path';
const require = __durableCreateRequire(import.meta.url);
const __filename = __durableFileURLToPath(import.meta.url);
const __dirname = __durableDirname(__filename);
import {
  SettingsError,
  actionsLog,
  readSettings,
  runPipeline,
  secretValues
} from "./chunks/chunk-QSP3UGXC.js";
import {
  Outputs,
  States,
  getInput,
  saveState,
  setFailed,
  setOutput,
  setSecret,
  warning
} from "./chunks/chunk-N7H2WA27.js";

// src/action/run-action.ts
import os from "node:os";
function setOutputs(result) {
  setOutput(Outputs.conclusion, result.conclusion);
  setOutput(Outputs.sessionId, result.sessionId ?? "");
  setOutput(Outputs.executionFile, result.executionFile);
  setOutput(Outputs.failureReason, result.failureReason);
  setOutput(Outputs.attempts, String(result.attempts.length));
  setOutput(Outputs.resumedSessions, String(result.attempts.filter((a) => a.mode === "resume").length));
  setOutput(Outputs.freshSessionFallbacks, String(result.freshAfterLostSession));
}
async function runAction() {
  saveState(States.mainStarted, "true");
  const controller = new AbortController();
  const onSignal = (signal) => {
    warning(`Received ${signal}: stopping the agent`);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const settings = readSettings((name) => getInput(name), {
      baseDir: process.env.GITHUB_WORKSPACE ?? process.cwd(),
      tempDir: process.env.RUNNER_TEMP ?? os.tmpdir()
    });
    for (const secret of secretValues(settings)) setSecret(secret);
    saveState(States.stateDir, settings.homeDir);
    const result = await runPipeline({ settings, log: actionsLog(), env: process.env, signal: controller.signal });
    setOutputs(result);
    if (result.conclusion === "failure") setFailed(`${result.failureReason}: ${result.failureMessage}`);
  } catch (error) {
    if (error instanceof SettingsError) {
      setOutput(Outputs.conclusion, "failure");
      setOutput(Outputs.failureReason, "invalid_input");
    }
    setFailed(error instanceof Error ? error.message : String(error));
  } finally {
    saveState(States.mainFinished, "true");
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

// src/main.ts
await runAction();
