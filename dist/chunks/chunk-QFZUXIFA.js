import { createRequire as __durableCreateRequire } from 'node:module';
const require = __durableCreateRequire(import.meta.url);
import {
  INPUT_DEFAULTS,
  RUNNER_CREDENTIAL_VARIABLES,
  SettingsError,
  createAdapter,
  duration,
  exec,
  external_exports,
  formatDuration,
  formatIssues,
  getOctokit,
  integer,
  nextLaunch,
  openJobCheckpoints,
  optionalText,
  patterns,
  which
} from "./chunk-W66ZCXMO.js";

// src/pipeline.ts
import path3 from "node:path";

// src/agents/locate-cli.ts
import { access, constants } from "node:fs/promises";
import path from "node:path";
async function isExecutable(file) {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
async function locateCli(adapter, options, log) {
  if (options.explicitPath) {
    const file = path.resolve(options.explicitPath);
    if (!await isExecutable(file)) throw new Error(`${adapter.label} executable not found or not executable: ${file}`);
    return { executable: file, source: "input" };
  }
  if (options.searchPath) {
    const found = await which(adapter.executableName, false);
    if (found) return { executable: found, source: "path" };
  }
  const prefix = path.join(options.toolsDir, `${adapter.executableName}-${options.version}`);
  const installed = path.join(prefix, "node_modules", ".bin", adapter.executableName);
  if (await isExecutable(installed)) return { executable: installed, source: "tool-cache" };
  log.info(`${adapter.executableName} is not on PATH: installing ${adapter.npmPackage}@${options.version} with npm into ${prefix}`);
  const code = await exec(
    "npm",
    ["install", "--prefix", prefix, "--no-save", "--no-audit", "--no-fund", "--loglevel=error", `${adapter.npmPackage}@${options.version}`],
    { ignoreReturnCode: true }
  );
  if (code !== 0 || !await isExecutable(installed)) {
    throw new Error(`installing ${adapter.npmPackage}@${options.version} failed (npm exit code ${code})`);
  }
  return { executable: installed, source: "installed" };
}

// src/report/execution-file.ts
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { once } from "node:events";
import path2 from "node:path";
var ExecutionFile = class _ExecutionFile {
  constructor(path4, stream) {
    this.path = path4;
    this.stream = stream;
  }
  path;
  stream;
  static async open(file) {
    await mkdir(path2.dirname(file), { recursive: true });
    const stream = createWriteStream(file, { flags: "a" });
    await once(stream, "open");
    return new _ExecutionFile(file, stream);
  }
  async write(line) {
    if (!this.stream.write(`${line}
`)) await once(this.stream, "drain");
  }
  async close() {
    await new Promise((resolve, reject) => this.stream.end((error) => error ? reject(error) : resolve()));
  }
};

// src/report/transcript.ts
var MAX_TEXT = 2e3;
var MAX_TOOL_OUTPUT = 400;
function clip(text, max) {
  const trimmed = text.trim();
  return trimmed.length > max ? `${trimmed.slice(0, max)}\u2026 (${trimmed.length - max} more characters)` : trimmed;
}
function indent(text, prefix) {
  return text.split("\n").map((line) => prefix + line).join("\n");
}
function summarizeToolInput(input) {
  if (input && typeof input === "object") {
    for (const key of ["command", "file_path", "filePath", "path", "pattern", "url", "description"]) {
      const value = input[key];
      if (typeof value === "string" && value !== "") return clip(value, 300);
    }
  }
  return clip(JSON.stringify(input) ?? "", 300);
}
function renderEvent(event) {
  switch (event.type) {
    case "init":
      return `Session ${event.sessionId}${event.model ? ` \xB7 model ${event.model}` : ""}${event.version ? ` \xB7 v${event.version}` : ""}`;
    case "text":
      return event.text.trim() ? clip(event.text, MAX_TEXT) : void 0;
    case "tool_call":
      return `\u25B6 ${event.name}: ${summarizeToolInput(event.input)}`;
    case "tool_result": {
      const output = clip(event.output, MAX_TOOL_OUTPUT);
      return `${event.ok ? "  \u2713" : "  \u2717"} ${event.name ?? "tool"}${output ? `
${indent(output, "    ")}` : ""}`;
    }
    case "api_retry":
      return `\u27F3 API call retried by the agent (${event.attempt}${event.maxRetries ? `/${event.maxRetries}` : ""})${event.status ? ` after HTTP ${event.status}` : ""}${event.error ? ` ${event.error}` : ""}${event.delayMs !== void 0 ? `, waiting ${formatDuration(event.delayMs)}` : ""}`;
    case "error":
      return `\u2717 ${event.status ? `HTTP ${event.status}: ` : ""}${clip(event.message, MAX_TEXT)}`;
    case "result": {
      const facts = [event.subtype, event.numTurns !== void 0 ? `${event.numTurns} turns` : "", event.costUsd !== void 0 ? `$${event.costUsd.toFixed(4)}` : ""].filter(Boolean).join(", ");
      return `${event.isError ? "\u2717 Agent finished with an error" : "\u2713 Agent finished"} (${facts})${event.isError && event.text ? `: ${clip(event.text, MAX_TEXT)}` : ""}`;
    }
    case "not_json":
      return event.line.trim() ? clip(event.line, MAX_TEXT) : void 0;
    case "turn":
    case "other":
      return void 0;
  }
}

// src/runner/child-env.ts
function childEnvironment(base, overrides, defaults = {}) {
  const env = {};
  const dropped = new Set(RUNNER_CREDENTIAL_VARIABLES);
  for (const [name, value] of Object.entries(base)) {
    if (value === void 0 || dropped.has(name) || name.startsWith("INPUT_")) continue;
    env[name] = value;
  }
  for (const [name, value] of Object.entries(defaults)) {
    env[name] ??= value;
  }
  for (const [name, value] of Object.entries(overrides)) {
    if (value !== void 0) env[name] = value;
  }
  return env;
}

// src/runner/evidence.ts
var EvidenceCollector = class {
  sessionId;
  result;
  errors = [];
  finishedAfterLastError = false;
  agentRetries = 0;
  turns = 0;
  /** Summed from per-turn costs (OpenCode) unless the agent reports a total (Claude's result). */
  costUsd;
  constructor(sessionId) {
    this.sessionId = sessionId;
  }
  add(event) {
    switch (event.type) {
      case "init":
        this.sessionId = event.sessionId;
        break;
      case "result":
        this.result = event;
        if (event.costUsd !== void 0) this.costUsd = event.costUsd;
        if (event.sessionId) this.sessionId = event.sessionId;
        break;
      case "error":
        this.errors.push(event);
        this.finishedAfterLastError = false;
        break;
      case "turn":
        this.turns += 1;
        if (event.costUsd !== void 0 && this.result === void 0) this.costUsd = (this.costUsd ?? 0) + event.costUsd;
        if (event.reason === "stop" || event.reason === "end_turn") this.finishedAfterLastError = true;
        break;
      case "api_retry":
        this.agentRetries += 1;
        break;
      default:
        break;
    }
  }
  get numTurns() {
    return this.result?.numTurns ?? (this.turns || void 0);
  }
};

// src/runner/classify.ts
var TRANSIENT = /* @__PURE__ */ new Set([
  "server_error",
  "overloaded",
  "rate_limited",
  "network",
  "stalled",
  "attempt_timeout",
  "matched_retry_on"
]);
function verdict(reason, message) {
  return { kind: TRANSIENT.has(reason) ? "transient" : "fatal", reason, message };
}
var TEXT_PATTERNS = [
  [/No conversation found with session ID|Session .* not found|session not found/i, "session_not_found"],
  [/credit balance is too low|insufficient[_ ]quota|billing|exceeded your (current )?quota/i, "quota"],
  [/overloaded_error|API Error: 529|\b529\b.*overloaded|"Overloaded"|\bOverloaded\b/i, "overloaded"],
  [/rate_limit_error|Request rejected \(429\)|API Error: 429|rate limit/i, "rate_limited"],
  [/authentication_error|permission_error|Invalid API key|invalid x-api-key|API Error: 40[13]|OAuth token (has )?expired|Unauthorized/i, "auth"],
  [/invalid_request_error|API Error: 400|prompt is too long|context (length|window)|maximum context/i, "bad_request"],
  [/api_error|Internal server error|API Error: 5\d\d|Bad Gateway|Service Unavailable|Gateway Timeout/i, "server_error"],
  [/ECONNRESET|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|ENOTFOUND|EPIPE|socket hang up|fetch failed|Connection dropped|Connection to the API was lost|connection error|Request timed out|network error|terminated|stream (closed|ended) (early|unexpectedly)/i, "network"]
];
function reasonFromText(text) {
  for (const [pattern, reason] of TEXT_PATTERNS) if (pattern.test(text)) return reason;
  return void 0;
}
function reasonFromStatus(status, type) {
  switch (type) {
    case "overloaded_error":
      return "overloaded";
    case "rate_limit_error":
      return "rate_limited";
    case "authentication_error":
    case "permission_error":
      return "auth";
    case "api_error":
      return "server_error";
  }
  if (status === void 0 || status === null) return void 0;
  if (status === 529) return "overloaded";
  if (status === 429) return "rate_limited";
  if (status === 401 || status === 403) return "auth";
  if (status === 402) return "quota";
  if (status >= 500) return "server_error";
  if (status >= 400) return "bad_request";
  return void 0;
}
function firstLine(text, max = 500) {
  const line = text.trim().split("\n")[0] ?? "";
  return line.length > max ? `${line.slice(0, max)}\u2026` : line;
}
function classifyAttempt(evidence, options = {}) {
  const base = classifyEvidence(evidence, options.retryUnknown ?? true);
  if (base.kind === "success" || base.reason === "cancelled") return base;
  const haystack = `${base.message}
${evidence.result?.text ?? ""}
${evidence.errors.map((e) => e.message).join("\n")}
${evidence.tail}`;
  if (options.neverRetryOn?.some((pattern) => pattern.test(haystack))) {
    return { kind: "fatal", reason: base.kind === "fatal" ? base.reason : "matched_never_retry_on", message: base.message };
  }
  if (base.kind === "fatal" && options.retryOn?.some((pattern) => pattern.test(haystack))) {
    return { kind: "transient", reason: "matched_retry_on", message: base.message };
  }
  return base;
}
function classifyEvidence(evidence, retryUnknown) {
  if (evidence.spawnError) return verdict("agent_not_started", evidence.spawnError);
  switch (evidence.stoppedBy) {
    case "cancelled":
      return verdict("cancelled", "the run was cancelled");
    case "idle_timeout":
      return verdict("stalled", "the agent printed nothing for longer than idle_timeout");
    case "attempt_timeout":
      return verdict("attempt_timeout", "the attempt ran longer than attempt_timeout");
  }
  const result = evidence.result;
  if (result) {
    if (!result.isError && evidence.exitCode === 0) return { kind: "success", reason: "success", message: firstLine(result.text) };
    const message = firstLine(result.text) || `the agent reported ${result.subtype}`;
    if (result.subtype === "error_max_turns" || result.terminalReason === "max_turns") return verdict("max_turns", message);
    const byText2 = reasonFromText(result.text);
    if (byText2 === "quota" || byText2 === "session_not_found") return verdict(byText2, message);
    const byStatus = reasonFromStatus(result.apiErrorStatus, result.apiErrorType);
    if (byStatus) return verdict(byStatus, message);
    if (byText2) return verdict(byText2, message);
    if (result.isError) return unknown(message, retryUnknown);
  }
  const lastError = evidence.errors.at(-1);
  if (lastError && !evidence.finishedAfterLastError) {
    const message = firstLine(lastError.message);
    const byText2 = reasonFromText(lastError.message);
    if (byText2 === "quota" || byText2 === "session_not_found") return verdict(byText2, message);
    const byStatus = reasonFromStatus(lastError.status);
    if (byStatus) return verdict(byStatus, message);
    if (byText2) return verdict(byText2, message);
    return unknown(message, retryUnknown);
  }
  if (evidence.exitCode === 0) return { kind: "success", reason: "success", message: result ? firstLine(result.text) : "" };
  const byText = reasonFromText(evidence.tail);
  const ending = evidence.signal ? `the agent was killed by ${evidence.signal}` : `the agent exited with code ${evidence.exitCode}`;
  if (byText) return verdict(byText, `${ending}: ${lastMatchingLine(evidence.tail)}`);
  const byProxy = reasonFromProxy(evidence.proxy);
  if (byProxy) return verdict(byProxy.reason, `${ending}; the model API had just answered ${byProxy.what}`);
  return unknown(`${ending} without saying why`, retryUnknown);
}
function reasonFromProxy(proxy) {
  if (!proxy || proxy.passedOnFailures === 0) return void 0;
  const [status] = Object.entries(proxy.failuresByStatus).sort((a, b) => b[1] - a[1])[0] ?? [];
  if (status === void 0) return void 0;
  if (status === "network" || status === "timeout") return { reason: "network", what: `with ${status} failures` };
  const reason = reasonFromStatus(Number(status));
  return reason ? { reason, what: `HTTP ${status}` } : void 0;
}
function unknown(message, retryUnknown) {
  return { kind: retryUnknown ? "transient" : "fatal", reason: "unknown", message };
}
function lastMatchingLine(tail) {
  const lines = tail.trim().split("\n").reverse();
  return firstLine(lines.find((line) => reasonFromText(line)) ?? lines[0] ?? "");
}

// src/runner/supervise.ts
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

// src/runner/tail-buffer.ts
var TailBuffer = class {
  constructor(limit = 64 * 1024) {
    this.limit = limit;
  }
  limit;
  chunks = [];
  length = 0;
  push(chunk) {
    this.chunks.push(chunk);
    this.length += chunk.length;
    while (this.chunks.length > 1 && this.length - (this.chunks[0]?.length ?? 0) >= this.limit) {
      this.length -= this.chunks.shift()?.length ?? 0;
    }
  }
  toString() {
    const text = this.chunks.join("");
    return text.length > this.limit ? text.slice(-this.limit) : text;
  }
};

// src/runner/supervise.ts
async function supervise(options) {
  const started = Date.now();
  const tail = new TailBuffer();
  const child = spawn(options.file, [...options.args], {
    cwd: options.cwd,
    env: { ...options.env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"]
  });
  let stoppedBy;
  let killTimer;
  let exited = false;
  const stop = (cause) => {
    if (stoppedBy !== void 0 || exited) return;
    stoppedBy = cause;
    signalGroup(child.pid, "SIGTERM");
    killTimer = setTimeout(() => signalGroup(child.pid, "SIGKILL"), options.killGraceMs);
  };
  let idleTimer;
  const touch = () => {
    if (options.idleTimeoutMs <= 0 || stoppedBy !== void 0) return;
    if (idleTimer) idleTimer.refresh();
    else idleTimer = setTimeout(() => stop("idle_timeout"), options.idleTimeoutMs);
  };
  const attemptTimer = setTimeout(() => stop("attempt_timeout"), options.attemptTimeoutMs);
  const onAbort = () => stop("cancelled");
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const exit = new Promise((resolve) => {
    child.once("error", (error) => resolve({ code: null, signal: null, error }));
    child.once("close", (code, signal) => resolve({ code, signal }));
  });
  child.once("exit", () => {
    exited = true;
    signalGroup(child.pid, "SIGKILL");
  });
  touch();
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => {
    touch();
    tail.push(chunk);
    options.onStderr?.(chunk);
  });
  for await (const line of createInterface({ input: child.stdout, crlfDelay: Infinity })) {
    touch();
    tail.push(line + "\n");
    await options.onLine(line);
  }
  const result = await exit;
  clearTimeout(attemptTimer);
  if (idleTimer) clearTimeout(idleTimer);
  if (killTimer) clearTimeout(killTimer);
  options.signal?.removeEventListener("abort", onAbort);
  return {
    exitCode: result.code,
    signal: result.signal,
    stoppedBy,
    tail: tail.toString(),
    durationMs: Date.now() - started,
    spawnError: result.error ? result.error.message : void 0,
    pid: child.pid
  };
}
function signalGroup(pid, signal) {
  if (pid === void 0) return;
  try {
    process.kill(-pid, signal);
  } catch {
  }
}

// src/runner/attempt.ts
async function runAttempt(options) {
  const { adapter, log } = options;
  const startedAt = /* @__PURE__ */ new Date();
  const launch = adapter.launch(options.request);
  const env = childEnvironment(options.baseEnv, launch.env, launch.envDefaults);
  const evidence = new EvidenceCollector(options.request.sessionId);
  const toolNames = /* @__PURE__ */ new Map();
  const outcome = await supervise({
    file: options.executable,
    args: launch.args,
    cwd: options.cwd,
    env,
    attemptTimeoutMs: options.attemptTimeoutMs,
    idleTimeoutMs: options.idleTimeoutMs,
    killGraceMs: options.killGraceMs,
    signal: options.signal,
    onStderr: (text) => log.info(text.trimEnd()),
    onLine: async (line) => {
      await options.executionFile.write(line);
      for (const event of adapter.parseLine(line)) {
        evidence.add(event);
        if (event.type === "init") options.onSessionId?.(event.sessionId);
        if (event.type === "tool_call") toolNames.set(event.id, event.name);
        if (event.type === "tool_result" || event.type === "turn") options.onProgress?.();
        const named = event.type === "tool_result" && !event.name ? { ...event, name: toolNames.get(event.id) } : event;
        if (event.type === "tool_result") toolNames.delete(event.id);
        const text = renderEvent(named);
        if (text !== void 0) log.info(text);
      }
    }
  });
  const proxy = options.takeProxyStats?.();
  const classification = classifyAttempt(
    {
      exitCode: outcome.exitCode,
      signal: outcome.signal,
      stoppedBy: outcome.stoppedBy,
      spawnError: outcome.spawnError,
      result: evidence.result,
      errors: evidence.errors,
      finishedAfterLastError: evidence.finishedAfterLastError,
      tail: outcome.tail,
      proxy
    },
    options.classify
  );
  return {
    number: options.number,
    mode: options.request.mode,
    sessionId: evidence.sessionId,
    startedAt,
    durationMs: outcome.durationMs,
    classification,
    exitCode: outcome.exitCode,
    signal: outcome.signal,
    agentRetries: evidence.agentRetries,
    apiRetries: proxy?.retriedRequests ?? 0,
    retryAfterMs: proxy?.lastRetryAfterMs,
    numTurns: evidence.numTurns,
    costUsd: evidence.costUsd
  };
}

// src/runner/retry-loop.ts
import { setTimeout as sleep } from "node:timers/promises";

// node_modules/is-network-error/index.js
var objectToString = Object.prototype.toString;
var isError = (value) => objectToString.call(value) === "[object Error]";
var errorMessages = /* @__PURE__ */ new Set([
  "network error",
  // Chrome
  "NetworkError when attempting to fetch resource.",
  // Firefox
  "The Internet connection appears to be offline.",
  // Safari 16
  "Network request failed",
  // `cross-fetch`
  "fetch failed",
  // Undici (Node.js)
  "terminated",
  // Undici (Node.js)
  " A network error occurred.",
  // Bun (WebKit)
  "Network connection lost"
  // Cloudflare Workers (fetch)
]);
function isNetworkError(error) {
  const isValid = error && isError(error) && error.name === "TypeError" && typeof error.message === "string";
  if (!isValid) {
    return false;
  }
  const { message, stack } = error;
  if (message === "Load failed" || message.startsWith("Load failed (") && message.endsWith(")")) {
    return stack === void 0 || "__sentry_captured__" in error;
  }
  if (message.startsWith("error sending request for url")) {
    return true;
  }
  if (message === "Failed to fetch" || message.startsWith("Failed to fetch (") && message.endsWith(")")) {
    return true;
  }
  return errorMessages.has(message);
}

// node_modules/p-retry/index.js
function validateRetries(retries) {
  if (typeof retries === "number") {
    if (retries < 0) {
      throw new TypeError("Expected `retries` to be a non-negative number.");
    }
    if (Number.isNaN(retries)) {
      throw new TypeError("Expected `retries` to be a valid number or Infinity, got NaN.");
    }
  } else if (retries !== void 0) {
    throw new TypeError("Expected `retries` to be a number or Infinity.");
  }
}
function validateNumberOption(name, value, { min = 0, allowInfinity = false } = {}) {
  if (value === void 0) {
    return;
  }
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(`Expected \`${name}\` to be a number${allowInfinity ? " or Infinity" : ""}.`);
  }
  if (!allowInfinity && !Number.isFinite(value)) {
    throw new TypeError(`Expected \`${name}\` to be a finite number.`);
  }
  if (value < min) {
    throw new TypeError(`Expected \`${name}\` to be \u2265 ${min}.`);
  }
}
function validateFunctionOption(name, value) {
  if (value === void 0) {
    return;
  }
  if (typeof value !== "function") {
    throw new TypeError(`Expected \`${name}\` to be a function.`);
  }
}
var AbortError = class extends Error {
  constructor(message) {
    super();
    if (message instanceof Error) {
      this.originalError = message;
      ({ message } = message);
    } else {
      this.originalError = new Error(message);
      this.originalError.stack = this.stack;
    }
    this.name = "AbortError";
    this.message = message;
  }
};
function calculateDelay(retriesConsumed, options) {
  const attempt = Math.max(1, retriesConsumed + 1);
  const random = options.randomize ? Math.random() + 1 : 1;
  let timeout = Math.round(random * options.minTimeout * options.factor ** (attempt - 1));
  timeout = Math.min(timeout, options.maxTimeout);
  return timeout;
}
function calculateRemainingTime(start, max) {
  if (!Number.isFinite(max)) {
    return max;
  }
  return max - (performance.now() - start);
}
async function delayForRetry(delay2, options) {
  if (delay2 <= 0) {
    return;
  }
  await new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timeoutToken);
      options.signal?.removeEventListener("abort", onAbort);
      reject(options.signal.reason);
    };
    const timeoutToken = setTimeout(() => {
      options.signal?.removeEventListener("abort", onAbort);
      resolve();
    }, delay2);
    if (options.unref) {
      timeoutToken.unref?.();
    }
    options.signal?.addEventListener("abort", onAbort, { once: true });
  });
}
async function onAttemptFailure({ error, attemptNumber, retriesConsumed, startTime, options }) {
  const normalizedError = error instanceof Error ? error : new TypeError(`Non-error was thrown: "${error}". You should only throw errors.`);
  if (normalizedError instanceof AbortError) {
    throw normalizedError.originalError;
  }
  const retriesLeft = Number.isFinite(options.retries) ? Math.max(0, options.retries - retriesConsumed) : options.retries;
  const maxRetryTime = options.maxRetryTime ?? Number.POSITIVE_INFINITY;
  const delayTime = calculateDelay(retriesConsumed, options);
  const remainingTimeBeforeCallbacks = calculateRemainingTime(startTime, maxRetryTime);
  if (remainingTimeBeforeCallbacks <= 0) {
    const context2 = Object.freeze({
      error: normalizedError,
      attemptNumber,
      retriesLeft,
      retriesConsumed,
      retryDelay: 0
    });
    await options.onFailedAttempt(context2);
    throw normalizedError;
  }
  const consumeRetryContext = Object.freeze({
    error: normalizedError,
    attemptNumber,
    retriesLeft,
    retriesConsumed,
    retryDelay: retriesLeft > 0 ? delayTime : 0
  });
  const consumeRetry = await options.shouldConsumeRetry(consumeRetryContext);
  const effectiveDelay = consumeRetry && retriesLeft > 0 ? delayTime : 0;
  const context = Object.freeze({
    error: normalizedError,
    attemptNumber,
    retriesLeft,
    retriesConsumed,
    retryDelay: effectiveDelay
  });
  await options.onFailedAttempt(context);
  if (calculateRemainingTime(startTime, maxRetryTime) <= 0) {
    throw normalizedError;
  }
  const remainingTime = calculateRemainingTime(startTime, maxRetryTime);
  if (remainingTime <= 0 || retriesLeft <= 0) {
    throw normalizedError;
  }
  if (normalizedError instanceof TypeError && !isNetworkError(normalizedError)) {
    throw normalizedError;
  }
  if (!await options.shouldRetry(context)) {
    throw normalizedError;
  }
  const remainingTimeAfterShouldRetry = calculateRemainingTime(startTime, maxRetryTime);
  if (remainingTimeAfterShouldRetry <= 0) {
    throw normalizedError;
  }
  if (!consumeRetry) {
    options.signal?.throwIfAborted();
    return false;
  }
  const finalDelay = Math.min(effectiveDelay, remainingTimeAfterShouldRetry);
  options.signal?.throwIfAborted();
  await delayForRetry(finalDelay, options);
  options.signal?.throwIfAborted();
  return true;
}
async function pRetry(input, options = {}) {
  options = { ...options };
  validateRetries(options.retries);
  if (Object.hasOwn(options, "forever")) {
    throw new Error("The `forever` option is no longer supported. For many use-cases, you can set `retries: Infinity` instead.");
  }
  options.retries ??= 10;
  options.factor ??= 2;
  options.minTimeout ??= 1e3;
  options.maxTimeout ??= Number.POSITIVE_INFINITY;
  options.maxRetryTime ??= Number.POSITIVE_INFINITY;
  options.randomize ??= false;
  options.onFailedAttempt ??= () => {
  };
  options.shouldRetry ??= () => true;
  options.shouldConsumeRetry ??= () => true;
  validateFunctionOption("onFailedAttempt", options.onFailedAttempt);
  validateFunctionOption("shouldRetry", options.shouldRetry);
  validateFunctionOption("shouldConsumeRetry", options.shouldConsumeRetry);
  validateNumberOption("factor", options.factor, { min: 0, allowInfinity: false });
  validateNumberOption("minTimeout", options.minTimeout, { min: 0, allowInfinity: false });
  validateNumberOption("maxTimeout", options.maxTimeout, { min: 0, allowInfinity: true });
  validateNumberOption("maxRetryTime", options.maxRetryTime, { min: 0, allowInfinity: true });
  if (!(options.factor > 0)) {
    options.factor = 1;
  }
  options.signal?.throwIfAborted();
  let attemptNumber = 0;
  let retriesConsumed = 0;
  const startTime = performance.now();
  while (Number.isFinite(options.retries) ? retriesConsumed <= options.retries : true) {
    attemptNumber++;
    try {
      options.signal?.throwIfAborted();
      const result = await input(attemptNumber);
      options.signal?.throwIfAborted();
      return result;
    } catch (error) {
      if (await onAttemptFailure({
        error,
        attemptNumber,
        retriesConsumed,
        startTime,
        options
      })) {
        retriesConsumed++;
      }
    }
  }
  throw new Error("Retry attempts exhausted without throwing an error.");
}

