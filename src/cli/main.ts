import { AGENTS } from '../agents/registry.js';
import { readRunContext } from '../run-context.js';
import { SettingsError } from '../settings/settings.js';
import { checkpointRequestCommand } from './checkpoint-request.js';
import { checkpointsCommand } from './checkpoints/command.js';
import { CommandFailed } from './command-failed.js';
import type { CommandIo } from './io.js';
import { RUN_HELP, runCommand } from './run-command.js';
import { VERSION } from './version.js';
import { watchdogCommand } from './watchdog-command.js';

const HELP = `Usage: durable-agent <command> [options]

Commands:
  run           run an agent with retries (durable-agent run --help)
  checkpoints   list, show, restore and prune checkpoints (durable-agent checkpoints --help)
  checkpoint    from inside an agent: ask the durable-agent running it for a checkpoint now
  watchdog      re-run the failed jobs of a workflow run when they failed transiently (durable-agent watchdog --help)

Options:
  -h, --help     this help
  -V, --version  print the version

durable-agent runs ${AGENTS.map((agent) => agent.label).join(' or ')} so that transient API failures cost seconds, not hours.`;

export async function cliMain(argv: readonly string[], env: NodeJS.ProcessEnv, io: CommandIo): Promise<number> {
  const [command, ...rest] = argv;
  const run = readRunContext(env);
  try {
    switch (command) {
      case 'run':
        return await runCommand(rest, run, env, io);
      case 'checkpoints':
        return await checkpointsCommand(rest, run, io);
      case 'checkpoint':
        return await checkpointRequestCommand(rest, run, io);
      case 'watchdog':
        return await watchdogCommand(rest, run, io);
      // Asked for: the answer is the output (stdout, exit 0). Not asked for: a usage error (stderr, exit 2).
      case '-h':
      case '--help':
      case 'help':
        io.out(`${HELP}\n`);
        return 0;
      case '-V':
      case '--version':
      case 'version':
        io.out(`${VERSION}\n`);
        return 0;
      case undefined:
        io.err(`durable-agent: a command is needed\n\n${HELP}\n`);
        return 2;
      default:
        io.err(`durable-agent: unknown command '${command}'\n\n${HELP}\n`);
        return 2;
    }
  } catch (error) {
    if (error instanceof SettingsError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
      io.err(`durable-agent: ${error.message}\n`);
      if (command === 'run' && !(error instanceof SettingsError)) io.err(`\n${RUN_HELP}\n`);
      return 2;
    }
    // An expected failure (a refused checkpoint, a missing key) is said in one line, without a stack.
    if (error instanceof CommandFailed) {
      io.err(`durable-agent: ${error.message}\n`);
      return 1;
    }
    io.err(`durable-agent: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}
