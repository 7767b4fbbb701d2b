// `durable-agent checkpoint`: run by the agent (or an experiment script) to ask the durable-agent
// that started it for a checkpoint now. The running scheduler notices the request file after the
// agent's next step and consumes it, so this command only has to create the file.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { CommandIo } from './io.js';
import type { RunContext } from '../run-context.js';
import { errorMessage } from '../error-message.js';

export const REQUEST_VARIABLE = 'DURABLE_AGENT_CHECKPOINT_REQUEST';

export const CHECKPOINT_HELP = `Usage: durable-agent checkpoint

Asks the durable-agent run this command runs under for a checkpoint now: it creates the file named
by $${REQUEST_VARIABLE}, which durable-agent sets in the agent's environment. The checkpoint
is taken once the agent's current step (this command) has finished, even if nothing changed.

Use it after an experiment wrote results worth keeping, before a long or risky step.

Options:
  -h, --help   this help

Exit status: 0 when the request was made, 1 when the file could not be created, 2 for bad
arguments or when $${REQUEST_VARIABLE} is not set (not running under durable-agent).`;

export async function checkpointRequestCommand(argv: readonly string[], run: Pick<RunContext, 'checkpointRequest'>, io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...argv], options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  if (values.help) {
    io.out(`${CHECKPOINT_HELP}\n`);
    return 0;
  }
  if (positionals.length > 0) {
    io.err(`durable-agent: checkpoint: unexpected argument '${positionals[0] ?? ''}' (it takes none)\n`);
    return 2;
  }
  const file = run.checkpointRequest;
  if (file === undefined || file.trim() === '') {
    io.err(`durable-agent: checkpoint: ${REQUEST_VARIABLE} is not set; run this from inside an agent that durable-agent started\n`);
    return 2;
  }
  if (!path.isAbsolute(file)) {
    io.err(`durable-agent: checkpoint: ${REQUEST_VARIABLE} must be an absolute path, got '${file}'\n`);
    return 2;
  }
  try {
    // The content is only for a person who finds the file; the scheduler looks at its existence.
    await writeFile(file, `${new Date().toISOString()} pid ${process.pid}\n`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A missing folder means the run that set the variable has ended and removed its home.
    const why = code === 'ENOENT' ? `the folder ${path.dirname(file)} does not exist (has the durable-agent run ended?)` : errorMessage(error);
    io.err(`durable-agent: checkpoint: cannot create ${file}: ${why}\n`);
    return 1;
  }
  io.out(`Checkpoint requested: durable-agent takes one when this step has finished (${file}).\n`);
  return 0;
}