// src/runner/retry-policy.ts
var MIN_DELAY_MS = 100;
function retryDelayMs(policy, retry, hintMs, random = Math.random) {
  const floor = Math.max(MIN_DELAY_MS, Math.min(1e3, policy.maxDelayMs, policy.initialDelayMs));
  if (hintMs !== void 0 && hintMs >= 0) return Math.max(floor, Math.min(policy.maxDelayMs, hintMs));
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.backoffFactor ** Math.max(0, retry - 1));
  return Math.max(floor, Math.round(random() * ceiling));
}

// src/runner/retry-loop.ts
var AttemptFailed = class extends Error {
  constructor(record) {
    super(`${record.classification.reason}: ${record.classification.message}`);
    this.record = record;
  }
  record;
};
async function runWithRetries(options) {
  const { policy, log } = options;
  const attempts = [];
  const waits = [];
  let plan = options.first;
  let stoppedBecause;
  const run = async (attemptNumber) => {
    const record = await options.attempt(attemptNumber, plan);
    attempts.push(record);
    if (record.classification.kind === "success") return;
    if (record.classification.kind === "fatal" && record.classification.reason !== "session_not_found") {
      throw new AbortError(new AttemptFailed(record));
    }
    if (record.classification.reason === "session_not_found" && record.mode === "fresh") throw new AbortError(new AttemptFailed(record));
    const refusal = options.mayRetry?.(record);
    if (refusal) {
      stoppedBecause = refusal;
      throw new AbortError(new AttemptFailed(record));
    }
    throw new AttemptFailed(record);
  };
  try {
    await pRetry(run, {
      retries: Math.max(0, policy.maxAttempts - 1),
      // The delay is ours (full jitter, retry-after); p-retry keeps count and the overall budget.
      minTimeout: 0,
      maxTimeout: 0,
      maxRetryTime: policy.maxRetryTimeMs,
      signal: options.signal,
      shouldRetry: async ({ error, retriesConsumed }) => {
        if (!(error instanceof AttemptFailed)) return false;
        const record = error.record;
        const lostSession = record.classification.reason === "session_not_found";
        const ms = lostSession ? 0 : retryDelayMs(policy, retriesConsumed + 1, options.delayHint?.(record), options.random);
        plan = options.next(record);
        const reason = `${record.classification.reason}: ${record.classification.message.replace(/\.+$/, "")}`;
        if (ms > 0) {
          log.info(`Attempt ${record.number} ended with ${reason}. Waiting ${formatDuration(ms)} before attempt ${record.number + 1} (${plan.request.mode === "resume" ? `resuming session ${plan.request.sessionId ?? ""}` : "new session"}).`);
          waits.push({ afterAttempt: record.number, startedAt: /* @__PURE__ */ new Date(), ms, reason: record.classification.reason });
          await sleep(ms, void 0, { signal: options.signal });
        } else {
          log.info(`Attempt ${record.number} ended with ${reason}.`);
        }
        if (plan.note) log.warning(plan.note);
        return true;
      }
    });
  } catch (error) {
    const failed = error instanceof AttemptFailed ? error : error instanceof AbortError && error.originalError instanceof AttemptFailed ? error.originalError : void 0;
    if (!failed) {
      if (options.signal?.aborted) {
        log.warning("Cancelled while waiting to retry.");
        stoppedBecause = "cancelled";
      } else {
        throw error;
      }
    } else if (failed.record.classification.kind === "transient" && !stoppedBecause) {
      stoppedBecause = attempts.length >= policy.maxAttempts ? `max_attempts (${policy.maxAttempts}) reached` : "max_retry_time reached";
    }
  }
  return { attempts, waits, stoppedBecause };
}

