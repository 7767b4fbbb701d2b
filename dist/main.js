import { createRequire as __durableCreateRequire } from 'node:module';
const require = __durableCreateRequire(import.meta.url);
import {
  failureMarker,
  readWatchdogSettings,
  runPipeline,
  watchdogFromSettings
} from "./chunks/chunk-QFZUXIFA.js";
import {
  Outputs,
  SettingsError,
  States,
  actionsLog,
  getInput,
  group,
  info,
  readSettings,
  renderSummary,
  saveState,
  secretValues,
  setFailed,
  setOutput,
  setSecret,
  summary,
  warning
} from "./chunks/chunk-W66ZCXMO.js";

// src/action/run-action.ts
import os from "node:os";

// src/action/run-watchdog.ts
async function runWatchdogAction(signal) {
  const settings = readWatchdogSettings((name) => getInput(name), process.env);
  setSecret(settings.token);
  const result = await watchdogFromSettings(
    settings,
    { info: (message) => info(message), warning: (message) => warning(message) },
    signal,
    (run, body) => group(`Watchdog: run ${run.runId}${run.workflowName ? ` of ${run.workflowName}` : ""}`, body)
  );
  setOutput(Outputs.decision, result.decision);
  setOutput(Outputs.reason, result.reason);
  info(`Decision: ${result.decision} (${result.reason})`);
}

// src/action/run-action.ts
function setOutputs(result) {
  setOutput(Outputs.conclusion, result.conclusion);
  setOutput(Outputs.sessionId, result.sessionId ?? "");
  setOutput(Outputs.executionFile, result.executionFile);
  setOutput(Outputs.failureReason, result.failureReason);
  setOutput(Outputs.attempts, String(result.attempts.length));
  setOutput(Outputs.resumedSessions, String(result.attempts.filter((a) => a.mode === "resume").length));
  setOutput(Outputs.freshSessionFallbacks, String(result.freshAfterLostSession));
  setOutput(Outputs.apiRetries, String(result.apiRetries));
  setOutput(Outputs.resumed, String(result.resumed));
  setOutput(Outputs.restoredFrom, result.restoredFrom);
  setOutput(Outputs.checkpointKey, result.checkpointKey);
  setOutput(Outputs.checkpointsSaved, String(result.checkpointsSaved));
}
async function writeSummary(agent, result) {
  try {
    const markdown = renderSummary({
      conclusion: result.conclusion,
      failureReason: result.failureReason,
      failureMessage: result.failureMessage,
      agent,
      sessionId: result.sessionId,
      attempts: [...result.earlierAttempts, ...result.attempts.map((attempt) => ({
        runAttempt: result.runAttempt,
        number: attempt.number,
        startedAt: attempt.startedAt,
        durationMs: attempt.durationMs,
        mode: attempt.mode,
        outcome: attempt.classification.kind,
        reason: attempt.classification.reason,
        apiRetries: attempt.apiRetries,
        costUsd: attempt.costUsd,
        turns: attempt.numTurns
      }))],
      waits: result.waits,
      checkpoints: result.checkpoints,
      totalCostUsd: result.totals.costUsd > 0 ? result.totals.costUsd : sumDefined(result.attempts.map((attempt) => attempt.costUsd)),
      totalTurns: result.totals.turns > 0 ? result.totals.turns : sumDefined(result.attempts.map((attempt) => attempt.numTurns))
    });
    await summary.addRaw(markdown).write();
  } catch (error) {
    warning(`Could not write the job summary: ${error instanceof Error ? error.message : String(error)}`);
  }
}
function sumDefined(values) {
  const known = values.filter((value) => value !== void 0);
  return known.length > 0 ? known.reduce((sum, value) => sum + value, 0) : void 0;
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
    if (getInput("mode") === "watchdog") {
      await runWatchdogAction(controller.signal);
      return;
    }
    const settings = readSettings((name) => getInput(name), {
      baseDir: process.env.GITHUB_WORKSPACE ?? process.cwd(),
      tempDir: process.env.RUNNER_TEMP ?? os.tmpdir(),
      job: process.env.GITHUB_JOB
    });
    for (const secret of secretValues(settings)) setSecret(secret);
    saveState(States.stateDir, settings.homeDir);
    const result = await runPipeline({
      settings,
      log: actionsLog(),
      env: process.env,
      signal: controller.signal,
      onCheckpoint: (state) => {
        saveState(States.lastSequence, String(state.lastSequence));
        saveState(States.sessionId, state.sessionId ?? "");
        saveState(States.baseCommit, state.baseCommit);
        saveState(States.history, JSON.stringify({ attempts: state.attempts.slice(-100), totals: state.totals }));
      }
    });
    setOutputs(result);
    await writeSummary(settings.agent, result);
    if (result.conclusion === "failure") {
      const marker = result.failureKind ? ` ${failureMarker(result.failureKind, result.failureReason)}` : "";
      setFailed(`${result.failureReason}: ${result.failureMessage}${marker}`);
    }
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
