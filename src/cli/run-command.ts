import path from 'node:path';
import { parseArgs } from 'node:util';
import { AGENT_NAMES, AGENTS, type Agent } from '../agents/registry.js';
import { runPipeline } from '../pipeline.js';
import { cliHome } from '../home-layout.js';
import type { RunContext } from '../run-context.js';
import type { CommandIo } from './io.js';
import { terminalLog } from '../report/log.js';
import { runOutputs } from '../report/run-outputs.js';
import { INPUT_DEFAULTS, INPUT_NAMES, readSettings, type InputName } from '../settings/settings.js';

/** Inputs that are secrets come from the environment, never from flags (shell history, ps). */
const SECRET_FROM_ENV: Partial<Record<InputName, string>> = {
  anthropic_api_key: 'ANTHROPIC_API_KEY',
  claude_code_oauth_token: 'CLAUDE_CODE_OAUTH_TOKEN',
  github_token: 'GITHUB_TOKEN',
  checkpoint_signing_key: 'DURABLE_AGENT_SIGNING_KEY',
};

/** Inputs that only make sense inside Actions, or belong to the watchdog command. */
const ACTION_ONLY: ReadonlySet<InputName> = new Set(['matrix', 'mode', 'max_run_attempts', 'rerun_delay', 'github_retry_time', 'rerun_on', 'watched_workflows', 'run_id']);

export const FLAG_INPUTS = INPUT_NAMES.filter((name) => !(name in SECRET_FROM_ENV) && !ACTION_ONLY.has(name));

export function flagName(input: InputName): string {
  return input.replaceAll('_', '-');
}

/** One help line per agent (the registry's), the text at the column the other options use. */
function agentOptions(line: (agent: Agent) => [string, string]): string {
  return AGENTS.map((agent) => {
    const [option, text] = line(agent);
    const head = `  ${option}`;
    if (text === '') return head;
    return head.length < 36 ? `${head.padEnd(36)}${text}` : `${head}\n${' '.repeat(36)}${text}`;
  }).join('\n');
}

export const RUN_HELP = `Usage: durable-agent run --prompt TEXT [options] [-- extra agent arguments]

Runs ${AGENTS.map((agent) => agent.label).join(' or ')} under durable-agent outside GitHub Actions.

Options (each is the action input of the same name, with dashes):
  --agent ${AGENT_NAMES.join('|').padEnd(26)}agent CLI to run (default ${INPUT_DEFAULTS.agent})
  --prompt TEXT                     the task
  --prompt-file FILE                read the task from a file instead
${agentOptions((agent) => [`--${flagName(agent.inputs.args)} ARGS`, `extra arguments for ${agent.executableName}, split as a shell does`])}
  --model NAME                      model to use
  --settings JSON|FILE              Claude Code settings merged into its settings.json
  --use-bedrock, --use-vertex, --use-foundry true|false
                                    Claude Code on Amazon Bedrock, Vertex AI or Microsoft Foundry
  --working-directory DIR           where the agent works (default: current folder)
${agentOptions((agent) => [`--${flagName(agent.inputs.version)} V`, `version installed when ${agent.executableName} is not on PATH (default ${agent.pinnedVersion})`])}
${agentOptions((agent) => [`--${flagName(agent.inputs.path)} FILE`, ''])}
  --attempt-timeout DURATION        longest one agent run may take (90s, 15m, 1h30m; default 6h)
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
  --api-retry-time DURATION         hold a streaming request through an outage this long (default 30m; 0: off)

Checkpoints (the local store by default):
  --checkpoint-store local|none|cache|artifact|both
  --checkpoint-dir DIR              local store folder (default: in --home)
  --checkpoint-paths GLOBS          newline-separated experiment outputs to include
  --checkpoint-interval DURATION    checkpoint this often when something changed (default 10m)
  --checkpoint-min-gap DURATION     least time between checkpoints after agent turns (default 2m)
  --checkpoint-id ID                names the lineage of checkpoints (default: the job)
  --resume-from run|branch|none     what to resume (default run)
  --restore-agent-config BOOL       let a restore change the agents' config files in the work tree (default false)
  --keep-checkpoints N              how many to keep (default 5)
  --retention-days N                artifact retention (default 7)
  --artifact-every-checkpoint true|false
  --secret-values VALUES            newline-separated values never to store

Budget (over every attempt and re-run of the lineage):
  --max-total-cost-usd X            stop retrying once the agent-reported cost reaches X (0: no bound)
  --max-total-turns N               stop retrying once the agent turns reach N (0: no bound)

Other:
  --home DIR                        folder for the agent's state and the execution file
                                    (default: a private folder per working directory in $XDG_STATE_HOME, ~/.local/state)
  -h, --help                        this help

Secrets come from the environment: ANTHROPIC_API_KEY, CLAUDE_CODE_OAUTH_TOKEN, GITHUB_TOKEN.
Arguments after -- go to the agent CLI as they are.
Exit status: 0 when the agent succeeded, 1 when it failed, 2 for bad arguments.`;

export async function runCommand(argv: readonly string[], run: RunContext, env: NodeJS.ProcessEnv, io: CommandIo): Promise<number> {
  const options = Object.fromEntries(FLAG_INPUTS.map((name) => [flagName(name), { type: 'string' as const }]));
  const { values: parsed, positionals } = parseArgs({
    args: [...argv],
    options: { ...options, home: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  const values: Record<string, unknown> = parsed;
  if (values.help) {
    io.out(`${RUN_HELP}\n`);
    return 0;
  }
  const flag = (name: string): string | undefined => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };
  const workingDirectory = path.resolve(flag('working-directory') ?? '.');
  const home = flag('home') ?? cliHome(workingDirectory, run.user);
  const settings = readSettings(
    (name) => {
      const fromEnv = SECRET_FROM_ENV[name];
      if (fromEnv) return env[fromEnv];
      if (ACTION_ONLY.has(name)) return undefined;
      // Outside Actions there is no cache service: checkpoints go to a local folder by default.
      if (name === 'checkpoint_store') return flag(flagName(name)) ?? 'local';
      const agentArgs = AGENTS.some((agent) => agent.inputs.args === name);
      const given = flag(flagName(name));
      // Arguments after `--` belong to whichever agent runs.
      if (agentArgs && positionals.length > 0) return [given ?? '', ...positionals.map(quoteWord)].join(' ');
      return given;
    },
    { baseDir: process.cwd(), tempDir: home, job: run.job },
  );

  const log = terminalLog();
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await runPipeline({ settings, log, run, env, signal: controller.signal });
    const lines = Object.entries(runOutputs(result)).map(([name, value]) => `${name}=${value}`);
    io.out(`${lines.join('\n')}\n`);
    if (result.conclusion === 'failure') log.error(`${result.failureReason}: ${result.failureMessage}`);
    return result.conclusion === 'success' ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Quotes a word so that splitting it again like a shell gives it back unchanged. */
function quoteWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
