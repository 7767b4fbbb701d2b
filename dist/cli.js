#!/usr/bin/env node
import { createRequire as __durableCreateRequire } from 'node:module';
const require = __durableCreateRequire(import.meta.url);
import {
  runPipeline
} from "./chunks/chunk-5PY4BP2Q.js";
import {
  INPUT_NAMES,
  SettingsError,
  readSettings,
  terminalLog
} from "./chunks/chunk-UWKBHRAP.js";

// src/cli/run-command.ts
import { createHash } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
var SECRET_FROM_ENV = {
  anthropic_api_key: "ANTHROPIC_API_KEY",
  claude_code_oauth_token: "CLAUDE_CODE_OAUTH_TOKEN",
  github_token: "GITHUB_TOKEN"
};
var ACTION_ONLY = /* @__PURE__ */ new Set(["matrix"]);
var FLAG_INPUTS = INPUT_NAMES.filter((name) => !(name in SECRET_FROM_ENV) && !ACTION_ONLY.has(name));
function flagName(input) {
  return input.replaceAll("_", "-");
}
var RUN_HELP = `Usage: durable-agent run --prompt TEXT [options] [-- extra agent arguments]

Runs Claude Code or OpenCode under durable-agent outside GitHub Actions.

Options (each is the action input of the same name, with dashes):
  --agent claude|opencode           agent CLI to run (default claude)
  --prompt TEXT                     the task
  --prompt-file FILE                read the task from a file instead
  --claude-args ARGS                extra arguments for claude, split like a shell would
  --opencode-args ARGS              extra arguments for opencode run
  --model NAME                      model to use
  --working-directory DIR           where the agent works (default: current folder)
  --claude-code-version V           version installed when claude is not on PATH (default pinned)
  --opencode-version V              version installed when opencode is not on PATH (default pinned)
  --path-to-claude-code-executable FILE
  --path-to-opencode-executable FILE
  --attempt-timeout DURATION        longest one agent run may take (90s, 15m, 2h; default 6h)
  --idle-timeout DURATION           end the agent after this long without output (default 15m)

Retry (process retry resumes the same session):
  --max-attempts N                  agent starts allowed, the first included (default 5)
  --initial-delay DURATION          backoff before the first retry (default 10s, full jitter)
  --max-delay DURATION              longest wait between attempts (default 5m)
  --backoff-factor X                backoff growth (default 2)
  --max-retry-time DURATION         overall retry budget (default 2h)
  --retry-on REGEXES                newline-separated patterns that make a failure transient
  --never-retry-on REGEXES          newline-separated patterns that make a failure fatal
  --retry-unknown true|false        retry exits with no evidence of their cause (default true)
  --resume-prompt TEXT              message sent when resuming a session
  --api-proxy true|false            local API retry proxy in front of the model API (default true)
  --api-retry-attempts N            tries per API request in the proxy (default 5)
  --api-max-delay DURATION          longest wait of the proxy between tries (default 30s)

Checkpoints (the local store by default):
  --checkpoint-store local|none|cache|artifact|both
  --checkpoint-dir DIR              local store folder (default: in --home)
  --checkpoint-paths GLOBS          newline-separated experiment outputs to include
  --checkpoint-interval DURATION    checkpoint this often when something changed (default 10m)
  --checkpoint-min-gap DURATION     least time between checkpoints after agent turns (default 2m)
  --checkpoint-id ID                names the lineage of checkpoints (default: the job)
  --resume-from run|branch|none     what to resume (default run)
  --keep-checkpoints N              how many to keep (default 5)
  --retention-days N                artifact retention (default 7)
  --artifact-every-checkpoint true|false
  --secret-values VALUES            newline-separated values never to store

Budget (over every attempt and re-run of the lineage):
  --max-total-cost-usd X            stop retrying once the agent-reported cost reaches X (0: no bound)
  --max-total-turns N               stop retrying once the agent turns reach N (0: no bound)

Other:
  --home DIR                        folder for the agent's state and the execution file
                                    (default: a folder per working directory in the OS temp folder)
  -h, --help                        this help

Secrets come from the environment: ANTHROPIC_API_KEY, CLAUDE_CODE_OAUTH_TOKEN, GITHUB_TOKEN.
Arguments after -- go to the agent CLI as they are.
Exit status: 0 when the agent succeeded, 1 when it failed, 2 for bad arguments.`;
async function runCommand(argv, env) {
  const options = Object.fromEntries(FLAG_INPUTS.map((name) => [flagName(name), { type: "string" }]));
  const { values: parsed, positionals } = parseArgs({
    args: [...argv],
    options: { ...options, home: { type: "string" }, help: { type: "boolean", short: "h" } },
    allowPositionals: true,
    strict: true
  });
  const values = parsed;
  if (values.help) {
    process.stdout.write(`${RUN_HELP}
`);
    return 0;
  }
  const flag = (name) => {
    const value = values[name];
    return typeof value === "string" ? value : void 0;
  };
  const workingDirectory = path.resolve(flag("working-directory") ?? ".");
  const home = flag("home") ?? path.join(os.tmpdir(), `durable-agent-${createHash("sha256").update(workingDirectory).digest("hex").slice(0, 12)}`);
  const settings = readSettings(
    (name) => {
      const fromEnv = SECRET_FROM_ENV[name];
      if (fromEnv) return env[fromEnv];
      if (ACTION_ONLY.has(name)) return void 0;
      if (name === "checkpoint_store") return flag(flagName(name)) ?? "local";
      const agentArgs = name === "claude_args" || name === "opencode_args";
      const given = flag(flagName(name));
      if (agentArgs && positionals.length > 0) return [given ?? "", ...positionals.map(quoteWord)].join(" ");
      return given;
    },
    { baseDir: process.cwd(), tempDir: home, job: env.GITHUB_JOB }
  );
  const log = terminalLog();
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const result = await runPipeline({ settings, log, env, signal: controller.signal });
    const lines = [
      `conclusion=${result.conclusion}`,
      `attempts=${result.attempts.length}`,
      `session_id=${result.sessionId ?? ""}`,
      `execution_file=${result.executionFile}`,
      `failure_reason=${result.failureReason}`,
      `resumed_sessions=${result.attempts.filter((attempt) => attempt.mode === "resume").length}`,
      `fresh_session_fallbacks=${result.freshAfterLostSession}`,
      `api_retries=${result.apiRetries}`,
      `resumed=${result.resumed}`,
      `restored_from=${result.restoredFrom}`,
      `checkpoint_key=${result.checkpointKey}`,
      `checkpoints_saved=${result.checkpointsSaved}`
    ];
    process.stdout.write(`${lines.join("\n")}
`);
    if (result.conclusion === "failure") log.error(`${result.failureReason}: ${result.failureMessage}`);
    return result.conclusion === "success" ? 0 : 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
function quoteWord(word) {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

// src/cli/main.ts
var HELP = `Usage: durable-agent <command> [options]

Commands:
  run        run an agent with retries (durable-agent run --help)

durable-agent runs Claude Code or OpenCode so that transient API failures cost seconds, not hours.`;
async function cliMain(argv, env) {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "run":
        return await runCommand(rest, env);
      case void 0:
      case "-h":
      case "--help":
      case "help":
        process.stdout.write(`${HELP}
`);
        return command === void 0 ? 2 : 0;
      default:
        process.stderr.write(`durable-agent: unknown command '${command}'

${HELP}
`);
        return 2;
    }
  } catch (error) {
    if (error instanceof SettingsError || error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`durable-agent: ${error.message}
`);
      if (command === "run" && !(error instanceof SettingsError)) process.stderr.write(`
${RUN_HELP}
`);
      return 2;
    }
    process.stderr.write(`durable-agent: ${error instanceof Error ? error.stack ?? error.message : String(error)}
`);
    return 1;
  }
}

// src/cli.ts
process.exitCode = await cliMain(process.argv.slice(2), process.env);
