// Checkpoints in a local folder (the CLI's default store):
//   <root>/<lineage hash>/objects/<id>                      every object of the lineage, once
//   <root>/<lineage hash>/<sequence, 6 digits>/manifest.json + objects/<id>
// A checkpoint folder's objects are hard links to the lineage's (a copy where the file system has
// none), so each folder is whole on its own while an object's bytes are stored once; an object no
// folder links to any more (link count 1) is swept by prune.
import { copyFile, lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { parseJsonAs } from '../parse-json.js';
import { formatSequence, lineageHash, MAX_SEQUENCE, newestFirst, parseSequenceLabel } from './lineage.js';
import { lineageSchema, MANIFEST_FILE, OBJECTS_DIR, parseManifest } from './manifest.js';
import { OBJECT_ID } from './object-codec.js';
import { inParallel } from './in-parallel.js';
import { ObjectFolder } from './object-folder.js';
import type { CheckpointRef, Lineage, SaveRequest, Store } from './store.js';

const TEMP_PREFIX = '.tmp-';
/** A lineage folder's name is its lineage hash; a key is that name, a slash and a sequence. */
const LINEAGE_HASH = '[0-9a-f]{16}';
const LINEAGE_FOLDER = new RegExp(`^${LINEAGE_HASH}$`);
const LOCAL_KEY = new RegExp(`^(${LINEAGE_HASH})/(\\d{1,15})$`);

/** One lineage of the folder as a walk over every lineage finds it. */
export interface LocalLineage {
  readonly hash: string;
  /** From a manifest of the folder; undefined when none could be read. */
  readonly lineage: Lineage | undefined;
  /** Newest first. */
  readonly refs: readonly CheckpointRef[];
}

/** A checkpoint's key in this store: `<lineage hash>/<sequence, 6 digits>`, the folder it lives in. */
export function localKey(hash: string, sequence: number): string {
  return `${hash}/${formatSequence(sequence)}`;
}

/**
 * A local key back to its lineage hash and sequence, with the key in its own spelling (an unpadded
 * sequence names the same folder). Anything else is undefined, so a key never names a folder
 * outside the store.
 */
export function parseLocalKey(text: string): { key: string; hash: string; sequence: number } | undefined {
  const match = LOCAL_KEY.exec(text);
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  const sequence = Number(match[2]);
  if (sequence > MAX_SEQUENCE) return undefined;
  return { key: localKey(match[1], sequence), hash: match[1], sequence };
}
// A temp folder this old belongs to a save that died; one younger may still be being written.
const STALE_TEMP_MS = 60 * 60 * 1000;

export class LocalStore implements Store {
  readonly name = 'local' as const;

  /** `warn` hears about folders the store ignores (a junk sequence never hides the others). */
  constructor(
    readonly root: string,
    private readonly warn?: (message: string) => void,
  ) {}

  /**
   * Links the checkpoint's objects into a temp folder beside its final place, adds those the lineage
   * lacks to its object folder, writes the manifest, then renames the folder into place.
   */
  async save(request: SaveRequest): Promise<CheckpointRef> {
    const label = formatSequence(request.sequence);
    const lineageDir = this.lineageDir(request.lineage);
    const finalDir = path.join(lineageDir, label);
    const shared = new ObjectFolder(path.join(lineageDir, OBJECTS_DIR));
    let temp: string | undefined;
    try {
      await mkdir(lineageDir, { recursive: true });
      if (await exists(finalDir)) throw new Error(`checkpoint ${label} already exists`);
      temp = await mkdtemp(path.join(lineageDir, `${TEMP_PREFIX}${label}-`));
      const own = new ObjectFolder(path.join(temp, OBJECTS_DIR));
      const incoming = new ObjectFolder(path.join(request.dir, OBJECTS_DIR));
      let sizeBytes = 0;
      let newBytes = 0;
      await inParallel(await incoming.list(), 8, async (id) => {
        // The lineage's copy when it has one (the bytes stay stored once), else the new one, which
        // then becomes the lineage's: linked into this folder first, so it is never unreferenced.
        const size = (await shared.sizeOf(id)) ?? 0;
        if (size > 0 && (await own.adopt(id, shared.pathOf(id)))) {
          sizeBytes += size;
          return;
        }
        await own.adopt(id, incoming.pathOf(id));
        await shared.adopt(id, own.pathOf(id));
        const added = (await own.sizeOf(id)) ?? 0;
        sizeBytes += added;
        newBytes += added;
      });
      const manifest = await readFile(path.join(request.dir, MANIFEST_FILE));
      await writeFile(path.join(temp, MANIFEST_FILE), manifest);
      sizeBytes += manifest.length;
      // A rename within one folder is atomic: readers see no folder or a complete one.
      await rename(temp, finalDir);
      temp = undefined;
      return {
        key: localKey(lineageHash(request.lineage), request.sequence),
        sequence: request.sequence,
        attempt: request.attempt,
        createdAt: request.createdAt,
        sizeBytes,
        newBytes: newBytes + manifest.length,
        store: 'local',
      };
    } catch (error) {
      const cause = error as NodeJS.ErrnoException;
      throw new Error(`local store: cannot save checkpoint ${label} in ${lineageDir}: ${cause.code ? `${cause.code} ` : ''}${cause.message}`, { cause: error });
    } finally {
      if (temp !== undefined) await rm(temp, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  async list(lineage: Lineage): Promise<CheckpointRef[]> {
    return newestFirst((await this.describeLineageFolder(lineageHash(lineage))).map((described) => described.ref));
  }

  /** Every lineage in the folder (the CLI lists and prunes them all), the one saved to last first. */
  async lineages(): Promise<LocalLineage[]> {
    let hashes: string[];
    try {
      hashes = (await readdir(this.root, { withFileTypes: true })).filter((entry) => entry.isDirectory() && LINEAGE_FOLDER.test(entry.name)).map((entry) => entry.name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const lineages: LocalLineage[] = [];
    for (const hash of hashes) {
      const described = await this.describeLineageFolder(hash);
      // A manifest that names another lineage than its folder is not trusted to name this one.
      const lineage = described.map((entry) => entry.lineage).find((candidate) => candidate !== undefined && lineageHash(candidate) === hash);
      if (described.length > 0) lineages.push({ hash, lineage, refs: newestFirst(described.map((entry) => entry.ref)) });
    }
    const newest = (entry: LocalLineage): string => entry.refs.reduce((latest, ref) => (ref.createdAt > latest ? ref.createdAt : latest), '');
    return lineages.sort((a, b) => newest(b).localeCompare(newest(a)) || a.hash.localeCompare(b.hash));
  }

  /** The checkpoint folders of one lineage folder, described (a folder without a manifest is none). */
  private async describeLineageFolder(hash: string): Promise<Array<{ ref: CheckpointRef; lineage: Lineage | undefined }>> {
    const lineageDir = path.join(this.root, hash);
    let names: string[];
    try {
      names = await readdir(lineageDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const described: Array<{ ref: CheckpointRef; lineage: Lineage | undefined }> = [];
    for (const name of names) {
      const sequence = parseSequenceLabel(name);
      if (sequence === undefined) {
        if (/^\d+$/.test(name)) this.warn?.(`local store: ignored the folder '${name}' in ${lineageDir}: not a checkpoint sequence`);
        continue;
      }
      const folder = await describeCheckpointFolder(path.join(lineageDir, name), `${hash}/${name}`, sequence);
      if (folder !== undefined) described.push(folder);
    }
    return described;
  }

  async fetch(ref: CheckpointRef, intoDir: string): Promise<void> {
    const source = this.folderOf(ref.key);
    await mkdir(intoDir, { recursive: true });
    if ((await readdir(intoDir)).length > 0) throw new Error(`local store: ${intoDir} is not empty`);
    await copyFile(path.join(source, MANIFEST_FILE), path.join(intoDir, MANIFEST_FILE));
    const from = new ObjectFolder(path.join(source, OBJECTS_DIR));
    const into = new ObjectFolder(path.join(intoDir, OBJECTS_DIR));
    await inParallel(await from.list(), 8, (id) => into.adopt(id, from.pathOf(id)));
  }

  async prune(lineage: Lineage, keep: number): Promise<number> {
    const refs = await this.list(lineage);
    const doomed = refs.slice(Math.max(0, keep));
    for (const ref of doomed) await rm(this.folderOf(ref.key), { recursive: true, force: true });
    await this.removeStaleTemps(this.lineageDir(lineage));
    await this.sweepObjects(this.lineageDir(lineage));
    return doomed.length;
  }

  /**
   * Removes the lineage's objects no checkpoint folder links to. A save links an object into its
   * own folder before it adds it here, so an object in use always has a second link. Where the
   * file system has no hard links (copies), objects are kept unless no kept manifest names them.
   */
  private async sweepObjects(lineageDir: string): Promise<number> {
    const shared = new ObjectFolder(path.join(lineageDir, OBJECTS_DIR));
    let referenced: Set<string> | undefined;
    let removed = 0;
    for (const id of await shared.list()) {
      const info = await lstat(shared.pathOf(id)).catch(() => undefined);
      if (info === undefined || info.nlink > 1) continue;
      referenced ??= await this.referencedObjects(lineageDir);
      if (referenced === undefined || referenced.has(id)) continue;
      await shared.remove(id);
      removed += 1;
    }
    for (const temp of await shared.temps()) {
      const info = await stat(temp).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > STALE_TEMP_MS) await rm(temp, { force: true });
    }
    return removed;
  }

  /** Objects named by any manifest of the lineage; undefined when one cannot be read (then nothing is swept). */
  private async referencedObjects(lineageDir: string): Promise<Set<string> | undefined> {
    const ids = new Set<string>();
    for (const name of await readdir(lineageDir).catch(() => [] as string[])) {
      if (parseSequenceLabel(name) === undefined) continue;
      const text = await readFile(path.join(lineageDir, name, MANIFEST_FILE), 'utf8').catch(() => undefined);
      if (text === undefined) continue;
      const parsed = parseManifest(text);
      if (!parsed.ok) {
        // A manifest we cannot read may still need objects we cannot name: sweep nothing.
        for (const id of (await readdir(path.join(lineageDir, name, OBJECTS_DIR)).catch(() => [] as string[]))) if (OBJECT_ID.test(id)) ids.add(id);
        continue;
      }
      for (const object of parsed.manifest.objects) ids.add(object.id);
    }
    return ids;
  }

  private lineageDir(lineage: Lineage): string {
    return path.join(this.root, lineageHash(lineage));
  }

  /** The folder a key names; only a key parseLocalKey takes, so nothing else is opened. */
  folderOf(key: string): string {
    const parsed = parseLocalKey(key);
    if (parsed === undefined) throw new Error(`local store: malformed key '${key}'`);
    return path.join(this.root, ...key.split('/'));
  }

  /** The checkpoint a key (as parseLocalKey spells it) names, as a listing shows it; undefined when its folder holds no manifest. */
  async describe(key: string): Promise<CheckpointRef | undefined> {
    const parsed = parseLocalKey(key);
    if (parsed === undefined) throw new Error(`local store: malformed key '${key}'`);
    return (await describeCheckpointFolder(this.folderOf(parsed.key), parsed.key, parsed.sequence))?.ref;
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

// What a listing reads of a manifest, each field on its own: a bad field is left out, not the folder.
const leniently = z.object({
  attempt: z.number().optional().catch(undefined),
  createdAt: z.string().optional().catch(undefined),
  lineage: lineageSchema.optional().catch(undefined),
  objects: z.array(z.object({ size: z.number() }).catch({ size: 0 })).optional().catch(undefined),
});

/**
 * A checkpoint folder as a listing shows it, read leniently (attempt, time and lineage when the
 * manifest parses): a folder whose manifest is broken is still listed, so that the restore, which
 * judges it, can say why it refuses it.
 */
async function describeCheckpointFolder(dir: string, key: string, sequence: number): Promise<{ ref: CheckpointRef; lineage: Lineage | undefined } | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dir, MANIFEST_FILE), 'utf8');
  } catch {
    return undefined;
  }
  // Unparseable fields: still listed, with what the folder itself tells.
  const data = parseJsonAs(leniently, text);
  const sizeBytes = Buffer.byteLength(text) + (data?.objects ?? []).reduce((sum, object) => sum + object.size, 0);
  const attempt = data?.attempt ?? 0;
  const lineage = data?.lineage;
  let createdAt = data?.createdAt ?? '';
  if (createdAt === '') createdAt = (await stat(path.join(dir, MANIFEST_FILE))).mtime.toISOString();
  return { ref: { key, sequence, attempt, createdAt, sizeBytes, store: 'local' }, lineage };
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