// src/proxy/api-proxy.ts
import { Agent as HttpAgent, createServer, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { pipeline } from "node:stream/promises";
import { setTimeout as delay } from "node:timers/promises";
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";

// src/proxy/headers.ts
var HOP_BY_HOP = /* @__PURE__ */ new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade"
]);
function withoutHopByHop(headers, alsoDrop) {
  const listed = (headers.connection ?? "").split(",").map((name) => name.trim().toLowerCase()).filter((name) => name !== "");
  const drop = /* @__PURE__ */ new Set([...HOP_BY_HOP, ...listed, ...alsoDrop]);
  const result = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === void 0 || drop.has(name)) continue;
    result[name] = value;
  }
  return result;
}
function upstreamRequestHeaders(agentHeaders, upstreamHost, bodyLength) {
  const hadBody = agentHeaders["content-length"] !== void 0 || agentHeaders["transfer-encoding"] !== void 0;
  const headers = withoutHopByHop(agentHeaders, ["host", "content-length", "expect"]);
  headers.host = upstreamHost;
  if (hadBody || bodyLength > 0) headers["content-length"] = String(bodyLength);
  return headers;
}
function agentResponseHeaders(upstreamHeaders) {
  return withoutHopByHop(upstreamHeaders, []);
}
function pathForLog(url) {
  const path4 = url.split("?")[0] ?? "/";
  return path4 === "" ? "/" : path4;
}
function upstreamPath(upstreamPathname, agentUrl) {
  const prefix = upstreamPathname.replace(/\/+$/, "");
  const path4 = agentUrl.startsWith("/") ? agentUrl : `/${agentUrl}`;
  return `${prefix}${path4}`;
}

