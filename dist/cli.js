#!/usr/bin/env node
import { createRequire as __durableCreateRequire } from 'node:module';
const require = __durableCreateRequire(import.meta.url);
import {
  readWatchdogSettings,
  runPipeline,
  watchdogFromSettings
} from "./chunks/chunk-QFZUXIFA.js";
import {
  CheckpointRejected,
  INPUT_NAMES,
  LocalStore,
  MANIFEST_FILE,
  SettingsError,
  checkpointHooks,
  createStoreSet,
  describeCheckpointFolder,
  formatBytes,
  formatDuration,
  formatSequence,
  git,
  gitSucceeds,
  lineageFor,
  lineageHash,
  newestFirst,
  parseManifest,
  parseSequenceLabel,
  readSettings,
  readValidManifest,
  restoreCheckpoint,
  terminalLog
} from "./chunks/chunk-W66ZCXMO.js";

// src/cli/checkpoint-request.ts
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
var REQUEST_VARIABLE = "DURABLE_AGENT_CHECKPOINT_REQUEST";
var CHECKPOINT_HELP = `Usage: durable-agent checkpoint

Asks the durable-agent run this command runs under for a checkpoint now: it creates the file named
by $${REQUEST_VARIABLE}, which durable-agent sets in the agent's environment. The checkpoint
is taken once the agent's current step (this command) has finished, even if nothing changed.

Use it after an experiment wrote results worth keeping, before a long or risky step.

Options:
  -h, --help   this help

Exit status: 0 when the request was made, 1 when the file could not be created, 2 for bad
arguments or when $${REQUEST_VARIABLE} is not set (not running under durable-agent).`;
async function checkpointRequestCommand(argv, env) {
  const { values, positionals } = parseArgs({ args: [...argv], options: { help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  if (values.help) {
    process.stdout.write(`${CHECKPOINT_HELP}
`);
    return 0;
  }
  if (positionals.length > 0) {
    process.stderr.write(`durable-agent: checkpoint: unexpected argument '${positionals[0] ?? ""}' (it takes none)
`);
    return 2;
  }
  const file = env[REQUEST_VARIABLE];
  if (file === void 0 || file.trim() === "") {
    process.stderr.write(`durable-agent: checkpoint: ${REQUEST_VARIABLE} is not set; run this from inside an agent that durable-agent started
`);
    return 2;
  }
  if (!path.isAbsolute(file)) {
    process.stderr.write(`durable-agent: checkpoint: ${REQUEST_VARIABLE} must be an absolute path, got '${file}'
`);
    return 2;
  }
  try {
    await writeFile(file, `${(/* @__PURE__ */ new Date()).toISOString()} pid ${process.pid}
`);
  } catch (error) {
    const code = error.code;
    const why = code === "ENOENT" ? `the folder ${path.dirname(file)} does not exist (has the durable-agent run ended?)` : error.message;
    process.stderr.write(`durable-agent: checkpoint: cannot create ${file}: ${why}
`);
    return 1;
  }
  process.stdout.write(`Checkpoint requested: durable-agent takes one when this step has finished (${file}).
`);
  return 0;
}

// src/cli/checkpoints-command.ts
import { lstat, mkdir, mkdtemp, readdir, readFile, realpath, rm, stat } from "node:fs/promises";
import os2 from "node:os";
import path3 from "node:path";

// src/cli/home.ts
import { createHash } from "node:crypto";
import os from "node:os";
import path2 from "node:path";
function defaultHome(workingDirectory) {
  return path2.join(os.tmpdir(), `durable-agent-${createHash("sha256").update(workingDirectory).digest("hex").slice(0, 12)}`);
}

// src/cli/checkpoints-command.ts
import { parseArgs as parseArgs2 } from "node:util";
var CommandFailed = class extends Error {
  name = "CommandFailed";
};
var STORE_CHOICES = ["local", "cache", "artifact"];
var WHERE_HELP = `Where to look (every command):
  --store local|cache|artifact      default: the Actions cache and artifacts inside a GitHub Actions
                                    job (GITHUB_ACTIONS=true and ACTIONS_RUNTIME_TOKEN set), else local
  --checkpoint-dir DIR              the local store (default: <home>/durable-agent/checkpoints, as run)
  --checkpoint-id ID                the lineage's id (default as run: the job, else "agent")
  --resume-from run|branch          the lineage of this run or of the branch (default run)
  --working-directory DIR           the folder run worked in (default: current folder)
  --home DIR                        run's --home (default: a folder per working directory in the
                                    OS temp folder)
  -h, --help                        this help`;
var KEY_HELP = `KEY is what \`checkpoints list\` prints: <lineage hash>/<sequence> in the local store, the cache
key, or the artifact name; or a sequence number or "latest" of this folder's lineage.`;
var CHECKPOINTS_HELP = `Usage: durable-agent checkpoints <command> [options]

The checkpoints durable-agent keeps (workspace, experiment outputs, agent state): look at them,
restore one to look at or continue by hand, delete old ones.

Commands:
  list               checkpoints of this folder's lineage (--all: every lineage in the local store)
  show KEY           one checkpoint's manifest and files
  restore KEY        a checkpoint's workspace, experiment outputs and extra folder
  prune --keep N     delete all but the newest N checkpoints

${KEY_HELP}

${WHERE_HELP}

\`durable-agent checkpoints <command> --help\` tells each command's options.
Exit status: 0 on success, 1 when it failed, 2 for bad arguments.`;
var LIST_HELP = `Usage: durable-agent checkpoints list [--all] [--json] [options]

Lists checkpoints, newest first: lineage (short hash, checkpoint id, run), sequence, time (UTC),
size, run attempt, store and key. Without --all, only the lineage a run here would resume.

Options:
  --all                             every lineage in the local store folder
  --json                            one JSON array instead of the table

${WHERE_HELP}`;
var SHOW_HELP = `Usage: durable-agent checkpoints show KEY [--json] [options]

Prints one checkpoint's manifest (lineage, sequence, attempt, time, agent, session, base/head/branch,
totals, attempt history) and its files with sizes, and checks the files against the manifest.

${KEY_HELP}

Options:
  --json                            the manifest.json as stored

${WHERE_HELP}

Exit status: 1 also when a file does not match the manifest (the checkpoint would be refused).`;
var RESTORE_HELP = `Usage: durable-agent checkpoints restore KEY [--into DIR] [options]

Restores a checkpoint's workspace (HEAD and branch at the agent's commit, the work tree as it was,
untracked files included), experiment outputs and extra folder, after checking every file against
the manifest. A checkpoint that fails a check is refused and nothing is changed.

${KEY_HELP}

Options:
  --into DIR                        restore into DIR instead of the current checkout; an empty or
                                    new DIR first becomes a clone of the current repository at the
                                    checkpoint's base commit
  --agent-state DIR                 also restore the agent's state (its sessions) into DIR
  --extra-dir DIR                   where the extra folder ($DURABLE_AGENT_CHECKPOINT_DIR) goes
                                    (default: where run would give it to an agent working there)
  --force                           restore into a checkout with uncommitted changes, or move a
                                    branch that has commits the checkpoint lacks

${WHERE_HELP}`;
var PRUNE_HELP = `Usage: durable-agent checkpoints prune --keep N [--all] [--dry-run] [options]

Deletes all but the newest N checkpoints of this folder's lineage (--all: of every lineage in the
local store). The artifact store deletes only artifacts of the current run attempt.

Options:
  --keep N                          how many of the newest to keep (0 deletes them all)
  --all                             every lineage in the local store folder
  --dry-run                         say what would be deleted, delete nothing

${WHERE_HELP}`;
var HELPS = { list: LIST_HELP, show: SHOW_HELP, restore: RESTORE_HELP, prune: PRUNE_HELP };
var COMMON_OPTIONS = {
  store: { type: "string" },
  "checkpoint-dir": { type: "string" },
  "checkpoint-id": { type: "string" },
  "resume-from": { type: "string" },
  "working-directory": { type: "string" },
  home: { type: "string" },
  help: { type: "boolean", short: "h" }
};
var OPTIONS = {
  list: { ...COMMON_OPTIONS, all: { type: "boolean" }, json: { type: "boolean" } },
  show: { ...COMMON_OPTIONS, json: { type: "boolean" } },
  restore: { ...COMMON_OPTIONS, into: { type: "string" }, "agent-state": { type: "string" }, "extra-dir": { type: "string" }, force: { type: "boolean" } },
  prune: { ...COMMON_OPTIONS, keep: { type: "string" }, all: { type: "boolean" }, "dry-run": { type: "boolean" } }
};
var FLAG_OF_INPUT = {
  checkpoint_dir: "--checkpoint-dir",
  checkpoint_id: "--checkpoint-id",
  resume_from: "--resume-from",
  working_directory: "--working-directory"
};
async function checkpointsCommand(argv, env) {
  const [sub, ...rest] = argv;
  if (sub === void 0 || sub === "-h" || sub === "--help" || sub === "help") {
    process.stdout.write(`${CHECKPOINTS_HELP}
`);
    return sub === void 0 ? 2 : 0;
  }
  if (!isSubcommand(sub)) throw new SettingsError(`checkpoints: unknown command '${sub}' (one of list, show, restore, prune)`);
  const { values, positionals } = parseArgs2({ args: rest, options: OPTIONS[sub], allowPositionals: true, strict: true });
  const flags = values;
  if (flags.help === true) {
    process.stdout.write(`${HELPS[sub]}
`);
    return 0;
  }
  const text = (name) => {
    const value = flags[name];
    return typeof value === "string" ? value : void 0;
  };
  const on = (name) => flags[name] === true;
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = process.stderr.write.bind(process.stderr);
  try {
    const ctx = openContext(text, env, (line) => write(`${line}
`));
    return await dispatch(sub, ctx, text, on, positionals);
  } finally {
    process.stdout.write = write;
  }
}
function dispatch(sub, ctx, text, on, positionals) {
  switch (sub) {
    case "list":
      noPositionals(sub, positionals);
      return listCommand(ctx, { all: on("all"), json: on("json") });
    case "show":
      return showCommand(ctx, oneKey(sub, positionals), { json: on("json") });
    case "restore":
      return restoreCommand(ctx, oneKey(sub, positionals), {
        into: nonEmpty("--into", text("into")),
        agentStateDir: nonEmpty("--agent-state", text("agent-state")),
        extraDir: nonEmpty("--extra-dir", text("extra-dir")),
        force: on("force")
      });
    case "prune": {
      noPositionals(sub, positionals);
      return pruneCommand(ctx, { keep: parseKeep(text("keep")), all: on("all"), dryRun: on("dry-run") });
    }
  }
}
function isSubcommand(name) {
  return Object.hasOwn(HELPS, name);
}
function noPositionals(sub, positionals) {
  if (positionals.length > 0) throw new SettingsError(`checkpoints ${sub}: unexpected argument '${positionals[0] ?? ""}'`);
}
function oneKey(sub, positionals) {
  const [key, extra] = positionals;
  if (key === void 0) throw new SettingsError(`checkpoints ${sub}: give the checkpoint KEY (as \`checkpoints list\` prints it)`);
  if (extra !== void 0) throw new SettingsError(`checkpoints ${sub}: unexpected argument '${extra}' (one KEY only)`);
  return key;
}
function nonEmpty(flag, value) {
  if (value !== void 0 && value.trim() === "") throw new SettingsError(`${flag}: needs a folder`);
  return value;
}
function parseKeep(value) {
  if (value === void 0) throw new SettingsError("--keep: required (how many of the newest checkpoints to keep)");
  if (!/^\d{1,6}$/.test(value.trim())) throw new SettingsError(`--keep: '${value}' is not a whole number from 0 to 999999`);
  return Number(value.trim());
}
function isStoreChoice(value) {
  return STORE_CHOICES.includes(value);
}
function openContext(flag, env, out) {
  const storeFlag = flag("store");
  if (storeFlag !== void 0 && !isStoreChoice(storeFlag)) {
    throw new SettingsError(`--store: '${storeFlag}' is not one of ${STORE_CHOICES.join(", ")}`);
  }
  const inActions = env.GITHUB_ACTIONS === "true" && Boolean(env.ACTIONS_RUNTIME_TOKEN);
  const choice = storeFlag ?? (inActions && flag("checkpoint-dir") === void 0 ? "both" : "local");
  if (choice !== "local" && !inActions) {
    throw new SettingsError(`--store: '${choice}' can only be reached from inside a GitHub Actions job (GITHUB_ACTIONS=true and ACTIONS_RUNTIME_TOKEN set)`);
  }
  const workingDirectory = path3.resolve(flag("working-directory") ?? ".");
  const home = flag("home") ?? defaultHome(workingDirectory);
  let settings;
  try {
    settings = readSettings(
      (name) => {
        if (name === "prompt") return "checkpoints";
        if (name === "checkpoint_store") return choice;
        if (name === "github_token") return env.GITHUB_TOKEN;
        const flagName2 = FLAG_OF_INPUT[name];
        return flagName2 === void 0 ? void 0 : flag(flagName2.slice(2));
      },
      { baseDir: process.cwd(), tempDir: home, job: env.GITHUB_JOB }
    );
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    throw new SettingsError(
      error.message.replace(/^(\w+): (?!')/gm, (match, input) => {
        const flagName2 = FLAG_OF_INPUT[input];
        return flagName2 === void 0 ? match : `${flagName2}: '${flag(flagName2.slice(2)) ?? ""}' `;
      }).replace(/^(\w+):/gm, (match, input) => `${FLAG_OF_INPUT[input] ?? input}:`)
    );
  }
  const log = terminalLog(process.stderr);
  const actionsStores = (store, lineage) => createStoreSet({ ...settings, checkpoint: { ...settings.checkpoint, store } }, env, log, lineage).restoreOrder;
  const localStore = () => new LocalStore(settings.checkpoint.dir);
  return {
    out,
    env,
    settings,
    homeFlag: flag("home"),
    choice,
    stores: (lineage) => choice === "local" ? [localStore()] : actionsStores(choice, lineage),
    localStore,
    actionsStore: (name, lineage) => {
      if (!inActions) throw new SettingsError(`the ${name} store can only be reached from inside a GitHub Actions job (GITHUB_ACTIONS=true and ACTIONS_RUNTIME_TOKEN set)`);
      const [store] = actionsStores(name, lineage);
      if (store === void 0) throw new Error(`no ${name} store`);
      return store;
    }
  };
}
async function currentLineage(ctx) {
  const { settings, env } = ctx;
  let workspace = settings.workingDirectory;
  if (env.GITHUB_REPOSITORY === void 0) {
    try {
      workspace = await git(settings.workingDirectory, ["rev-parse", "--show-toplevel"]);
    } catch {
      throw new CommandFailed(
        `${settings.workingDirectory} is not in a git checkout, so it has no lineage: run this in the checkout a run worked in (or give --working-directory), or use --all`
      );
    }
  }
  return lineageFor(settings, env, workspace);
}
function describeLineage(lineage) {
  return `${lineage.repository} / ${lineage.workflow} / ${lineage.job} / ${lineage.checkpointId} / run ${lineage.runId}`;
}
function actionsStoresName(choice) {
  return choice === "both" ? "the cache and artifact stores work" : `the ${choice} store works`;
}
function storeWhere(store) {
  return store instanceof LocalStore ? `the local store ${store.root}` : `the ${store.name} store`;
}
async function walkLocalStore(root) {
  let hashes;
  try {
    hashes = (await readdir(root, { withFileTypes: true })).filter((entry) => entry.isDirectory() && /^[0-9a-f]{16}$/.test(entry.name)).map((entry) => entry.name);
  } catch (error) {
    if (error.code === "ENOENT") return [];
    throw error;
  }
  const lineages = [];
  for (const hash of hashes) {
    const refs = [];
    let lineage;
    for (const name of await readdir(path3.join(root, hash))) {
      const sequence = parseSequenceLabel(name);
      if (sequence === void 0) continue;
      const described = await describeCheckpointFolder(path3.join(root, hash, name), `${hash}/${name}`, sequence);
      if (described === void 0) continue;
      refs.push(described.ref);
      if (lineage === void 0 && described.lineage !== void 0 && lineageHash(described.lineage) === hash) lineage = described.lineage;
    }
    if (refs.length > 0) lineages.push({ hash, lineage, refs: newestFirst(refs) });
  }
  const newest = (entry) => entry.refs.reduce((latest, ref) => ref.createdAt > latest ? ref.createdAt : latest, "");
  return lineages.sort((a, b) => newest(b).localeCompare(newest(a)) || a.hash.localeCompare(b.hash));
}
function formatTime(iso) {
  if (iso === "") return "-";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 19).replace("T", " ")}Z`;
}
function lineageCell(hash, lineage) {
  return lineage === void 0 ? `${hash.slice(0, 8)} ?` : `${hash.slice(0, 8)} ${lineage.checkpointId} run ${lineage.runId}`;
}
function formatCheckpointTable(rows) {
  const header = ["LINEAGE", "SEQ", "TIME", "SIZE", "ATTEMPT", "STORE", "KEY"];
  const alignRight = /* @__PURE__ */ new Set([1, 3, 4]);
  const cells = rows.map(({ lineageHash: hash, lineage, ref }) => [
    lineageCell(hash, lineage),
    String(ref.sequence),
    formatTime(ref.createdAt),
    ref.sizeBytes > 0 ? formatBytes(ref.sizeBytes) : "-",
    ref.attempt > 0 ? String(ref.attempt) : "-",
    ref.store,
    ref.key
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((row) => (row[column] ?? "").length)));
  const line = (row) => row.map((cell, column) => {
    const width = widths[column] ?? 0;
    if (column === row.length - 1) return cell;
    return alignRight.has(column) ? cell.padStart(width) : cell.padEnd(width);
  }).join("  ").trimEnd();
  return [header, ...cells].map(line).join("\n");
}
function jsonRow({ lineageHash: hash, lineage, ref }) {
  return {
    lineageHash: hash,
    lineage: lineage ?? null,
    key: ref.key,
    sequence: ref.sequence,
    attempt: ref.attempt > 0 ? ref.attempt : null,
    createdAt: ref.createdAt === "" ? null : ref.createdAt,
    sizeBytes: ref.sizeBytes > 0 ? ref.sizeBytes : null,
    store: ref.store
  };
}
function formatAttemptEntry(entry) {
  const num = (name) => {
    const value = entry[name];
    return typeof value === "number" && Number.isFinite(value) ? value : void 0;
  };
  const str = (name) => {
    const value = entry[name];
    return typeof value === "string" && value !== "" ? value : void 0;
  };
  const number = num("number");
  const mode = str("mode");
  const outcome = str("outcome");
  if (number === void 0 || outcome === void 0) return JSON.stringify(entry);
  const runAttempt = num("runAttempt");
  const reason = str("reason");
  const parts = [
    `${runAttempt === void 0 ? "" : `run attempt ${runAttempt}, `}attempt ${number}${mode === void 0 ? "" : ` (${mode})`}: ${outcome}${reason === void 0 || reason === outcome ? "" : ` (${reason})`}`
  ];
  const startedAt = str("startedAt");
  if (startedAt !== void 0) parts.push(`started ${formatTime(startedAt)}`);
  const durationMs = num("durationMs");
  if (durationMs !== void 0) parts.push(`took ${formatDuration(durationMs)}`);
  const turns = num("turns");
  if (turns !== void 0) parts.push(`${turns} turns`);
  const cost = num("costUsd");
  if (cost !== void 0) parts.push(`$${cost.toFixed(4)}`);
  const apiRetries = num("apiRetries");
  if (apiRetries !== void 0 && apiRetries > 0) parts.push(`${apiRetries} API retries`);
  return parts.join(", ");
}
function formatManifest(manifest, about) {
  const { workspace } = manifest;
  const lines = [];
  const field = (label, value) => {
    lines.push(`${`${label}:`.padEnd(14)}${value}`);
  };
  lines.push(`Checkpoint ${about.key} (${about.store} store${about.location === void 0 ? "" : `, ${about.location}`})`);
  field("Lineage", `${describeLineage(manifest.lineage)} (hash ${lineageHash(manifest.lineage)})`);
  field("Sequence", String(manifest.sequence));
  field("Run attempt", String(manifest.attempt));
  field("Created", formatTime(manifest.createdAt));
  field("Agent", manifest.agent);
  field("Session", manifest.sessionId ?? "(none)");
  field("Work tree", workspace.path);
  field("Base", workspace.base);
  field("Head", `${workspace.head}${workspace.branch === null ? " (detached)" : ` on branch ${workspace.branch}`}`);
  if (workspace.omitted !== null) field("Workspace", `not saved: ${workspace.omitted}`);
  else field("Snapshot", workspace.snapshot ?? "(none: the work tree was clean at head)");
  if (manifest.checkpointPaths.trim() !== "") field("Paths", manifest.checkpointPaths.trim().split("\n").map((line) => line.trim()).join(", "));
  if (manifest.extraDir !== null) field("Extra folder", manifest.extraDir);
  if (manifest.agentStateDir !== null) field("Agent state", manifest.agentStateDir);
  field("Totals", `$${manifest.totals.costUsd.toFixed(4)}, ${manifest.totals.turns} turns`);
  lines.push(`Attempts (${manifest.attempts.length}):`);
  for (const entry of manifest.attempts) lines.push(`  ${formatAttemptEntry(entry)}`);
  lines.push("Files:");
  const rows = [
    ...manifest.files.map((file) => [file.name, file.role, formatBytes(file.sizeBytes), `sha256 ${file.sha256.slice(0, 16)}\u2026`]),
    [MANIFEST_FILE, "manifest", formatBytes(about.manifestBytes), ""]
  ];
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => (row[column] ?? "").length)));
  for (const row of rows) {
    lines.push(`  ${(row[0] ?? "").padEnd(widths[0] ?? 0)}  ${(row[1] ?? "").padEnd(widths[1] ?? 0)}  ${(row[2] ?? "").padStart(widths[2] ?? 0)}  ${row[3] ?? ""}`.trimEnd());
  }
  const total = manifest.files.reduce((sum, file) => sum + file.sizeBytes, about.manifestBytes);
  lines.push(`  total ${formatBytes(total)}`);
  if (manifest.excluded.length > 0) {
    lines.push("Left out (held a secret value):");
    for (const excluded of manifest.excluded) lines.push(`  ${excluded.area}: ${excluded.path}`);
  }
  field("Check", about.problem === void 0 ? "ok (every file matches its size and sha256)" : `FAILED: ${about.problem}`);
  return lines.join("\n");
}
function parseCheckpointKey(text) {
  const value = text.trim();
  if (value === "latest") return { kind: "latest" };
  if (/^\d{1,15}$/.test(value)) return { kind: "sequence", sequence: Number(value) };
  const local = /^([0-9a-f]{16})\/(\d{1,15})$/.exec(value);
  if (local?.[1] !== void 0 && local[2] !== void 0) {
    const sequence = Number(local[2]);
    return { kind: "local", key: `${local[1]}/${formatSequence(sequence)}`, hash: local[1], sequence };
  }
  const cache = /^durable-agent-v1-([0-9a-f]{16})-(\d{6,15})$/.exec(value);
  if (cache?.[1] !== void 0 && cache[2] !== void 0) return { kind: "cache", key: value, hash: cache[1], sequence: Number(cache[2]) };
  const artifact = /^durable-agent-.+-a(\d{1,9})-(\d{6,15})$/.exec(value);
  if (artifact?.[1] !== void 0 && artifact[2] !== void 0) return { kind: "artifact", key: value, attempt: Number(artifact[1]), sequence: Number(artifact[2]) };
  return void 0;
}
async function locate(ctx, key) {
  const parsed = parseCheckpointKey(key);
  if (parsed === void 0) {
    throw new SettingsError(
      `'${key}' is not a checkpoint key: give <lineage hash>/<sequence> (local store), a cache key, an artifact name, a sequence number or 'latest' (see \`checkpoints list\`)`
    );
  }
  switch (parsed.kind) {
    case "local": {
      const store = ctx.localStore();
      const folder = path3.join(store.root, parsed.hash, formatSequence(parsed.sequence));
      const described = await describeCheckpointFolder(folder, parsed.key, parsed.sequence);
      if (described === void 0) throw new CommandFailed(`no checkpoint ${parsed.key} in ${storeWhere(store)}`);
      return { ref: described.ref, store, folder };
    }
    case "cache": {
      const lineage = await currentLineage(ctx);
      if (lineageHash(lineage) !== parsed.hash) {
        throw new CommandFailed(
          `${parsed.key} belongs to lineage ${parsed.hash}, not to this job's (${lineageHash(lineage)}, ${describeLineage(lineage)}): give the --checkpoint-id and --resume-from the run used`
        );
      }
      return { ref: { key: parsed.key, sequence: parsed.sequence, attempt: 0, createdAt: "", sizeBytes: 0, store: "cache" }, store: ctx.actionsStore("cache", lineage), folder: void 0 };
    }
    case "artifact":
      return {
        ref: { key: parsed.key, sequence: parsed.sequence, attempt: parsed.attempt, createdAt: "", sizeBytes: 0, store: "artifact" },
        store: ctx.actionsStore("artifact", await currentLineage(ctx)),
        folder: void 0
      };
    case "sequence":
    case "latest": {
      const lineage = await currentLineage(ctx);
      let found;
      const stores = ctx.stores(lineage);
      for (const store of stores) {
        const refs = await store.list(lineage);
        const match = parsed.kind === "latest" ? refs[0] : refs.find((ref) => ref.sequence === parsed.sequence);
        if (match !== void 0 && (found === void 0 || match.sequence > found.ref.sequence)) found = { ref: match, store };
        if (found !== void 0 && parsed.kind === "sequence") break;
      }
      const what = parsed.kind === "latest" ? "no checkpoint" : `no checkpoint with sequence ${parsed.sequence}`;
      if (found === void 0) throw new CommandFailed(`${what} of lineage ${describeLineage(lineage)} in ${stores.map(storeWhere).join(" or ")}`);
      const folder = found.store instanceof LocalStore ? path3.join(found.store.root, ...found.ref.key.split("/")) : void 0;
      return { ...found, folder };
    }
  }
}
async function withCheckpointFolder(located, body) {
  if (located.folder !== void 0) return body(located.folder);
  const temp = await mkdtemp(path3.join(os2.tmpdir(), "durable-agent-checkpoint-"));
  try {
    try {
      await located.store.fetch(located.ref, temp);
    } catch (error) {
      throw new CommandFailed(`cannot fetch ${located.ref.key} from the ${located.store.name} store: ${error.message}`);
    }
    return await body(temp);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}
async function readManifestText(dir, key) {
  let text;
  try {
    text = await readFile(path3.join(dir, MANIFEST_FILE), "utf8");
  } catch (error) {
    throw new CommandFailed(`checkpoint ${key}: manifest.json cannot be read: ${error.message}`);
  }
  const parsed = parseManifest(text);
  if (!parsed.ok) throw new CommandFailed(`checkpoint ${key}: ${parsed.reason}`);
  return { text, manifest: parsed.manifest };
}
async function integrityProblem(dir, manifest) {
  try {
    await readValidManifest(dir, manifest.lineage);
    return void 0;
  } catch (error) {
    if (error instanceof CheckpointRejected) return `${error.reason} (${error.kind})`;
    throw error;
  }
}
async function listCommand(ctx, options) {
  const { out } = ctx;
  if (options.all) {
    if (ctx.choice !== "local") throw new SettingsError(`--all: only the local store can list every lineage (${actionsStoresName(ctx.choice)} one lineage at a time)`);
    const store = ctx.localStore();
    const lineages = await walkLocalStore(store.root);
    const rows2 = lineages.flatMap((entry) => entry.refs.map((ref) => ({ lineageHash: entry.hash, lineage: entry.lineage, ref })));
    if (options.json) {
      out(JSON.stringify(rows2.map(jsonRow), null, 2));
      return 0;
    }
    if (rows2.length === 0) {
      out(`No checkpoints in ${storeWhere(store)}.`);
      return 0;
    }
    out(`${rows2.length} checkpoint(s) of ${lineages.length} lineage(s) in ${storeWhere(store)}:
`);
    out(formatCheckpointTable(rows2));
    out("\nLineages:");
    for (const entry of lineages) out(`  ${entry.hash}  ${entry.lineage === void 0 ? "(no readable manifest)" : describeLineage(entry.lineage)}`);
    return 0;
  }
  const lineage = await currentLineage(ctx);
  const hash = lineageHash(lineage);
  const rows = [];
  let failed = false;
  const stores = ctx.stores(lineage);
  for (const store of stores) {
    try {
      for (const ref of await store.list(lineage)) rows.push({ lineageHash: hash, lineage, ref });
    } catch (error) {
      failed = true;
      process.stderr.write(`durable-agent: cannot list ${storeWhere(store)}: ${error.message}
`);
    }
  }
  if (options.json) {
    out(JSON.stringify(rows.map(jsonRow), null, 2));
    return failed ? 1 : 0;
  }
  const where = stores.map(storeWhere).join(" and ");
  if (rows.length === 0) {
    out(`No checkpoints of lineage ${describeLineage(lineage)} (${hash}) in ${where}.`);
    if (ctx.choice === "local") out("`durable-agent checkpoints list --all` lists every lineage there.");
    return failed ? 1 : 0;
  }
  out(`Checkpoints of lineage ${describeLineage(lineage)} (${hash}) in ${where}:
`);
  out(formatCheckpointTable(rows));
  return failed ? 1 : 0;
}
async function showCommand(ctx, key, options) {
  const located = await locate(ctx, key);
  return withCheckpointFolder(located, async (dir) => {
    const { text, manifest } = await readManifestText(dir, located.ref.key);
    if (options.json) {
      ctx.out(text.replace(/\n$/, ""));
      return 0;
    }
    const problem = await integrityProblem(dir, manifest);
    const manifestBytes = (await stat(path3.join(dir, MANIFEST_FILE))).size;
    ctx.out(formatManifest(manifest, { key: located.ref.key, store: located.store.name, location: located.folder, problem, manifestBytes }));
    return problem === void 0 ? 0 : 1;
  });
}
async function restoreCommand(ctx, key, options) {
  const located = await locate(ctx, key);
  return withCheckpointFolder(located, async (dir) => {
    const { manifest } = await readManifestText(dir, located.ref.key).catch((error) => {
      throw error instanceof CommandFailed ? new CommandFailed(`cannot restore ${error.message}`) : error;
    });
    const problem = await integrityProblem(dir, manifest);
    if (problem !== void 0) throw new CommandFailed(`cannot restore checkpoint ${located.ref.key}: refused: ${problem}`);
    const target = await prepareTarget(ctx, manifest, options);
    const has = (role) => manifest.files.some((file) => file.role === role);
    const extraDir = has("extra") ? path3.resolve(options.extraDir ?? target.extraDir) : void 0;
    const agentStateDir = options.agentStateDir === void 0 ? void 0 : path3.resolve(options.agentStateDir);
    let result;
    try {
      result = await restoreCheckpoint({ dir, workspace: target.workspace, lineage: manifest.lineage, extraDir, agentStateDir, checkpointPaths: manifest.checkpointPaths });
    } catch (error) {
      await target.undo();
      if (error instanceof CheckpointRejected) throw new CommandFailed(`cannot restore checkpoint ${located.ref.key}: refused: ${error.reason} (${error.kind})`);
      throw new CommandFailed(`cannot restore checkpoint ${located.ref.key}: ${error.message}`);
    }
    const lines = [...target.preface];
    const { workspace } = manifest;
    lines.push(`Restored checkpoint ${located.ref.key} (sequence ${manifest.sequence}, run attempt ${manifest.attempt}, taken ${formatTime(manifest.createdAt)}) into ${target.workspace}`);
    if (result.workspace === "omitted") lines.push(`  workspace: not restored (${workspace.omitted ?? ""})`);
    else {
      const head = `HEAD ${workspace.head.slice(0, 12)}${workspace.branch === null ? " (detached)" : ` on branch ${workspace.branch}`}`;
      const tree = workspace.snapshot === null ? "work tree at HEAD" : `work tree from snapshot ${workspace.snapshot.slice(0, 12)} (uncommitted and untracked files)`;
      lines.push(`  workspace: ${head}, ${tree}`);
    }
    if (result.restored.includes("paths")) lines.push(`  experiment outputs: ${manifest.checkpointPaths.trim().split("\n").map((line) => line.trim()).join(", ")} into ${target.workspace}`);
    if (result.restored.includes("extra")) lines.push(`  extra folder: ${extraDir ?? ""}`);
    if (result.restored.includes("agent-state")) lines.push(`  agent state: ${agentStateDir ?? ""}`);
    else if (has("agent-state")) lines.push("  agent state: not restored (give --agent-state DIR)");
    else if (agentStateDir !== void 0) lines.push("  agent state: none in this checkpoint");
    for (const note of result.notes) if (!note.startsWith("not restored:")) lines.push(`  note: ${note}`);
    ctx.out(lines.join("\n"));
    return 0;
  });
}
async function prepareTarget(ctx, manifest, options) {
  const nothing = () => Promise.resolve();
  const extraFor = (workspace2) => path3.join(ctx.homeFlag ?? defaultHome(workspace2), "durable-agent", "checkpoint-dir");
  if (options.into === void 0) {
    let workspace2;
    try {
      workspace2 = await git(ctx.settings.workingDirectory, ["rev-parse", "--show-toplevel"]);
    } catch {
      throw new CommandFailed(`${ctx.settings.workingDirectory} is not in a git checkout: run restore in the checkout to restore into, or give --into DIR`);
    }
    if (!options.force) await refuseToOverwrite(workspace2, manifest);
    return { workspace: workspace2, extraDir: checkpointHooks(ctx.settings).extraDir, preface: [], undo: nothing };
  }
  const into = path3.resolve(options.into);
  const info = await lstat(into).catch(() => void 0);
  if (info !== void 0 && !info.isDirectory()) throw new SettingsError(`--into: '${options.into}' is not a folder`);
  const empty = info === void 0 || (await readdir(into)).length === 0;
  if (!empty) {
    const top = await git(into, ["rev-parse", "--show-toplevel"]).catch(() => void 0);
    if (top === void 0 || top !== await realpath(into)) throw new SettingsError(`--into: '${options.into}' is neither empty nor the top folder of a git checkout`);
    if (!options.force) await refuseToOverwrite(top, manifest);
    return { workspace: top, extraDir: extraFor(top), preface: [], undo: nothing };
  }
  let source;
  try {
    source = await git(ctx.settings.workingDirectory, ["rev-parse", "--show-toplevel"]);
  } catch {
    throw new CommandFailed(
      `--into ${options.into}: the checkpoint holds only the changes since its base commit, so a clone of the repository is needed, and ${ctx.settings.workingDirectory} is not in a git checkout: run this in the repository the checkpoint was taken from`
    );
  }
  const base = manifest.workspace.base;
  if (!await gitSucceeds(source, ["cat-file", "-e", `${base}^{commit}`])) {
    throw new CommandFailed(`the checkpoint's base commit ${base} is not in ${source}: fetch it there first (git fetch origin ${base})`);
  }
  await mkdir(into, { recursive: true });
  const undo = async () => {
    if (info === void 0) await rm(into, { recursive: true, force: true });
    else for (const name of await readdir(into)) await rm(path3.join(into, name), { recursive: true, force: true });
  };
  try {
    await git(into, ["clone", "-q", "--no-checkout", "--", source, into]);
    await git(into, ["checkout", "-q", "--detach", base]);
  } catch (error) {
    await undo();
    throw new CommandFailed(`cannot clone ${source} into ${into} at ${base}: ${error.message}`);
  }
  const workspace = await realpath(into);
  return { workspace, extraDir: extraFor(workspace), preface: [`Cloned ${source} into ${workspace} at the base commit ${base.slice(0, 12)}`], undo };
}
async function refuseToOverwrite(workspace, manifest) {
  const status = (await git(workspace, ["status", "--porcelain", "--untracked-files=all"])).split("\n").filter(Boolean);
  if (status.length > 0) {
    throw new CommandFailed(
      `${workspace} has uncommitted changes the restore would overwrite (${status.length} path(s), such as ${status[0]?.slice(3) ?? ""}): commit or stash them, restore --into a new folder, or give --force`
    );
  }
  const { branch, base, head } = manifest.workspace;
  if (branch === null) return;
  const tip = await git(workspace, ["rev-parse", "--verify", "-q", `refs/heads/${branch}`]).catch(() => "");
  if (tip === "" || tip === head) return;
  if (await gitSucceeds(workspace, ["merge-base", "--is-ancestor", tip, base])) return;
  if (await gitSucceeds(workspace, ["merge-base", "--is-ancestor", tip, head])) return;
  throw new CommandFailed(
    `branch ${branch} is at ${tip.slice(0, 12)}, which the checkpoint does not contain; the restore would move it to ${head.slice(0, 12)}: restore --into a new folder, or give --force`
  );
}
async function pruneCommand(ctx, options) {
  const { out } = ctx;
  const sequences = (refs) => refs.map((ref) => ref.sequence).join(", ");
  const pruneOne = async (store, lineage2) => {
    const label = `${storeWhere(store)}, lineage ${lineageCell(lineageHash(lineage2), lineage2)}`;
    const refs = await store.list(lineage2);
    const doomed = refs.slice(options.keep);
    if (doomed.length === 0) {
      out(`${label}: ${refs.length} checkpoint(s), nothing to delete (keeping ${options.keep})`);
      return;
    }
    if (options.dryRun) {
      out(`${label}: would delete ${doomed.length} of ${refs.length} checkpoint(s): sequence ${sequences(doomed)}`);
      return;
    }
    const deleted = await store.prune(lineage2, options.keep);
    const kept = await store.list(lineage2);
    out(`${label}: deleted ${deleted} of ${refs.length} checkpoint(s); kept ${kept.length}${kept.length > 0 ? `: sequence ${sequences(kept)}` : ""}`);
  };
  let failed = false;
  if (options.all) {
    if (ctx.choice !== "local") throw new SettingsError(`--all: only the local store can prune every lineage (${actionsStoresName(ctx.choice)} one lineage at a time)`);
    const store = ctx.localStore();
    const lineages = await walkLocalStore(store.root);
    if (lineages.length === 0) out(`No checkpoints in ${storeWhere(store)}.`);
    for (const entry of lineages) {
      if (entry.lineage === void 0) {
        failed = true;
        process.stderr.write(`durable-agent: skipped lineage ${entry.hash} in ${storeWhere(store)}: none of its manifests can be read
`);
        continue;
      }
      await pruneOne(store, entry.lineage);
    }
    return failed ? 1 : 0;
  }
  const lineage = await currentLineage(ctx);
  for (const store of ctx.stores(lineage)) {
    try {
      await pruneOne(store, lineage);
    } catch (error) {
      failed = true;
      process.stderr.write(`durable-agent: cannot prune ${storeWhere(store)}: ${error.message}
`);
    }
  }
  return failed ? 1 : 0;
}

// src/cli/run-command.ts
import path4 from "node:path";
import { parseArgs as parseArgs3 } from "node:util";
var SECRET_FROM_ENV = {
  anthropic_api_key: "ANTHROPIC_API_KEY",
  claude_code_oauth_token: "CLAUDE_CODE_OAUTH_TOKEN",
  github_token: "GITHUB_TOKEN"
};
var ACTION_ONLY = /* @__PURE__ */ new Set(["matrix", "mode", "max_run_attempts", "rerun_delay", "rerun_on", "watched_workflows", "run_id"]);
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
  const { values: parsed, positionals } = parseArgs3({
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
  const workingDirectory = path4.resolve(flag("working-directory") ?? ".");
  const home = flag("home") ?? defaultHome(workingDirectory);
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

// src/cli/watchdog-command.ts
import { parseArgs as parseArgs4 } from "node:util";
var WATCHDOG_HELP = `Usage: durable-agent watchdog [--run-id ID] [options]

Decides whether to re-run the failed jobs of a workflow run, and does it: the same as the
action's mode: watchdog, for other schedulers or by hand.

Options:
  --run-id ID                 the run to check (default: the workflow_run event in GITHUB_EVENT_PATH)
  --repository OWNER/NAME     default GITHUB_REPOSITORY
  --max-run-attempts N        re-run only while the run's attempt is below N (default 3)
  --rerun-delay DURATION      wait before re-running (default 1m)
  --rerun-on REGEXES          newline-separated patterns of annotations that count as transient
  --watched-workflows NAMES   newline-separated workflow names or files (default: any)
  -h, --help

The token comes from GITHUB_TOKEN (actions: write, checks: read); the API from GITHUB_API_URL.
Prints decision=\u2026 and reason=\u2026; exits 0 whatever the decision, 1 on errors, 2 on bad arguments.`;
async function watchdogCommand(argv, env) {
  const { values } = parseArgs4({
    args: [...argv],
    options: {
      "run-id": { type: "string" },
      repository: { type: "string" },
      "max-run-attempts": { type: "string" },
      "rerun-delay": { type: "string" },
      "rerun-on": { type: "string" },
      "watched-workflows": { type: "string" },
      help: { type: "boolean", short: "h" }
    },
    strict: true
  });
  if (values.help) {
    process.stdout.write(`${WATCHDOG_HELP}
`);
    return 0;
  }
  const flags = {
    run_id: values["run-id"],
    max_run_attempts: values["max-run-attempts"],
    rerun_delay: values["rerun-delay"],
    rerun_on: values["rerun-on"],
    watched_workflows: values["watched-workflows"]
  };
  const settings = readWatchdogSettings((name) => flags[name], { ...env, ...values.repository ? { GITHUB_REPOSITORY: values.repository } : {} });
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.on("SIGINT", onSignal);
  try {
    const result = await watchdogFromSettings(
      settings,
      { info: (message) => process.stderr.write(`${message}
`), warning: (message) => process.stderr.write(`warning: ${message}
`) },
      controller.signal
    );
    process.stdout.write(`decision=${result.decision}
reason=${result.reason}
`);
    return 0;
  } finally {
    process.off("SIGINT", onSignal);
  }
}

// src/cli/main.ts
var HELP = `Usage: durable-agent <command> [options]

Commands:
  run           run an agent with retries (durable-agent run --help)
  checkpoints   list, show, restore and prune checkpoints (durable-agent checkpoints --help)
  checkpoint    from inside an agent: ask the durable-agent running it for a checkpoint now
  watchdog      re-run the failed jobs of a workflow run when they failed transiently (durable-agent watchdog --help)

durable-agent runs Claude Code or OpenCode so that transient API failures cost seconds, not hours.`;
async function cliMain(argv, env) {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "run":
        return await runCommand(rest, env);
      case "checkpoints":
        return await checkpointsCommand(rest, env);
      case "checkpoint":
        return await checkpointRequestCommand(rest, env);
      case "watchdog":
        return await watchdogCommand(rest, env);
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
    if (error instanceof CommandFailed) {
      process.stderr.write(`durable-agent: ${error.message}
`);
      return 1;
    }
    process.stderr.write(`durable-agent: ${error instanceof Error ? error.stack ?? error.message : String(error)}
`);
    return 1;
  }
}

// src/cli.ts
process.exitCode = await cliMain(process.argv.slice(2), process.env);
