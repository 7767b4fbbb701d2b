// `durable-agent checkpoints list|show|restore|prune`: the checkpoints a run kept, for a person.
// Where they are and which lineage is "this folder's" follow `durable-agent run` (and, inside
// Actions, the action), so that the defaults find what a run in the same place saved.
import type { RunContext } from '../../run-context.js';
import type { CommandIo } from '../io.js';
import { parseCheckpointsArgs } from './args.js';
import { openContext } from './context.js';
import { CHECKPOINTS_HELP } from './help.js';
import { listCommand } from './list.js';
import { pruneCommand } from './prune.js';
import { restoreCommand } from './restore.js';
import { showCommand } from './show.js';

export async function checkpointsCommand(argv: readonly string[], run: RunContext, io: CommandIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined) {
    io.err(`durable-agent: checkpoints: a command is needed\n\n${CHECKPOINTS_HELP}\n`);
    return 2;
  }
  if (sub === '-h' || sub === '--help' || sub === 'help') {
    io.out(`${CHECKPOINTS_HELP}\n`);
    return 0;
  }
  const request = parseCheckpointsArgs(sub, rest);
  if (request.command === 'help') {
    io.out(`${request.text}\n`);
    return 0;
  }
  const ctx = openContext(request.where, run, io);
  switch (request.command) {
    case 'list':
      return listCommand(ctx, request);
    case 'show':
      return showCommand(ctx, request.key, request);
    case 'restore':
      return restoreCommand(ctx, request.key, request);
    case 'prune':
      return pruneCommand(ctx, request);
  }
}
