import { createRequire as __durableCreateRequire } from 'node:module';
const require = __durableCreateRequire(import.meta.url);
import {
  States,
  actionsLog,
  createAdapter,
  external_exports,
  getInput,
  getState,
  group,
  info,
  openJobCheckpoints,
  readSettings,
  warning
} from "./chunks/chunk-W66ZCXMO.js";

// src/action/run-post.ts
import os from "node:os";
var historySchema = external_exports.object({
  attempts: external_exports.array(external_exports.record(external_exports.string(), external_exports.unknown())),
  totals: external_exports.object({ costUsd: external_exports.number().nonnegative(), turns: external_exports.number().int().nonnegative() })
});
function readHistory(text) {
  if (!text) return void 0;
  try {
    const parsed = historySchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : void 0;
  } catch {
    return void 0;
  }
}
async function runPost() {
  try {
    const started = getState(States.mainStarted) === "true";
    const finished = getState(States.mainFinished) === "true";
    if (!started) {
      info("durable-agent did not start in this job: nothing to do.");
      return;
    }
    if (finished) {
      info("durable-agent finished in the main step: nothing to do.");
      return;
    }
    const baseCommit = getState(States.baseCommit);
    if (!baseCommit) {
      info("durable-agent did not finish, but it stopped before checkpoints were set up: nothing to save.");
      return;
    }
    await group("Final checkpoint (main did not finish)", async () => {
      const settings = readSettings((name) => getInput(name), {
        baseDir: process.env.GITHUB_WORKSPACE ?? process.cwd(),
        tempDir: process.env.RUNNER_TEMP ?? os.tmpdir(),
        job: process.env.GITHUB_JOB
      });
      const adapter = createAdapter({ settings, apiBaseUrl: void 0 });
      const job = await openJobCheckpoints({
        settings,
        adapter,
        env: process.env,
        log: actionsLog(),
        restore: false,
        baseCommit,
        lastSequence: Number(getState(States.lastSequence)) || 0
      });
      if (!job) return;
      job.scheduler.sessionId = getState(States.sessionId) || void 0;
      const history = readHistory(getState(States.history));
      if (history) {
        job.scheduler.attempts = history.attempts;
        job.scheduler.totals = history.totals;
      }
      await job.scheduler.save("post step: main did not finish", { force: true, final: true });
    });
  } catch (error) {
    warning(`post step: ${error instanceof Error ? error.message : String(error)}`);
  }
}

// src/post.ts
await runPost();