// src/proxy/retry-decision.ts
var RETRYABLE_STATUSES = /* @__PURE__ */ new Set([429, 500, 502, 503, 504, 529]);
function isRetryableStatus(status) {
  return RETRYABLE_STATUSES.has(status);
}
function isRetryableFailure(failure) {
  return failure.kind !== "status" || isRetryableStatus(failure.status);
}
function failureKey(failure) {
  return failure.kind === "status" ? String(failure.status) : failure.kind;
}
function describeFailure(failure) {
  switch (failure.kind) {
    case "status":
      return failure.errorType === void 0 ? `answered ${failure.status}` : `answered ${failure.status} (${failure.errorType})`;
    case "network":
      return `failed before a response (${failure.code})`;
    case "timeout":
      return failure.phase === "body" ? `answered, then sent nothing more for ${formatDuration2(failure.afterMs)} (timeout)` : `sent no response headers within ${formatDuration2(failure.afterMs)} (timeout)`;
  }
}
function formatDuration2(ms) {
  if (ms < 1e3) return `${Math.round(ms)}ms`;
  if (ms < 1e4) return `${(ms / 1e3).toFixed(1)}s`;
  return `${Math.round(ms / 1e3)}s`;
}
function headerValue(value) {
  const text = Array.isArray(value) ? value[0] : value;
  const trimmed = text?.trim();
  return trimmed === void 0 || trimmed === "" ? void 0 : trimmed;
}
function parseRetryAfterMs(headers, nowMs) {
  const ms = headerValue(headers["retry-after-ms"]);
  if (ms !== void 0 && /^\d+(\.\d+)?$/.test(ms)) return Number(ms);
  const after = headerValue(headers["retry-after"]);
  if (after === void 0) return void 0;
  if (/^\d+(\.\d+)?$/.test(after)) return Number(after) * 1e3;
  if (!/^[A-Za-z]/.test(after)) return void 0;
  const date = Date.parse(after);
  return Number.isNaN(date) ? void 0 : Math.max(0, date - nowMs);
}
function backoffCeilingMs(policy, retry) {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** Math.max(0, retry - 1));
}
function retryDelayMs2(policy, retry, hintMs, random) {
  if (hintMs !== void 0) return { delayMs: Math.min(policy.maxDelayMs, Math.max(0, hintMs)), fromHint: true };
  return { delayMs: Math.round(random() * backoffCeilingMs(policy, retry)), fromHint: false };
}
var CLOSED_BREAKER = Object.freeze({ mode: "closed", failures: 0 });
function breakerAllowsRetry(state, now, cooldownMs) {
  if (state.mode === "closed") return { allowed: true, state };
  if (now - state.since < cooldownMs) return { allowed: false, state };
  return { allowed: true, state: { mode: "half-open", failures: state.failures, since: now }, change: "half-open" };
}
function breakerRecord(state, outcome, now, threshold) {
  if (outcome === "success") {
    return state.mode === "closed" ? { state: CLOSED_BREAKER } : { state: CLOSED_BREAKER, change: "closed" };
  }
  const failures = state.failures + 1;
  switch (state.mode) {
    case "closed":
      return failures >= threshold ? { state: { mode: "open", failures, since: now }, change: "opened" } : { state: { mode: "closed", failures } };
    case "half-open":
      return { state: { mode: "open", failures, since: now }, change: "opened" };
    case "open":
      return { state: { mode: "open", failures, since: state.since } };
  }
}
function decideRetry(question) {
  const { breaker } = question;
  if (!isRetryableFailure(question.failure)) return { decision: { retry: false, reason: "not-retryable" }, breaker };
  if (question.retry > question.policy.attempts - 1) return { decision: { retry: false, reason: "exhausted" }, breaker };
  if (question.waiting >= question.maxConcurrentRetries) return { decision: { retry: false, reason: "busy" }, breaker };
  const gate = breakerAllowsRetry(breaker, question.now, question.policy.maxDelayMs);
  if (!gate.allowed) return { decision: { retry: false, reason: "breaker-open" }, breaker: gate.state };
  const { delayMs, fromHint } = retryDelayMs2(question.policy, question.retry, question.hintMs, question.random);
  return { decision: { retry: true, delayMs, fromHint }, breaker: gate.state, ...gate.change ? { change: gate.change } : {} };
}
function isLoopbackAddress(address) {
  if (address === void 0) return false;
  const v4 = address.startsWith("::ffff:") ? address.slice("::ffff:".length) : address;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4)) return true;
  return address === "::1" || address === "0:0:0:0:0:0:0:1";
}
function errorTypeOf(body) {
  let parsed;
  try {
    parsed = JSON.parse(body);
  } catch {
    return void 0;
  }
  if (typeof parsed !== "object" || parsed === null) return void 0;
  const error = parsed.error;
  const type = typeof error === "object" && error !== null ? error.type : void 0;
  return typeof type === "string" && /^[a-z_]{1,64}$/.test(type) ? type : void 0;
}

// src/proxy/stats.ts
function emptyStats() {
  return {
    requests: 0,
    retriedRequests: 0,
    retries: 0,
    recovered: 0,
    failuresByStatus: {},
    passedOnFailures: 0,
    waitMs: 0,
    lastRetryAfterMs: void 0
  };
}
function copy(stats) {
  return { ...stats, failuresByStatus: { ...stats.failuresByStatus } };
}
var StatsRecorder = class {
  #total = emptyStats();
  #window = emptyStats();
  #apply(change) {
    change(this.#total);
    change(this.#window);
  }
  request() {
    this.#apply((stats) => stats.requests += 1);
  }
  failure(key) {
    this.#apply((stats) => stats.failuresByStatus[key] = (stats.failuresByStatus[key] ?? 0) + 1);
  }
  retryAfterHint(ms) {
    this.#apply((stats) => stats.lastRetryAfterMs = ms);
  }
  /** `first`: this request's first retry. */
  retry(first) {
    this.#apply((stats) => {
      stats.retries += 1;
      if (first) stats.retriedRequests += 1;
    });
  }
  waited(ms) {
    this.#apply((stats) => stats.waitMs += ms);
  }
  recovered() {
    this.#apply((stats) => stats.recovered += 1);
  }
  passedOn() {
    this.#apply((stats) => stats.passedOnFailures += 1);
  }
  total() {
    return copy(this.#total);
  }
  /** The window since the previous call, then a fresh one. */
  take() {
    const window = this.#window;
    this.#window = emptyStats();
    return window;
  }
};

