// Folders that hold the agent's settings, transcripts and checkpoints: this user's only.
import type { Stats } from 'node:fs';
import { chmod, lstat, mkdir } from 'node:fs/promises';

/** Why an existing folder cannot hold private files (undefined when it can): ours, a real folder, no access for others. */
export function privateFolderProblem(info: Pick<Stats, 'uid' | 'mode'> & { isDirectory(): boolean; isSymbolicLink(): boolean }, uid: number): string | undefined {
  if (info.isSymbolicLink()) return 'is a symbolic link';
  if (!info.isDirectory()) return 'is not a folder';
  if (info.uid !== uid) return `belongs to user ${info.uid}, not to this user (${uid})`;
  if ((info.mode & 0o077) !== 0) return `can be reached by other users (mode ${(info.mode & 0o777).toString(8)})`;
  return undefined;
}

export class UnsafeFolderError extends Error {
  override name = 'UnsafeFolderError';
}

/**
 * Creates `dir` (mode 0700) or checks the one that is there: it must be a folder of this user that
 * others cannot reach. One of ours that others can read but never could write (an older, looser
 * mode) is tightened; one that belongs to someone else, that others can write, or a link, is refused.
 */
export async function ensurePrivateFolder(dir: string): Promise<void> {
  const uid = process.getuid?.();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (uid === undefined) return;
  let info = await lstat(dir);
  if (info.uid === uid && info.isDirectory() && (info.mode & 0o077) !== 0 && (info.mode & 0o022) === 0) {
    await chmod(dir, 0o700);
    info = await lstat(dir);
  }
  const problem = privateFolderProblem(info, uid);
  if (problem !== undefined) throw new UnsafeFolderError(`${dir} ${problem}: durable-agent keeps the agent's settings, transcripts and checkpoints there and will not use it (remove it, or make it yours with mode 700)`);
}
