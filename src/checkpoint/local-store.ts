// Checkpoints in a local folder (the CLI's default store):
//   <root>/<lineage hash>/<sequence, zero-padded to 6 digits>/manifest.json + files
import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { formatSequence, lineageHash, newestFirst, parseSequenceLabel } from './lineage.js';
import { lineageSchema, MANIFEST_FILE } from './manifest.js';
import type { CheckpointRef, Lineage, SaveRequest, Store } from './store.js';

const TEMP_PREFIX = '.tmp-';
// A temp folder this old belongs to a save that died; one younger may still be being written.
const STALE_TEMP_MS = 60 * 60 * 1000;

export class LocalStore implements Store {
  readonly name = 'local' as const;

  constructor(readonly root: string) {}

  /** Copies the folder into a temp folder beside its final place, then renames it there. */
  async save(request: SaveRequest): Promise<CheckpointRef> {
    const label = formatSequence(request.sequence);
    const lineageDir = this.lineageDir(request.lineage);
    const finalDir = path.join(lineageDir, label);
    let temp: string | undefined;
    try {
      await mkdir(lineageDir, { recursive: true });
      temp = await mkdtemp(path.join(lineageDir, `${TEMP_PREFIX}${label}-`));
      let sizeBytes = 0;
      for (const name of await regularFiles(request.dir)) {
        await copyFile(path.join(request.dir, name), path.join(temp, name));
        sizeBytes += (await stat(path.join(temp, name))).size;
      }
      if (await exists(finalDir)) throw new Error(`checkpoint ${label} already exists`);
      // A rename within one folder is atomic: readers see no folder or a complete one.
      await rename(temp, finalDir);
      temp = undefined;
      return { key: `${lineageHash(request.lineage)}/${label}`, sequence: request.sequence, attempt: request.attempt, createdAt: request.createdAt, sizeBytes, store: 'local' };
    } catch (error) {
      const cause = error as NodeJS.ErrnoException;
      throw new Error(`local store: cannot save checkpoint ${label} in ${lineageDir}: ${cause.code ? `${cause.code} ` : ''}${cause.message}`, { cause: error });
    } finally {
      if (temp !== undefined) await rm(temp, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  async list(lineage: Lineage): Promise<CheckpointRef[]> {
    const lineageDir = this.lineageDir(lineage);
    let names: string[];
    try {
      names = await readdir(lineageDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const refs: CheckpointRef[] = [];
    for (const name of names) {
      const sequence = parseSequenceLabel(name);
      if (sequence === undefined) continue;
      const ref = await this.describe(lineage, name, sequence);
      if (ref) refs.push(ref);
    }
    return newestFirst(refs);
  }

  async fetch(ref: CheckpointRef, intoDir: string): Promise<void> {
    const source = this.folderOf(ref.key);
    await mkdir(intoDir, { recursive: true });
    if ((await readdir(intoDir)).length > 0) throw new Error(`local store: ${intoDir} is not empty`);
    for (const name of await regularFiles(source)) await copyFile(path.join(source, name), path.join(intoDir, name));
  }

  async prune(lineage: Lineage, keep: number): Promise<number> {
    const refs = await this.list(lineage);
    const doomed = refs.slice(Math.max(0, keep));
    for (const ref of doomed) await rm(this.folderOf(ref.key), { recursive: true, force: true });
    await this.removeStaleTemps(this.lineageDir(lineage));
    return doomed.length;
  }

  private lineageDir(lineage: Lineage): string {
    return path.join(this.root, lineageHash(lineage));
  }

  /** The folder a key names; keys are only ever `<hash>/<label>`, so nothing else is opened. */
  private folderOf(key: string): string {
    if (!/^[0-9a-f]{16}\/\d{6,}$/.test(key)) throw new Error(`local store: malformed key '${key}'`);
    return path.join(this.root, ...key.split('/'));
  }

  private async describe(lineage: Lineage, name: string, sequence: number): Promise<CheckpointRef | undefined> {
    return (await describeCheckpointFolder(path.join(this.lineageDir(lineage), name), `${lineageHash(lineage)}/${name}`, sequence))?.ref;
  }

  private async removeStaleTemps(lineageDir: string): Promise<void> {
    const names = await readdir(lineageDir).catch(() => []);
    for (const name of names) {
      if (!name.startsWith(TEMP_PREFIX)) continue;
      const folder = path.join(lineageDir, name);
      const info = await stat(folder).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > STALE_TEMP_MS) await rm(folder, { recursive: true, force: true });
    }
  }
}

/**
 * A checkpoint folder as a listing shows it, read leniently (attempt, time and lineage when the
 * manifest parses): a folder whose manifest is broken is still listed, so that the restore, which
 * judges it, can say why it refuses it.
 */
export async function describeCheckpointFolder(dir: string, key: string, sequence: number): Promise<{ ref: CheckpointRef; lineage: Lineage | undefined } | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dir, MANIFEST_FILE), 'utf8');
  } catch {
    return undefined;
  }
  let attempt = 0;
  let createdAt = '';
  let lineage: Lineage | undefined;
  try {
    const data = JSON.parse(text) as { attempt?: unknown; createdAt?: unknown; lineage?: unknown };
    if (typeof data.attempt === 'number') attempt = data.attempt;
    if (typeof data.createdAt === 'string') createdAt = data.createdAt;
    const parsed = lineageSchema.safeParse(data.lineage);
    if (parsed.success) lineage = parsed.data;
  } catch {
    // Unparseable: still listed, with what the folder itself tells.
  }
  if (createdAt === '') createdAt = (await stat(path.join(dir, MANIFEST_FILE))).mtime.toISOString();
  let sizeBytes = 0;
  for (const file of await regularFiles(dir)) sizeBytes += (await stat(path.join(dir, file))).size;
  return { ref: { key, sequence, attempt, createdAt, sizeBytes, store: 'local' }, lineage };
}

/** Names of the regular files directly in a folder (a checkpoint folder is flat). */
async function regularFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name).sort();
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