// src/proxy/api-proxy.ts
var UpstreamFailure = class extends Error {
  constructor(failure, answer, hintMs) {
    super(describeFailure(failure));
    this.failure = failure;
    this.answer = answer;
    this.hintMs = hintMs;
    this.name = "UpstreamFailure";
  }
  failure;
  answer;
  hintMs;
};
async function startApiProxy(options) {
  const settings = validate(options);
  const url = settings.upstream;
  const https = url.protocol === "https:";
  const upstream = {
    url,
    // Keep-alive, like the agent's own client, so retries and the next turn skip the handshake.
    agent: https ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true }),
    send: https ? (requestOptions) => httpsRequest(requestOptions) : (requestOptions) => httpRequest(requestOptions)
  };
  const lifetime = new AbortController();
  const onExternalAbort = () => lifetime.abort(options.signal?.reason);
  if (options.signal?.aborted) onExternalAbort();
  else options.signal?.addEventListener("abort", onExternalAbort, { once: true });
  const core = new ProxyCore(settings, upstream, lifetime.signal);
  const server = createServer((req, res) => {
    core.handle(req, res).catch((error) => {
      settings.log.debug(`API proxy: ${req.method ?? "GET"} ${pathForLog(req.url ?? "/")} ended inside the proxy (${errorCode(error)})`);
      res.destroy();
    });
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address();
  settings.log.debug(`API proxy: listening on 127.0.0.1:${port} for ${url.origin}`);
  let closing;
  return {
    url: `http://127.0.0.1:${port}`,
    stats: () => core.stats.total(),
    takeAttemptStats: () => core.stats.take(),
    close() {
      closing ??= new Promise((resolve) => {
        options.signal?.removeEventListener("abort", onExternalAbort);
        lifetime.abort(new Error("API proxy closed"));
        server.close(() => resolve());
        server.closeAllConnections();
        upstream.agent.destroy();
      });
      return closing;
    }
  };
}
function validate(options) {
  const { policy } = options;
  const check = (ok, what) => {
    if (!ok) throw new RangeError(`API proxy: ${what}`);
  };
  check(Number.isInteger(policy.attempts) && policy.attempts >= 1, `policy.attempts must be an integer >= 1, got ${policy.attempts}`);
  check(Number.isFinite(policy.initialDelayMs) && policy.initialDelayMs >= 0, `policy.initialDelayMs must be >= 0, got ${policy.initialDelayMs}`);
  check(Number.isFinite(policy.maxDelayMs) && policy.maxDelayMs >= 0, `policy.maxDelayMs must be >= 0, got ${policy.maxDelayMs}`);
  check(Number.isFinite(policy.factor) && policy.factor > 0, `policy.factor must be > 0, got ${policy.factor}`);
  let upstream;
  try {
    upstream = new URL(options.upstream);
  } catch {
    throw new RangeError("API proxy: upstream is not a valid URL");
  }
  check(upstream.protocol === "http:" || upstream.protocol === "https:", `upstream must be http or https, got ${upstream.protocol}`);
  const settings = {
    upstream,
    policy: { ...policy },
    firstByteTimeoutMs: options.firstByteTimeoutMs ?? 12e4,
    maxConcurrentRetries: options.maxConcurrentRetries ?? 8,
    breakerThreshold: options.breakerThreshold ?? 5,
    log: options.log
  };
  check(Number.isFinite(settings.firstByteTimeoutMs) && settings.firstByteTimeoutMs > 0, `firstByteTimeoutMs must be > 0, got ${settings.firstByteTimeoutMs}`);
  check(Number.isInteger(settings.maxConcurrentRetries) && settings.maxConcurrentRetries >= 0, `maxConcurrentRetries must be an integer >= 0`);
  check(Number.isInteger(settings.breakerThreshold) && settings.breakerThreshold >= 1, `breakerThreshold must be an integer >= 1`);
  return settings;
}
var ProxyCore = class {
  constructor(settings, upstream, lifetime) {
    this.settings = settings;
    this.upstream = upstream;
    this.lifetime = lifetime;
  }
  settings;
  upstream;
  lifetime;
  stats = new StatsRecorder();
  // Shared by every request of this proxy: that is what makes them a bound and a breaker.
  #breaker = CLOSED_BREAKER;
  #waiting = 0;
  async handle(req, res) {
    const { log, policy } = this.settings;
    if (!isLoopbackAddress(req.socket.remoteAddress)) {
      log.warning(`API proxy: refused a request from ${req.socket.remoteAddress ?? "an unknown address"} (loopback only)`);
      req.resume();
      sendError(res, 403, "permission_error", "The durable-agent API proxy serves loopback clients only.");
      return;
    }
    this.stats.request();
    const method = req.method ?? "GET";
    const request = { label: `${method} ${pathForLog(req.url ?? "/")}`, retries: 0, passOn: void 0 };
    const body = await readAll(req);
    if (this.lifetime.aborted) {
      this.#shutdownAnswer(res, request);
      return;
    }
    const clientGone = new AbortController();
    res.once("close", () => {
      if (!res.writableFinished) clientGone.abort(new Error("the agent closed the connection"));
    });
    const signal = AbortSignal.any([this.lifetime, clientGone.signal]);
    const outgoing = {
      method,
      path: upstreamPath(this.upstream.url.pathname, req.url ?? "/"),
      headers: upstreamRequestHeaders(req.headers, this.upstream.url.host, body.length),
      body
    };
    let response;
    try {
      response = await pRetry(() => this.#tryOnce(outgoing, signal), {
        retries: policy.attempts - 1,
        // The waits are ours (full jitter, retry-after, the concurrency bound), taken in shouldRetry.
        minTimeout: 0,
        factor: 1,
        signal,
        shouldRetry: ({ error, attemptNumber }) => this.#retryAfterWait(error, attemptNumber, request, signal)
      });
    } catch (error) {
      if (clientGone.signal.aborted) return;
      if (this.lifetime.aborted) {
        this.#shutdownAnswer(res, request);
        return;
      }
      if (error instanceof UpstreamFailure) {
        this.#passOn(error, request, res);
        return;
      }
      throw error;
    }
    await this.#forward(response, res, request, clientGone.signal);
  }
  async #tryOnce(outgoing, signal) {
    try {
      const response = await sendUpstream(this.upstream, outgoing, this.settings.firstByteTimeoutMs, signal);
      const status = response.statusCode ?? 0;
      if (!isRetryableStatus(status)) {
        if (status >= 400) this.stats.failure(String(status));
        return response;
      }
      const body = await readAnswer(response, this.settings.firstByteTimeoutMs, signal);
      const hintMs = parseRetryAfterMs(response.headers, Date.now());
      const errorType = errorTypeOf(decodeForLog(body, response.headers["content-encoding"]));
      const answer = { status, statusMessage: response.statusMessage ?? "", headers: agentResponseHeaders(response.headers), body };
      throw new UpstreamFailure({ kind: "status", status, errorType }, answer, hintMs);
    } catch (error) {
      if (error instanceof UpstreamFailure) {
        this.stats.failure(failureKey(error.failure));
        if (error.hintMs !== void 0) this.stats.retryAfterHint(error.hintMs);
      }
      throw error;
    }
  }
  /** p-retry's shouldRetry: decides, logs, and waits out the backoff before saying yes. */
  async #retryAfterWait(error, attemptNumber, request, signal) {
    if (!(error instanceof UpstreamFailure) || signal.aborted) return false;
    const { policy, log, maxConcurrentRetries } = this.settings;
    const { decision, breaker, change } = decideRetry({
      failure: error.failure,
      retry: attemptNumber,
      hintMs: error.hintMs,
      policy,
      breaker: this.#breaker,
      now: Date.now(),
      waiting: this.#waiting,
      maxConcurrentRetries,
      random: Math.random
    });
    this.#setBreaker(breaker, change);
    if (!decision.retry) {
      request.passOn = decision.reason;
      return false;
    }
    this.stats.retry(request.retries === 0);
    request.retries += 1;
    const hinted = decision.fromHint ? " (retry-after)" : "";
    log.info(`API proxy: ${request.label} ${describeFailure(error.failure)}; retry ${attemptNumber}/${policy.attempts - 1} in ${formatDuration2(decision.delayMs)}${hinted}`);
    this.#waiting += 1;
    const started = performance.now();
    try {
      await delay(decision.delayMs, void 0, { signal });
      this.stats.waited(decision.delayMs);
    } catch (abort) {
      this.stats.waited(Math.round(performance.now() - started));
      throw abort;
    } finally {
      this.#waiting -= 1;
    }
    return true;
  }
  #passOn(error, request, res) {
    const { log, policy, maxConcurrentRetries } = this.settings;
    const why = {
      "not-retryable": "",
      exhausted: policy.attempts > 1 ? ` on attempt ${request.retries + 1} of ${policy.attempts}` : "",
      busy: `; ${maxConcurrentRetries === 1 ? "a request is" : `${maxConcurrentRetries} requests are`} already waiting to retry`,
      "breaker-open": "; the circuit breaker is open"
    };
    this.stats.passedOn();
    this.#record("failure");
    log.warning(`API proxy: ${request.label} ${describeFailure(error.failure)}${why[request.passOn ?? "exhausted"]}; passing it on to the agent`);
    const { answer } = error;
    if (answer === void 0) {
      resetAgentConnection(res);
      return;
    }
    if (answer.statusMessage === "") res.writeHead(answer.status, answer.headers);
    else res.writeHead(answer.status, answer.statusMessage, answer.headers);
    res.end(answer.body);
  }
  async #forward(response, res, request, clientGone) {
    const { log } = this.settings;
    const status = response.statusCode ?? 502;
    this.#record("success");
    if (request.retries > 0 && status < 400) {
      this.stats.recovered();
      log.info(`API proxy: ${request.label} recovered after ${request.retries} ${request.retries === 1 ? "retry" : "retries"} (${status})`);
    } else {
      log.debug(`API proxy: ${request.label} answered ${status}`);
    }
    response.once("error", (error) => {
      if (clientGone.aborted) return;
      this.stats.failure("network");
      this.stats.passedOn();
      this.#record("failure");
      log.warning(`API proxy: ${request.label} broke off after the answer had started (${errorCode(error)}); passing the break on to the agent, which retries itself`);
      resetAgentConnection(res);
    });
    if (response.statusMessage) res.writeHead(status, response.statusMessage, agentResponseHeaders(response.headers));
    else res.writeHead(status, agentResponseHeaders(response.headers));
    res.flushHeaders();
    try {
      await pipeline(response, res);
    } catch {
    }
  }
  #shutdownAnswer(res, request) {
    this.stats.passedOn();
    this.settings.log.debug(`API proxy: ${request.label} answered 503: the proxy is shutting down`);
    sendError(res, 503, "api_error", "The durable-agent API proxy is shutting down.");
  }
  #record(outcome) {
    const { state, change } = breakerRecord(this.#breaker, outcome, Date.now(), this.settings.breakerThreshold);
    this.#setBreaker(state, change);
  }
  #setBreaker(state, change) {
    this.#breaker = state;
    const { log, policy } = this.settings;
    switch (change) {
      case "opened":
        log.warning(
          `API proxy: circuit breaker open after ${state.failures} consecutive failed requests; failures go straight to the agent for ${formatDuration2(policy.maxDelayMs)}`
        );
        break;
      case "half-open":
        log.info("API proxy: circuit breaker half-open; letting one request retry");
        break;
      case "closed":
        log.info("API proxy: circuit breaker closed; the upstream answered again");
        break;
      case void 0:
        break;
    }
  }
};
function sendUpstream(upstream, outgoing, timeoutMs, signal) {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const { url } = upstream;
    const request = upstream.send({
      protocol: url.protocol,
      // URL keeps IPv6 literals in brackets; the socket layer wants them bare.
      hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: url.port,
      method: outgoing.method,
      path: outgoing.path,
      headers: outgoing.headers,
      agent: upstream.agent,
      // A gateway may take basic auth in its URL; URL keeps the parts percent-encoded.
      ...url.username === "" ? {} : { auth: `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` }
    });
    const onAbort = () => {
      done();
      request.destroy();
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      done();
      request.destroy();
      reject(new UpstreamFailure({ kind: "timeout", afterMs: timeoutMs }));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    request.on("error", (error) => {
      done();
      reject(new UpstreamFailure({ kind: "network", code: errorCode(error) }));
    });
    request.once("response", (response) => {
      done();
      resolve(response);
    });
    request.end(outgoing.body);
  });
}
function readAnswer(response, timeoutMs, signal) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let settled = false;
    const settle = (action) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      action();
    };
    const onAbort = () => settle(() => {
      response.destroy();
      reject(signal.reason);
    });
    const timer = setTimeout(
      () => settle(() => {
        response.destroy();
        reject(new UpstreamFailure({ kind: "timeout", afterMs: timeoutMs, phase: "body" }));
      }),
      timeoutMs
    );
    signal.addEventListener("abort", onAbort, { once: true });
    response.on("data", (chunk) => chunks.push(chunk));
    response.once("end", () => settle(() => resolve(Buffer.concat(chunks))));
    response.on("error", (error) => settle(() => reject(new UpstreamFailure({ kind: "network", code: errorCode(error) }))));
  });
}
async function readAll(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}
function decodeForLog(body, encoding) {
  try {
    switch (encoding?.trim().toLowerCase()) {
      case void 0:
      case "":
      case "identity":
        return body.toString("utf8");
      case "gzip":
      case "x-gzip":
        return gunzipSync(body).toString("utf8");
      case "deflate":
        return inflateSync(body).toString("utf8");
      case "br":
        return brotliDecompressSync(body).toString("utf8");
      default:
        return "";
    }
  } catch {
    return "";
  }
}
function sendError(res, status, type, message) {
  if (res.headersSent || res.destroyed) return;
  const body = JSON.stringify({ type: "error", error: { type, message } });
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}
function resetAgentConnection(res) {
  const { socket } = res;
  if (socket && !socket.destroyed) socket.resetAndDestroy();
  else res.destroy();
}
function errorCode(error) {
  if (error instanceof Error) {
    const { code } = error;
    return typeof code === "string" ? code : error.name;
  }
  return "unknown error";
}

// src/checkpoint/resume-prompt.ts
function restoredWhat(manifest) {
  const parts = ["the workspace (your edits, commits and untracked files)"];
  if (manifest.files.some((file) => file.role === "paths")) parts.push("the experiment outputs");
  if (manifest.files.some((file) => file.role === "extra")) parts.push("the files in $DURABLE_AGENT_CHECKPOINT_DIR");
  return parts.join(", ");
}
function rerunResumePrompt(manifest, runAttempt2) {
  return `This job stopped before the task was finished and was re-run (run attempt ${runAttempt2}). durable-agent restored ${restoredWhat(manifest)} and this conversation from checkpoint ${manifest.sequence}, taken ${manifest.createdAt}. Anything done after that checkpoint is gone. Check the current state (files, git status and log) and continue the task from there; do not redo finished steps.`;
}
function freshAfterRestorePrompt(prompt, manifest) {
  return `${prompt}

Note: this task was started earlier and interrupted. durable-agent restored ${restoredWhat(manifest)} from checkpoint ${manifest.sequence}, taken ${manifest.createdAt}, after ${manifest.attempts.length} earlier attempt(s). Check the current state first (files, git status and log) and continue from there instead of starting over.`;
}

