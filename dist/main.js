import { createRequire as __durableCreateRequire } from 'node:module';
import { fileURLToPath as __durableFileURLToPath } from 'node:url';
import { dirname as __durableDirname } from 'node:path';
const require = __durableCreateRequire(import.meta.url);
const __filename = __durableFileURLToPath(import.meta.url);
const __dirname = __durableDirname(__filename);
import {
  SettingsError,
  actionsLog,
  formatDuration,
  readSettings,
  runPipeline,
  secretValues
} from "./chunks/chunk-LP5R7REO.js";
import {
  Outputs,
  States,
  getInput,
  saveState,
  setFailed,
  setOutput,
  setSecret,
  summary,
  warning
} from "./chunks/chunk-574JSCTU.js";

// src/action/run-action.ts
import os from "node:os";

// src/report/failure-marker.ts
function failureMarker(kind, reason) {
  return `[durable-agent:${kind}:${reason}]`;
}

// src/report/summary.ts
var KEEP_HEAD = 20;
var KEEP_TAIL = 30;
function elide(items) {
  if (items.length <= KEEP_HEAD + KEEP_TAIL) return { head: items, skipped: 0, tail: [] };
  return { head: items.slice(0, KEEP_HEAD), skipped: items.length - KEEP_HEAD - KEEP_TAIL, tail: items.slice(-KEEP_TAIL) };
}
function cell(text) {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ").slice(0, 300);
}
function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit] ?? "GiB"}`;
}
function time(date) {
  return date.toISOString().slice(11, 19);
}
function table(header, rows, render) {
  const { head, skipped, tail } = elide(rows);
  const line = (cells) => `| ${cells.map(cell).join(" | ")} |`;
  const out = [line(header), `|${header.map(() => "---").join("|")}|`, ...head.map((row) => line(render(row)))];
  if (skipped > 0) out.push(line([`\u2026 ${skipped} more \u2026`, ...header.slice(1).map(() => "")]));
  out.push(...tail.map((row) => line(render(row))));
  return out.join("\n");
}
function label(text) {
  return text.replace(/[:#;,\n\r]/g, " ").replace(/\s+/g, " ").trim().slice(0, 60) || "step";
}
function mermaidTimeline(input) {
  const lines = ["gantt", "  title durable-agent timeline", "  dateFormat x", "  axisFormat %H:%M:%S"];
  const attempts = elide(input.attempts);
  lines.push("  section Attempts");
  for (const attempt of [...attempts.head, ...attempts.tail]) {
    const tag = attempt.outcome === "success" ? "done, " : attempt.outcome === "fatal" ? "crit, " : "active, ";
    const start = attempt.startedAt.getTime();
    lines.push(`  Attempt ${attempt.number} ${label(attempt.reason)} :${tag}a${attempt.number}, ${start}, ${start + Math.max(1, attempt.durationMs)}`);
  }
  const waits = elide(input.waits);
  if (waits.head.length > 0) {
    lines.push("  section Backoff");
    [...waits.head, ...waits.tail].forEach((wait, index) => {
      const start = wait.startedAt.getTime();
      lines.push(`  Wait ${formatDuration(wait.ms)} ${label(wait.reason)} :w${index + 1}, ${start}, ${start + Math.max(1, wait.ms)}`);
    });
  }
  const checkpoints = elide(input.checkpoints);
  if (checkpoints.head.length > 0) {
    lines.push("  section Checkpoints");
    [...checkpoints.head, ...checkpoints.tail].forEach((checkpoint, index) => {
      const start = checkpoint.at.getTime();
      lines.push(`  ${checkpoint.kind === "saved" ? "Saved" : "Restored"} ${checkpoint.sequence} ${label(checkpoint.store)} :milestone, c${index + 1}, ${start}, ${start + 1}`);
    });
  }
  return lines.join("\n");
}
function renderSummary(input) {
  const parts = [];
  const icon = input.conclusion === "success" ? "\u2705" : "\u274C";
  parts.push(`## ${icon} durable-agent: ${input.conclusion}${input.failureReason ? ` (${input.failureReason})` : ""}`);
  if (input.failureMessage) parts.push(`> ${cell(input.failureMessage)}`);
  const waited = input.waits.reduce((sum, wait) => sum + wait.ms, 0);
  const apiRetries = input.attempts.reduce((sum, attempt) => sum + attempt.apiRetries, 0);
  const facts = [
    `Agent: **${input.agent}**${input.sessionId ? `, session \`${input.sessionId}\`` : ""}`,
    `Attempts: **${input.attempts.length}** (${input.attempts.filter((a) => a.mode === "resume").length} resumed a session)`,
    `API calls retried by the proxy: **${apiRetries}**`,
    `Time waiting on backoff: **${formatDuration(waited)}**`
  ];
  if (input.totalCostUsd !== void 0) facts.push(`Cost: **$${input.totalCostUsd.toFixed(4)}**`);
  if (input.totalTurns !== void 0) facts.push(`Turns: **${input.totalTurns}**`);
  parts.push(facts.map((fact) => `- ${fact}`).join("\n"));
  parts.push("### Attempts");
  parts.push(
    table(["#", "started", "length", "ended", "reason", "session", "API retries", "cost"], input.attempts, (attempt) => [
      `${attempt.runAttempt !== void 0 ? `${attempt.runAttempt}.` : ""}${attempt.number}`,
      time(attempt.startedAt),
      formatDuration(attempt.durationMs),
      attempt.outcome,
      attempt.reason,
      attempt.mode === "resume" ? "resumed" : "new",
      String(attempt.apiRetries),
      attempt.costUsd !== void 0 ? `$${attempt.costUsd.toFixed(4)}` : ""
    ])
  );
  if (input.checkpoints.length > 0) {
    parts.push("### Checkpoints");
    parts.push(
      table(["", "time", "sequence", "size", "store", "took"], input.checkpoints, (checkpoint) => [
        checkpoint.kind,
        time(checkpoint.at),
        String(checkpoint.sequence),
        formatBytes(checkpoint.sizeBytes),
        checkpoint.store,
        checkpoint.durationMs !== void 0 ? formatDuration(checkpoint.durationMs) : ""
      ])
    );
  }
  parts.push("### Timeline");
  parts.push(["```mermaid", mermaidTimeline(input), "```"].join("\n"));
  return `${parts.join("\n\n")}
`;
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
}
async function writeSummary(agent, result) {
  try {
    const markdown = renderSummary({
      conclusion: result.conclusion,
      failureReason: result.failureReason,
      failureMessage: result.failureMessage,
      agent,
      sessionId: result.sessionId,
      attempts: result.attempts.map((attempt) => ({
        number: attempt.number,
        startedAt: attempt.startedAt,
        durationMs: attempt.durationMs,
        mode: attempt.mode,
        outcome: attempt.classification.kind,
        reason: attempt.classification.reason,
        apiRetries: attempt.apiRetries,
        costUsd: attempt.costUsd,
        turns: attempt.numTurns
      })),
      waits: result.waits,
      checkpoints: [],
      totalCostUsd: sumDefined(result.attempts.map((attempt) => attempt.costUsd)),
      totalTurns: sumDefined(result.attempts.map((attempt) => attempt.numTurns))
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
    const settings = readSettings((name) => getInput(name), {
      baseDir: process.env.GITHUB_WORKSPACE ?? process.cwd(),
      tempDir: process.env.RUNNER_TEMP ?? os.tmpdir()
    });
    for (const secret of secretValues(settings)) setSecret(secret);
    saveState(States.stateDir, settings.homeDir);
    const result = await runPipeline({ settings, log: actionsLog(), env: process.env, signal: controller.signal });
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
