import path from 'node:path';
import { CheckpointRejected, restoreCheckpoint } from '../../checkpoint/index.js';
import { CommandFailed } from '../command-failed.js';
import type { Context } from './context.js';
import { formatTime } from './format.js';
import { integrityProblem, locate, readManifestText, withCheckpointFolder } from './locate.js';
import { prepareTarget } from './restore-target.js';
import { errorMessage } from '../../error-message.js';

export interface RestoreOptions {
  readonly into: string | undefined;
  readonly agentStateDir: string | undefined;
  readonly extraDir: string | undefined;
  readonly force: boolean;
}

/** `checkpoints restore KEY`: checked first, then into the checkout, or --into a folder (a clone when it is new). */
export async function restoreCommand(ctx: Context, key: string, options: RestoreOptions): Promise<number> {
  const located = await locate(ctx, key);
  return withCheckpointFolder(located, async (dir) => {
    const { manifest } = await readManifestText(dir, located.ref.key).catch((error: unknown) => {
      throw error instanceof CommandFailed ? new CommandFailed(`cannot restore ${error.message}`) : error;
    });
    // Checked before anything is created (a clone included); restoreCheckpoint checks again.
    const problem = await integrityProblem(dir, manifest);
    if (problem !== undefined) throw new CommandFailed(`cannot restore checkpoint ${located.ref.key}: refused: ${problem}`);

    const target = await prepareTarget(ctx, manifest, options);
    const has = (role: string): boolean => manifest.areas.some((area) => area.role === role);
    // Only a folder that gets something: the library notes every folder it is given.
    const extraDir = has('extra') ? path.resolve(options.extraDir ?? target.extraDir) : undefined;
    const agentStateDir = options.agentStateDir === undefined ? undefined : path.resolve(options.agentStateDir);
    let result: Awaited<ReturnType<typeof restoreCheckpoint>>;
    try {
      result = await restoreCheckpoint({ dir, workspace: target.workspace, lineage: manifest.lineage, extraDir, agentStateDir, checkpointPaths: manifest.checkpointPaths, signingKey: ctx.settings.secrets.checkpointSigningKey });
    } catch (error) {
      await target.undo();
      if (error instanceof CheckpointRejected) throw new CommandFailed(`cannot restore checkpoint ${located.ref.key}: refused: ${error.reason} (${error.kind})`);
      throw new CommandFailed(`cannot restore checkpoint ${located.ref.key}: ${errorMessage(error)}`);
    }

    const lines = [...target.preface];
    const { workspace } = manifest;
    lines.push(`Restored checkpoint ${located.ref.key} (sequence ${manifest.sequence}, run attempt ${manifest.attempt}, taken ${formatTime(manifest.createdAt)}) into ${target.workspace}`);
    if (result.workspace === 'omitted') lines.push(`  workspace: not restored (${workspace.omitted ?? ''})`);
    else {
      const head = `HEAD ${workspace.head.slice(0, 12)}${workspace.branch === null ? ' (detached)' : ` on branch ${workspace.branch}`}`;
      const tree = workspace.changes === null ? 'work tree at HEAD' : 'work tree with its uncommitted and untracked files';
      lines.push(`  workspace: ${head}, ${tree}`);
    }
    if (result.restored.includes('paths')) lines.push(`  experiment outputs: ${manifest.checkpointPaths.trim().split('\n').map((line) => line.trim()).join(', ')} into ${target.workspace}`);
    if (result.restored.includes('extra')) lines.push(`  extra folder: ${extraDir ?? ''}`);
    if (result.restored.includes('agent-state')) lines.push(`  agent state: ${agentStateDir ?? ''}`);
    else if (has('agent-state')) lines.push('  agent state: not restored (give --agent-state DIR)');
    else if (agentStateDir !== undefined) lines.push('  agent state: none in this checkpoint');
    // The per-role lines above already say what was not restored.
    for (const note of result.notes) if (!note.startsWith('not restored:')) lines.push(`  note: ${note}`);
    ctx.out(lines.join('\n'));
    return 0;
  });
}