// src/pipeline.ts
async function setUp(adapter, options) {
  const { settings, log } = options;
  const location = await locateCli(
    adapter,
    {
      explicitPath: settings.cliPath,
      version: settings.cliVersion,
      toolsDir: path3.join(settings.homeDir, "tools"),
      searchPath: options.searchPath ?? true
    },
    log
  );
  log.info(`Agent: ${adapter.label} (${location.executable}, from ${location.source})`);
  await adapter.prepare();
  log.info(`Agent state folder: ${adapter.stateDir}`);
  const executionFile = await ExecutionFile.open(path3.join(settings.homeDir, "execution.ndjson"));
  log.info(`Execution file: ${executionFile.path}`);
  const { retry } = settings;
  log.info(
    `Retry policy: up to ${retry.maxAttempts} attempts, backoff ${retry.initialDelayMs} ms \xD7 ${retry.backoffFactor} up to ${retry.maxDelayMs} ms with full jitter, within ${retry.maxRetryTimeMs} ms`
  );
  return { executable: location.executable, executionFile };
}
function describePlan(adapter, plan) {
  const { request } = plan;
  if (request.mode === "resume") return `${adapter.label}, resuming session ${request.sessionId ?? ""}`;
  return `${adapter.label}, new session${request.sessionId ? ` ${request.sessionId}` : ""}`;
}
async function runPipeline(options) {
  const proxy = await startProxy(options);
  try {
    return await runAgent(options, proxy);
  } finally {
    await proxy?.close();
  }
}
var DEFAULT_ANTHROPIC_URL = "https://api.anthropic.com";
async function startProxy(options) {
  const { settings, log } = options;
  if (!settings.apiProxy.enabled) return void 0;
  const upstream = options.env.ANTHROPIC_BASE_URL || DEFAULT_ANTHROPIC_URL;
  const proxy = await startApiProxy({
    upstream,
    policy: {
      attempts: settings.apiProxy.attempts,
      initialDelayMs: Math.min(1e3, settings.apiProxy.maxDelayMs),
      maxDelayMs: settings.apiProxy.maxDelayMs,
      factor: 2
    },
    log,
    signal: options.signal
  });
  log.info(`API retry proxy: ${proxy.url} \u2192 ${new URL(upstream).origin} (${settings.apiProxy.attempts} tries per request, waits up to ${settings.apiProxy.maxDelayMs} ms)`);
  return proxy;
}
function attemptEntry(record, runAttempt2) {
  return {
    runAttempt: runAttempt2,
    number: record.number,
    startedAt: record.startedAt.toISOString(),
    durationMs: record.durationMs,
    mode: record.mode,
    outcome: record.classification.kind,
    reason: record.classification.reason,
    apiRetries: record.apiRetries,
    costUsd: record.costUsd,
    turns: record.numTurns
  };
}
function earlierAttempts(entries) {
  const schema2 = external_exports.object({
    runAttempt: external_exports.number(),
    number: external_exports.number(),
    startedAt: external_exports.string(),
    durationMs: external_exports.number(),
    mode: external_exports.enum(["fresh", "resume"]),
    outcome: external_exports.enum(["success", "transient", "fatal"]),
    reason: external_exports.string(),
    apiRetries: external_exports.number(),
    costUsd: external_exports.number().optional(),
    turns: external_exports.number().optional()
  });
  return entries.flatMap((entry) => {
    const parsed = schema2.safeParse(entry);
    return parsed.success ? [{ ...parsed.data, startedAt: new Date(parsed.data.startedAt) }] : [];
  });
}
function firstPlan(adapter, settings, job, runAttempt2) {
  const manifest = job?.restored?.manifest;
  if (manifest?.sessionId && manifest.agent === adapter.name) {
    return { request: { mode: "resume", prompt: rerunResumePrompt(manifest, runAttempt2), sessionId: manifest.sessionId }, note: void 0 };
  }
  if (manifest) {
    return { request: { mode: "fresh", prompt: freshAfterRestorePrompt(settings.prompt, manifest), sessionId: adapter.newSessionId() }, note: "the checkpoint holds no session of this agent: starting a fresh session" };
  }
  return { request: { mode: "fresh", prompt: settings.prompt, sessionId: adapter.newSessionId() }, note: void 0 };
}
function overBudget(settings, totals) {
  const { maxTotalCostUsd, maxTotalTurns } = settings.budget;
  if (maxTotalCostUsd > 0 && totals.costUsd >= maxTotalCostUsd) return `the total cost $${totals.costUsd.toFixed(4)} reached max_total_cost_usd ($${maxTotalCostUsd})`;
  if (maxTotalTurns > 0 && totals.turns >= maxTotalTurns) return `the total of ${totals.turns} turns reached max_total_turns (${maxTotalTurns})`;
  return void 0;
}
async function runAgent(options, proxy) {
  const { settings, log } = options;
  const adapter = createAdapter({ settings, apiBaseUrl: proxy?.url });
  const { executable, executionFile } = await log.group("Set up", () => setUp(adapter, options));
  const jobAttempt = Number(options.env.GITHUB_RUN_ATTEMPT ?? "1") || 1;
  const job = await log.group("Checkpoints", () => openJobCheckpoints({ settings, adapter, env: options.env, log, restore: true }));
  const scheduler = job?.scheduler;
  const onSaved = () => {
    if (job) {
      const { scheduler: jobScheduler } = job;
      options.onCheckpoint?.({
        lastSequence: jobScheduler.lastSequence,
        sessionId: jobScheduler.sessionId,
        baseCommit: job.baseCommit,
        attempts: jobScheduler.attempts,
        totals: jobScheduler.totals
      });
    }
  };
  onSaved();
  if (job?.restored && scheduler) {
    await scheduler.save("after restore");
    onSaved();
  }
  const earlier = earlierAttempts(scheduler?.attempts ?? []);
  const totals = { ...scheduler?.totals ?? { costUsd: 0, turns: 0 } };
  const agentEnv = job ? { ...options.env, DURABLE_AGENT_CHECKPOINT_DIR: job.hooks.extraDir, DURABLE_AGENT_CHECKPOINT_REQUEST: job.hooks.requestFile } : options.env;
  let freshAfterLostSession = 0;
  let budgetStop = overBudget(settings, totals);
  const first = firstPlan(adapter, settings, job, jobAttempt);
  if (first.note) log.warning(first.note);
  scheduler?.start();
  const loop = budgetStop ? { attempts: [], waits: [], stoppedBecause: void 0 } : await (async () => {
    try {
      return await runWithRetries({
        policy: settings.retry,
        first,
        log,
        signal: options.signal,
        attempt: async (number, plan) => {
          if (scheduler) scheduler.sessionId = plan.request.sessionId ?? scheduler.sessionId;
          const record = await log.group(
            `Attempt ${number}: ${describePlan(adapter, plan)}`,
            () => runAttempt({
              number,
              adapter,
              executable,
              request: plan.request,
              cwd: settings.workingDirectory,
              baseEnv: agentEnv,
              attemptTimeoutMs: settings.attemptTimeoutMs,
              idleTimeoutMs: settings.idleTimeoutMs,
              killGraceMs: settings.killGraceMs,
              classify: { retryOn: settings.retryOn, neverRetryOn: settings.neverRetryOn, retryUnknown: settings.retryUnknown },
              executionFile,
              log,
              signal: options.signal,
              takeProxyStats: proxy ? () => proxy.takeAttemptStats() : void 0,
              onProgress: scheduler ? () => scheduler.onProgress() : void 0,
              onSessionId: (id) => {
                if (scheduler) scheduler.sessionId = id;
                onSaved();
              }
            })
          );
          totals.costUsd += record.costUsd ?? 0;
          totals.turns += record.numTurns ?? 0;
          if (scheduler) {
            scheduler.sessionId = record.sessionId ?? scheduler.sessionId;
            scheduler.attempts.push(attemptEntry(record, jobAttempt));
            scheduler.totals = { ...totals };
            if (record.classification.kind !== "success" && record.classification.reason !== "cancelled") {
              await scheduler.save(`after failed attempt ${number}`);
            }
            onSaved();
          }
          return record;
        },
        delayHint: (record) => record.retryAfterMs,
        mayRetry: () => {
          budgetStop = overBudget(settings, totals);
          return budgetStop;
        },
        next: (previous) => {
          const plan = nextLaunch({ previous, prompt: settings.prompt, resumePrompt: settings.resumePrompt, newSessionId: () => adapter.newSessionId() });
          if (plan.request.mode === "fresh") freshAfterLostSession += 1;
          return plan;
        }
      });
    } finally {
      scheduler?.stop();
      await executionFile.close();
    }
  })();
  const attempts = loop.attempts;
  const last = attempts.at(-1);
  const verdict2 = last?.classification;
  const success = verdict2?.kind === "success";
  const cancelled = loop.stoppedBecause === "cancelled" || verdict2?.reason === "cancelled";
  if (scheduler) {
    await log.group("Final checkpoint", async () => {
      await scheduler.save(cancelled ? "cancelled" : "end of the job attempt", { force: true, final: true, ...cancelled ? { deadlineMs: 5e3 } : {} });
      onSaved();
      if (!cancelled && job) await job.scheduler.pruneOld(settings.checkpoint.keep);
    });
  }
  let failureMessage = success ? "" : verdict2?.message ?? "the agent did not run";
  if (budgetStop && !success) failureMessage = `${budgetStop}; no further attempt was started`;
  else if (!success && loop.stoppedBecause && !cancelled) failureMessage = `${failureMessage} (gave up: ${loop.stoppedBecause})`;
  const failureReason = success ? "" : budgetStop ? "budget" : cancelled ? "cancelled" : verdict2?.reason ?? "unknown";
  return {
    conclusion: success ? "success" : "failure",
    failureReason,
    failureKind: success ? "" : budgetStop || cancelled || verdict2 === void 0 ? "fatal" : verdict2.kind === "transient" ? "transient" : "fatal",
    failureMessage: cancelled ? "the run was cancelled" : failureMessage,
    sessionId: [...attempts].reverse().find((attempt) => attempt.sessionId)?.sessionId ?? scheduler?.sessionId,
    executionFile: executionFile.path,
    attempts,
    earlierAttempts: earlier,
    waits: loop.waits,
    freshAfterLostSession,
    apiRetries: attempts.reduce((sum, attempt) => sum + attempt.apiRetries, 0),
    resumed: job?.restored !== void 0,
    restoredFrom: job?.restored ? `${job.restored.manifest.sequence}@${job.restored.manifest.createdAt}` : "",
    checkpointKey: scheduler?.latest?.key ?? "",
    checkpointsSaved: scheduler?.count ?? 0,
    checkpoints: scheduler?.history ?? [],
    totals,
    runAttempt: jobAttempt
  };
}

// src/report/failure-marker.ts
var MARKER = /\[durable-agent:(transient|fatal):([a-z_]+)\]/;
function failureMarker(kind, reason) {
  return `[durable-agent:${kind}:${reason}]`;
}
function parseFailureMarker(text) {
  const match = MARKER.exec(text);
  if (!match?.[1] || !match[2]) return void 0;
  return { kind: match[1] === "transient" ? "transient" : "fatal", reason: match[2] };
}

