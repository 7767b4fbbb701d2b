// The checkpoints commands' help texts.

const WHERE_HELP = `Where to look (every command):
  --store local|cache|artifact      default: the Actions cache and artifacts inside a GitHub Actions
                                    job (GITHUB_ACTIONS=true and ACTIONS_RUNTIME_TOKEN set), else local
  --checkpoint-dir DIR              the local store (default: <home>/durable-agent/checkpoints, as run)
  --checkpoint-id ID                the lineage's id (default as run: the job, else "agent")
  --resume-from run|branch          the lineage of this run or of the branch (default run)
  --working-directory DIR           the folder run worked in (default: current folder)
  --home DIR                        run's --home (default: a folder per working directory in the
                                    OS temp folder)
  -h, --help                        this help`;

const KEY_HELP = `KEY is what \`checkpoints list\` prints: <lineage hash>/<sequence> in the local store, the cache
key, or the artifact name; or a sequence number or "latest" of this folder's lineage.`;

export const CHECKPOINTS_HELP = `Usage: durable-agent checkpoints <command> [options]

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

export const LIST_HELP = `Usage: durable-agent checkpoints list [--all] [--json] [options]

Lists checkpoints, newest first: lineage (short hash, checkpoint id, run), sequence, time (UTC),
size, run attempt, store and key. Without --all, only the lineage a run here would resume.

Options:
  --all                             every lineage in the local store folder
  --json                            one JSON array instead of the table

${WHERE_HELP}`;

export const SHOW_HELP = `Usage: durable-agent checkpoints show KEY [--json] [options]

Prints one checkpoint's manifest (lineage, sequence, attempt, time, agent, session, base/head/branch,
totals, attempt history) and its files with sizes, and checks the files against the manifest.

${KEY_HELP}

Options:
  --json                            the manifest.json as stored

${WHERE_HELP}

Exit status: 1 also when a file does not match the manifest (the checkpoint would be refused).`;

export const RESTORE_HELP = `Usage: durable-agent checkpoints restore KEY [--into DIR] [options]

Restores a checkpoint's workspace (HEAD and branch at the agent's commit, the work tree as it was,
untracked files included), experiment outputs and extra folder, after checking every file against
the manifest. A checkpoint that fails a check is refused and nothing is changed. With
DURABLE_AGENT_SIGNING_KEY set (the checkpoint_signing_key of the runs that saved it), an unsigned or
wrongly signed checkpoint is refused.

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

export const PRUNE_HELP = `Usage: durable-agent checkpoints prune --keep N [--all] [--dry-run] [options]

Deletes all but the newest N checkpoints of this folder's lineage (--all: of every lineage in the
local store). The artifact store deletes only artifacts of the current run attempt.

Options:
  --keep N                          how many of the newest to keep (0 deletes them all)
  --all                             every lineage in the local store folder
  --dry-run                         say what would be deleted, delete nothing

${WHERE_HELP}`;

export const SUBCOMMAND_HELP = { list: LIST_HELP, show: SHOW_HELP, restore: RESTORE_HELP, prune: PRUNE_HELP } as const;
export type Subcommand = keyof typeof SUBCOMMAND_HELP;

export function isSubcommand(name: string): name is Subcommand {
  return Object.hasOwn(SUBCOMMAND_HELP, name);
}
