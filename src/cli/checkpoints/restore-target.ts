// Where a restore goes: the current checkout, a checkout --into names, or a new clone at the
// checkpoint's base commit; and the refusal to overwrite work the checkpoint does not hold.
import { lstat, mkdir, readdir, realpath, rm } from 'node:fs/promises';
import path from 'node:path';
import type { CheckpointManifest } from '../../checkpoint/index.js';
import { git, gitSucceeds } from '../../checkpoint/exec.js';
import { checkpointHooks } from '../../checkpoint/job.js';
import { SettingsError } from '../../settings/settings.js';
import { CommandFailed } from '../command-failed.js';
import { cliHome, homeLayout } from '../../home-layout.js';
import type { Context } from './context.js';
import { errorMessage } from '../../error-message.js';

export interface Target {
  readonly workspace: string;
  /** Where the extra folder goes unless --extra-dir says. */
  readonly extraDir: string;
  /** Said before the restore's own lines (the clone). */
  readonly preface: readonly string[];
  /** Takes back what preparing the target did (a clone), when the restore then fails. */
  readonly undo: () => Promise<void>;
}

/** What the caller said about the target: --into DIR, and --force. */
export interface TargetOptions {
  readonly into: string | undefined;
  readonly force: boolean;
}

export async function prepareTarget(ctx: Context, manifest: CheckpointManifest, options: TargetOptions): Promise<Target> {
  const nothing = (): Promise<void> => Promise.resolve();
  const extraFor = (workspace: string): string => homeLayout(ctx.homeFlag ?? cliHome(workspace, ctx.run.user)).checkpointDir;
  if (options.into === undefined) {
    let workspace: string;
    try {
      workspace = await git(ctx.settings.workingDirectory, ['rev-parse', '--show-toplevel']);
    } catch {
      throw new CommandFailed(`${ctx.settings.workingDirectory} is not in a git checkout: run restore in the checkout to restore into, or give --into DIR`);
    }
    if (!options.force) await refuseToOverwrite(workspace, manifest);
    return { workspace, extraDir: checkpointHooks(ctx.settings).extraDir, preface: [], undo: nothing };
  }

  const into = path.resolve(options.into);
  const info = await lstat(into).catch(() => undefined);
  if (info !== undefined && !info.isDirectory()) throw new SettingsError(`--into: '${options.into}' is not a folder`);
  const empty = info === undefined || (await readdir(into)).length === 0;
  if (!empty) {
    const top = await git(into, ['rev-parse', '--show-toplevel']).catch(() => undefined);
    // A folder inside some other checkout is not a target: the restore would land in that checkout.
    if (top === undefined || top !== (await realpath(into))) throw new SettingsError(`--into: '${options.into}' is neither empty nor the top folder of a git checkout`);
    if (!options.force) await refuseToOverwrite(top, manifest);
    return { workspace: top, extraDir: extraFor(top), preface: [], undo: nothing };
  }

  let source: string;
  try {
    source = await git(ctx.settings.workingDirectory, ['rev-parse', '--show-toplevel']);
  } catch {
    throw new CommandFailed(
      `--into ${options.into}: the checkpoint holds only the changes since its base commit, so a clone of the repository is needed, and ${ctx.settings.workingDirectory} is not in a git checkout: run this in the repository the checkpoint was taken from`,
    );
  }
  const base = manifest.workspace.base;
  if (!(await gitSucceeds(source, ['cat-file', '-e', `${base}^{commit}`]))) {
    throw new CommandFailed(`the checkpoint's base commit ${base} is not in ${source}: fetch it there first (git fetch origin ${base})`);
  }
  await mkdir(into, { recursive: true });
  const undo = async (): Promise<void> => {
    if (info === undefined) await rm(into, { recursive: true, force: true });
    else for (const name of await readdir(into)) await rm(path.join(into, name), { recursive: true, force: true });
  };
  try {
    await git(into, ['clone', '-q', '--no-checkout', '--', source, into]);
    await git(into, ['checkout', '-q', '--detach', base]);
  } catch (error) {
    await undo();
    throw new CommandFailed(`cannot clone ${source} into ${into} at ${base}: ${errorMessage(error)}`);
  }
  const workspace = await realpath(into);
  return { workspace, extraDir: extraFor(workspace), preface: [`Cloned ${source} into ${workspace} at the base commit ${base.slice(0, 12)}`], undo };
}

/**
 * A restore resets the work tree and moves the recorded branch: refuse when that would lose work
 * the checkpoint does not hold (the caller may insist with --force).
 */
async function refuseToOverwrite(workspace: string, manifest: CheckpointManifest): Promise<void> {
  const status = (await git(workspace, ['status', '--porcelain', '--untracked-files=all'])).split('\n').filter(Boolean);
  if (status.length > 0) {
    throw new CommandFailed(
      `${workspace} has uncommitted changes the restore would overwrite (${status.length} path(s), such as ${status[0]?.slice(3) ?? ''}): commit or stash them, restore --into a new folder, or give --force`,
    );
  }
  const { branch, base, head } = manifest.workspace;
  if (branch === null) return;
  const tip = await git(workspace, ['rev-parse', '--verify', '-q', `refs/heads/${branch}`]).catch(() => '');
  if (tip === '' || tip === head) return;
  if (await gitSucceeds(workspace, ['merge-base', '--is-ancestor', tip, base])) return;
  // Only answerable when the checkpoint's head is already here (an earlier restore).
  if (await gitSucceeds(workspace, ['merge-base', '--is-ancestor', tip, head])) return;
  throw new CommandFailed(
    `branch ${branch} is at ${tip.slice(0, 12)}, which the checkpoint does not contain; the restore would move it to ${head.slice(0, 12)}: restore --into a new folder, or give --force`,
  );
}