// src/settings/watchdog-settings.ts
var schema = external_exports.object({
  github_token: optionalText,
  max_run_attempts: integer({ min: 1, max: 50 }),
  rerun_delay: duration({ min: 0 }),
  rerun_on: patterns,
  watched_workflows: external_exports.string(),
  run_id: optionalText.refine((value) => value === void 0 || /^\d+$/.test(value), "is not a run id (a number)")
});
var NAMES = ["github_token", "max_run_attempts", "rerun_delay", "rerun_on", "watched_workflows", "run_id"];
function readWatchdogSettings(source, env) {
  const raw = Object.fromEntries(NAMES.map((name) => [name, source(name) || INPUT_DEFAULTS[name]]));
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new SettingsError(formatIssues(parsed.error, raw));
  const input = parsed.data;
  const token = input.github_token ?? env.GITHUB_TOKEN;
  if (!token) throw new SettingsError("github_token: the watchdog needs a token with actions: write and checks: read (give secrets.GITHUB_TOKEN)");
  const repository = env.GITHUB_REPOSITORY;
  if (!repository) throw new SettingsError("GITHUB_REPOSITORY is not set: the watchdog runs inside GitHub Actions (or set it to owner/name)");
  return Object.freeze({
    token,
    apiUrl: env.GITHUB_API_URL ?? "https://api.github.com",
    repository,
    runId: input.run_id === void 0 ? void 0 : Number(input.run_id),
    eventPath: env.GITHUB_EVENT_PATH,
    maxRunAttempts: input.max_run_attempts,
    rerunDelayMs: input.rerun_delay,
    rerunOn: Object.freeze(input.rerun_on),
    watchedWorkflows: Object.freeze(input.watched_workflows.split("\n").map((line) => line.trim()).filter(Boolean))
  });
}

// src/watchdog/event.ts
import { readFile } from "node:fs/promises";
var WatchdogEventError = class extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = "WatchdogEventError";
  }
};
var WorkflowRunEventSchema = external_exports.object({
  action: external_exports.string().optional(),
  workflow_run: external_exports.object({
    id: external_exports.number().int().positive(),
    name: external_exports.string().nullish(),
    path: external_exports.string().nullish(),
    conclusion: external_exports.string().nullish(),
    run_attempt: external_exports.number().int().positive().nullish()
  }).loose(),
  workflow: external_exports.object({ name: external_exports.string().nullish(), path: external_exports.string().nullish() }).loose().nullish(),
  repository: external_exports.object({ full_name: external_exports.string() }).loose().nullish()
}).loose();
function parseWorkflowRunEvent(payload) {
  const parsed = WorkflowRunEventSchema.safeParse(payload);
  if (!parsed.success) {
    throw new WatchdogEventError(
      `the event payload is not a workflow_run event (watchdog mode runs on 'on: workflow_run: types: [completed]', or give it a run id): ${external_exports.prettifyError(parsed.error)}`
    );
  }
  const { workflow_run: run, workflow, repository } = parsed.data;
  return {
    runId: run.id,
    repository: repository?.full_name,
    workflowName: run.name ?? workflow?.name ?? void 0,
    workflowPath: run.path ?? workflow?.path ?? void 0,
    conclusion: run.conclusion ?? null,
    runAttempt: run.run_attempt ?? void 0
  };
}
async function readWorkflowRunEvent(eventPath) {
  let text;
  try {
    text = await readFile(eventPath, "utf8");
  } catch (error) {
    throw new WatchdogEventError(`cannot read the event payload ${eventPath}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  let payload;
  try {
    payload = JSON.parse(text);
  } catch (error) {
    throw new WatchdogEventError(`the event payload ${eventPath} is not JSON`, { cause: error });
  }
  return parseWorkflowRunEvent(payload);
}
async function resolveWatchedRun(options) {
  if (options.runId !== void 0) {
    if (!Number.isSafeInteger(options.runId) || options.runId <= 0) throw new WatchdogEventError(`run id must be a positive integer, got ${options.runId}`);
    return { runId: options.runId, repository: void 0, workflowName: void 0, workflowPath: void 0, conclusion: void 0, runAttempt: void 0 };
  }
  if (options.eventPath === void 0 || options.eventPath === "") {
    throw new WatchdogEventError("no run to watch: give a run id, or run on a workflow_run event (GITHUB_EVENT_PATH is not set)");
  }
  return readWorkflowRunEvent(options.eventPath);
}

// src/watchdog/watchdog.ts
import { setTimeout as sleepFor } from "node:timers/promises";

// src/watchdog/classify-run.ts
var INFRASTRUCTURE_PATTERNS = [
  { name: "runner not acquired", pattern: /The job was not acquired by Runner of type .* even after multiple attempts/, runnerLost: false },
  { name: "GitHub internal server error", pattern: /Internal server error\. Correlation ID/, runnerLost: false },
  { name: "runner shutdown", pattern: /The runner has received a shutdown signal/, runnerLost: true },
  { name: "runner lost communication", pattern: /lost communication with the server/, runnerLost: true },
  { name: "hosted runner error", pattern: /The hosted runner encountered an error while running your job/, runnerLost: true }
];
var OPERATION_CANCELED = /The operation was canceled\./;
var FAILED_RUN = /* @__PURE__ */ new Set(["failure", "timed_out"]);
var FAILED_JOB = /* @__PURE__ */ new Set(["failure", "timed_out"]);
function failedJobs(jobs) {
  return jobs.filter((job) => job.conclusion !== null && FAILED_JOB.has(job.conclusion));
}
function runFailed(run) {
  return run.status === "completed" && run.conclusion !== null && FAILED_RUN.has(run.conclusion);
}
function precheckRun(run, options) {
  const skip = (reason) => ({ decision: "skip", reason, jobs: [] });
  if (run.status !== "completed") return skip(`run ${run.id} is ${run.status}, not completed`);
  const conclusion = run.conclusion ?? "none";
  if (conclusion === "cancelled") return skip(`run ${run.id} was cancelled; a cancelled run is never re-run`);
  if (conclusion === "startup_failure") return skip(`run ${run.id} failed to start (invalid workflow file); a re-run would fail the same way`);
  if (!FAILED_RUN.has(conclusion)) return skip(`run ${run.id} did not fail (conclusion ${conclusion})`);
  if (run.runAttempt >= options.maxRunAttempts) {
    return skip(`run ${run.id} is at attempt ${run.runAttempt} and max_run_attempts is ${options.maxRunAttempts}`);
  }
  return void 0;
}
function classifyJob(job, annotations, rerunOn) {
  const failures = annotations.filter((annotation) => annotation.level === "failure").map(annotationText);
  const verdict2 = (kind, why) => ({ id: job.id, name: job.name, kind, why: `${why}${stepNote(job)}` });
  const markers = failures.flatMap((text) => text.split("\n").flatMap((line) => parseFailureMarker(line) ?? []));
  const fatalMarker = markers.find((marker) => marker.kind === "fatal");
  if (fatalMarker) return verdict2("fatal", `durable-agent marked it fatal (${fatalMarker.reason})`);
  const transientMarker = markers.find((marker) => marker.kind === "transient");
  if (transientMarker) return verdict2("transient", `durable-agent marked it transient (${transientMarker.reason})`);
  const infrastructure = INFRASTRUCTURE_PATTERNS.filter(({ pattern }) => failures.some((text) => pattern.test(text)));
  const first = infrastructure[0];
  if (first) {
    const canceled = infrastructure.some((match) => match.runnerLost) && failures.some((text) => OPERATION_CANCELED.test(text));
    return verdict2("transient", `infrastructure: ${first.name}${canceled ? " (its steps were canceled)" : ""}`);
  }
  const userPattern = rerunOn.find((pattern) => failures.some((text) => text.search(pattern) !== -1));
  if (userPattern) return verdict2("transient", `matched rerun_on ${String(userPattern)}`);
  const sample = failures[0];
  if (sample === void 0) return verdict2("fatal", "no failure annotation says why it failed");
  if (failures.some((text) => OPERATION_CANCELED.test(text))) {
    return verdict2("fatal", `canceled without a runner-lost message (a cancel or a timeout): ${excerpt(sample)}`);
  }
  return verdict2("fatal", `no annotation names a transient cause: ${excerpt(sample)}`);
}
function classifyRun(input, options) {
  const early = precheckRun(input.run, options);
  if (early) return early;
  const { run } = input;
  const failed = failedJobs(input.jobs);
  const attempt = `attempt ${run.runAttempt} of at most ${options.maxRunAttempts}, triggered by ${run.event}`;
  if (failed.length === 0) {
    return { decision: "skip", reason: `run ${run.id} failed but none of its jobs did (${attempt}); nothing to re-run`, jobs: [] };
  }
  const jobs = failed.map((job) => classifyJob(job, input.annotations.get(job.id) ?? [], options.rerunOn));
  const fatal = jobs.filter((job) => job.kind === "fatal");
  if (fatal.length > 0) {
    const names = fatal.map((job) => `'${job.name}'`).join(", ");
    const all = fatal.length === 1 ? "its failed job" : `all ${jobs.length} failed jobs`;
    const of = fatal.length === jobs.length ? all : `${fatal.length} of ${jobs.length} failed jobs`;
    return { decision: "skip", reason: `run ${run.id}: ${of} failed for a reason a re-run does not fix (${names}); ${attempt}`, jobs };
  }
  return { decision: "rerun", reason: `run ${run.id}: ${jobs.length === 1 ? "its failed job" : `all ${jobs.length} failed jobs`} failed transiently; ${attempt}`, jobs };
}
function isWatchedWorkflow(run, watched) {
  const entries = watched.map((entry) => entry.trim()).filter((entry) => entry !== "");
  if (entries.length === 0) return true;
  const path4 = (run.path ?? "").replace(/@.*$/, "");
  return entries.some((entry) => {
    const file = entry.replace(/^\.\//, "");
    return entry === run.name || path4 !== "" && (file === path4 || path4.endsWith(`/${file}`));
  });
}
function annotationText(annotation) {
  return [annotation.title, annotation.message, annotation.rawDetails].filter((part) => part !== null && part !== "").join("\n");
}
function stepNote(job) {
  const step = job.steps.find((s) => s.conclusion === "failure" || s.conclusion === "timed_out");
  if (step) return ` [step ${step.number} '${step.name}']`;
  return job.steps.length === 0 ? " [no step ran]" : "";
}
function excerpt(text) {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 160 ? `'${line.slice(0, 157)}...'` : `'${line}'`;
}

// src/watchdog/github-client.ts
var GitHubApiError = class extends Error {
  /** HTTP status; undefined when no answer came (network) or the answer did not parse. */
  status;
  constructor(message, status, options) {
    super(message, options);
    this.name = "GitHubApiError";
    this.status = status;
  }
};
var RunSchema = external_exports.object({
  id: external_exports.number(),
  name: external_exports.string().nullish(),
  path: external_exports.string().nullish(),
  status: external_exports.string().nullish(),
  conclusion: external_exports.string().nullish(),
  run_attempt: external_exports.number().int().positive().nullish(),
  event: external_exports.string(),
  head_branch: external_exports.string().nullish(),
  html_url: external_exports.string().nullish()
}).loose();
var JobsPageSchema = external_exports.object({
  total_count: external_exports.number(),
  jobs: external_exports.array(
    external_exports.object({
      id: external_exports.number(),
      name: external_exports.string(),
      conclusion: external_exports.string().nullish(),
      steps: external_exports.array(external_exports.object({ name: external_exports.string(), number: external_exports.number(), conclusion: external_exports.string().nullish() }).loose()).nullish()
    }).loose()
  )
}).loose();
var AnnotationsPageSchema = external_exports.array(
  external_exports.object({
    annotation_level: external_exports.string().nullish(),
    title: external_exports.string().nullish(),
    message: external_exports.string().nullish(),
    raw_details: external_exports.string().nullish()
  }).loose()
);
var MAX_PAGES = 100;
var OctokitErrorSchema = external_exports.object({
  status: external_exports.number(),
  message: external_exports.string(),
  request: external_exports.object({ method: external_exports.string(), url: external_exports.string() }).loose().optional(),
  response: external_exports.object({ data: external_exports.unknown() }).loose().optional()
});
var ErrorBodySchema = external_exports.object({ message: external_exports.string() }).loose();
function createGitHubClient(repository, options) {
  const [owner, repo] = splitRepository(repository);
  const octokit = getOctokit(options.token, { baseUrl: options.apiUrl.replace(/\/+$/, "") });
  const perPage = options.perPage ?? 100;
  const request = options.signal ? { signal: options.signal } : {};
  async function call(route, params, what) {
    try {
      const response = await octokit.request(route, { owner, repo, ...params, request });
      return response.data;
    } catch (error) {
      throw describeFailure2(error, route, what, options.signal);
    }
  }
  function parse(schema2, data, route) {
    const parsed = schema2.safeParse(data);
    if (!parsed.success) {
      throw new GitHubApiError(`GitHub API ${route} answered with an unexpected payload: ${external_exports.prettifyError(parsed.error)}`, void 0);
    }
    return parsed.data;
  }
  return {
    async getRun(runId) {
      const route = "GET /repos/{owner}/{repo}/actions/runs/{run_id}";
      const run = parse(RunSchema, await call(route, { run_id: runId }, `reading run ${runId} of ${repository}`), route);
      return {
        id: run.id,
        name: run.name ?? null,
        path: run.path ?? null,
        status: run.status ?? "unknown",
        conclusion: run.conclusion ?? null,
        runAttempt: run.run_attempt ?? 1,
        event: run.event,
        headBranch: run.head_branch ?? null,
        htmlUrl: run.html_url ?? null
      };
    },
    async listJobs(runId, attempt) {
      const route = "GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/jobs";
      const jobs = [];
      for (let page = 1; page <= MAX_PAGES; page++) {
        const data = await call(route, { run_id: runId, attempt_number: attempt, per_page: perPage, page }, `listing the jobs of run ${runId} attempt ${attempt}`);
        const body = parse(JobsPageSchema, data, route);
        for (const job of body.jobs) {
          jobs.push({
            id: job.id,
            name: job.name,
            conclusion: job.conclusion ?? null,
            steps: (job.steps ?? []).map((step) => ({ name: step.name, number: step.number, conclusion: step.conclusion ?? null }))
          });
        }
        if (body.jobs.length < perPage || jobs.length >= body.total_count) break;
      }
      return jobs;
    },
    async listAnnotations(jobId) {
      const route = "GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations";
      const annotations = [];
      for (let page = 1; page <= MAX_PAGES; page++) {
        const data = await call(route, { check_run_id: jobId, per_page: perPage, page }, `reading the annotations of job ${jobId} (needs checks: read)`);
        const body = parse(AnnotationsPageSchema, data, route);
        for (const annotation of body) {
          annotations.push({
            level: annotation.annotation_level ?? "failure",
            title: annotation.title ?? null,
            message: annotation.message ?? "",
            rawDetails: annotation.raw_details ?? null
          });
        }
        if (body.length < perPage) break;
      }
      return annotations;
    },
    async rerunFailedJobs(runId) {
      await call("POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs", { run_id: runId }, `re-running the failed jobs of run ${runId} (needs actions: write)`);
    }
  };
}
function splitRepository(repository) {
  const match = /^([^/\s]+)\/([^/\s]+)$/.exec(repository.trim());
  if (!match?.[1] || !match[2]) throw new TypeError(`repository must be 'owner/name', got '${repository}'`);
  return [match[1], match[2]];
}
function describeFailure2(error, route, what, signal) {
  if (signal?.aborted) return error instanceof Error ? error : new Error(String(error));
  const parsed = OctokitErrorSchema.safeParse(error);
  if (!parsed.success) {
    return new GitHubApiError(`${what} failed: ${error instanceof Error ? error.message : String(error)}`, void 0, { cause: error });
  }
  const { status, request, response } = parsed.data;
  const where = request ? `${request.method} ${pathOf(request.url)}` : route;
  if (response === void 0) {
    return new GitHubApiError(`${what} failed: no answer from the GitHub API (${where}): ${parsed.data.message}`, void 0, { cause: error });
  }
  const body = ErrorBodySchema.safeParse(response.data);
  const message = body.success ? body.data.message : parsed.data.message;
  const hint = status === 401 ? ": the token is invalid or expired (github_token)" : status === 403 ? ": the token lacks a permission (the watchdog needs actions: write and checks: read) or a rate limit was hit" : status === 404 ? ": not found, or the token cannot see this repository" : "";
  return new GitHubApiError(`${what} failed: ${where} answered ${status} ${message}${hint}`, status, { cause: error });
}
function pathOf(url) {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

// src/watchdog/watchdog.ts
async function runWatchdog(options) {
  validate2(options);
  const { log, signal } = options;
  const client = createGitHubClient(options.repository, { token: options.token, apiUrl: options.apiUrl, signal });
  const watched = options.watchedWorkflows ?? [];
  let verdicts = [];
  const finish = (decision, level = "info") => {
    log[level](`Decision: ${decision.decision} \u2014 ${decision.reason}`);
    return decision;
  };
  const aborted = (when) => finish({ decision: "skip", reason: `aborted ${when}; nothing was re-run`, jobs: verdicts }, "warning");
  try {
    if (signal?.aborted) return aborted("before the run was read");
    const run = await client.getRun(options.runId);
    log.info(`Run ${run.id} of ${describeWorkflow(run)}: ${run.status}/${run.conclusion ?? "none"}, attempt ${run.runAttempt}, event ${run.event}${run.htmlUrl ? ` \u2014 ${run.htmlUrl}` : ""}`);
    if (!isWatchedWorkflow(run, watched)) {
      return finish({ decision: "skip", reason: `${describeWorkflow(run)} is not among the watched workflows (${watched.join(", ")})`, jobs: [] });
    }
    const failedLevel = runFailed(run) ? "warning" : "info";
    const early = precheckRun(run, options);
    if (early) return finish(early, failedLevel);
    const jobs = await client.listJobs(run.id, run.runAttempt);
    const annotations = /* @__PURE__ */ new Map();
    for (const job of failedJobs(jobs)) annotations.set(job.id, await client.listAnnotations(job.id));
    const decision = classifyRun({ run, jobs, annotations }, options);
    verdicts = decision.jobs;
    for (const job of decision.jobs) log.info(`Job '${job.name}' (${job.id}): ${job.kind} \u2014 ${job.why}`);
    if (decision.decision === "skip") return finish(decision, failedLevel);
    if (options.rerunDelayMs > 0) {
      log.info(`Waiting ${formatDelay(options.rerunDelayMs)} before re-running the failed jobs of run ${run.id}`);
      const slept = await sleepUnlessAborted(options.rerunDelayMs, options.sleep ?? defaultSleep(signal), signal);
      if (!slept) return aborted("during the re-run delay");
    }
    const now = await client.getRun(run.id);
    const changed = changedSince(run, now);
    if (changed !== void 0) return finish({ decision: "skip", reason: `run ${run.id} changed during the delay (${changed}); leaving it alone`, jobs: decision.jobs });
    if (signal?.aborted) return aborted("before the re-run request");
    await client.rerunFailedJobs(run.id);
    log.info(`Requested a re-run of the failed jobs of run ${run.id}: attempt ${run.runAttempt + 1} of at most ${options.maxRunAttempts}`);
    return finish(decision);
  } catch (error) {
    if (signal?.aborted) return aborted("while talking to the GitHub API");
    throw error;
  }
}
function validate2(options) {
  if (options.token === "") throw new TypeError("watchdog: a token is required (github_token with actions: write and checks: read)");
  if (!Number.isSafeInteger(options.runId) || options.runId <= 0) throw new RangeError(`watchdog: run id must be a positive integer, got ${options.runId}`);
  if (!Number.isSafeInteger(options.maxRunAttempts) || options.maxRunAttempts < 1) {
    throw new RangeError(`watchdog: max_run_attempts must be an integer of at least 1, got ${options.maxRunAttempts}`);
  }
  if (!Number.isFinite(options.rerunDelayMs) || options.rerunDelayMs < 0) {
    throw new RangeError(`watchdog: rerun_delay must be a non-negative duration, got ${options.rerunDelayMs} ms`);
  }
  try {
    new URL(options.apiUrl);
  } catch {
    throw new TypeError(`watchdog: the API URL '${options.apiUrl}' is not a URL`);
  }
}
function changedSince(before, now) {
  if (now.runAttempt !== before.runAttempt) return `attempt ${before.runAttempt} \u2192 ${now.runAttempt}: re-run by someone else`;
  if (now.status !== before.status) return `status ${before.status} \u2192 ${now.status}`;
  if (now.conclusion !== before.conclusion) return `conclusion ${before.conclusion ?? "none"} \u2192 ${now.conclusion ?? "none"}`;
  return void 0;
}
async function sleepUnlessAborted(ms, sleep2, signal) {
  if (signal === void 0) {
    await sleep2(ms);
    return true;
  }
  if (signal.aborted) return false;
  const abort = Promise.withResolvers();
  const onAbort = () => abort.resolve(false);
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    return await Promise.race([sleep2(ms).then(() => true), abort.promise]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
function defaultSleep(signal) {
  return (ms) => sleepFor(ms, void 0, signal ? { signal } : {}).catch((error) => {
    if (!signal?.aborted) throw error;
  });
}
function describeWorkflow(run) {
  if (run.name && run.path) return `workflow '${run.name}' (${run.path})`;
  return `workflow '${run.name ?? run.path ?? "unknown"}'`;
}
function formatDelay(ms) {
  if (ms < 1e3) return `${ms} ms`;
  const seconds = Math.round(ms / 1e3);
  return seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
}

// src/watchdog/run-from-settings.ts
async function watchdogFromSettings(settings, log, signal, around = (_run, body) => body()) {
  const run = await resolveWatchedRun({ runId: settings.runId, eventPath: settings.eventPath });
  return around(
    run,
    () => runWatchdog({
      token: settings.token,
      apiUrl: settings.apiUrl,
      repository: run.repository ?? settings.repository,
      runId: run.runId,
      maxRunAttempts: settings.maxRunAttempts,
      rerunDelayMs: settings.rerunDelayMs,
      rerunOn: settings.rerunOn,
      watchedWorkflows: settings.watchedWorkflows,
      log,
      signal
    })
  );
}

export {
  runPipeline,
  readWatchdogSettings,
  failureMarker,
  watchdogFromSettings
};
