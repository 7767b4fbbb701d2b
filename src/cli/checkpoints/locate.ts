// One checkpoint found by its KEY, and its folder to read: in place for the local store, fetched
// into a temporary folder for the others.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  CheckpointRejected,
  LocalStore,
  MANIFEST_FILE,
  lineageHash,
  parseManifest,
  readValidManifest,
  type CheckpointManifest,
  type CheckpointRef,
  type Store,
} from '../../checkpoint/index.js';
import { SettingsError } from '../../settings/settings.js';
import { CommandFailed } from '../command-failed.js';
import { currentLineage, storeWhere, type Context } from './context.js';
import { describeLineage } from './format.js';
import { parseCheckpointKey } from './key.js';
import { errorMessage } from '../../error-message.js';

export interface Located {
  readonly ref: CheckpointRef;
  readonly store: Store;
  /** The checkpoint's own folder, when the store is a local folder (read in place). */
  readonly folder: string | undefined;
}

export async function locate(ctx: Context, key: string): Promise<Located> {
  const parsed = parseCheckpointKey(key);
  if (parsed === undefined) {
    throw new SettingsError(
      `'${key}' is not a checkpoint key: give <lineage hash>/<sequence> (local store), a cache key, an artifact name, a sequence number or 'latest' (see \`checkpoints list\`)`,
    );
  }
  switch (parsed.kind) {
    case 'local': {
      const store = ctx.localStore();
      const ref = await store.describe(parsed.key);
      if (ref === undefined) throw new CommandFailed(`no checkpoint ${parsed.key} in ${storeWhere(store)}`);
      return { ref, store, folder: store.folderOf(parsed.key) };
    }
    case 'cache': {
      const lineage = await currentLineage(ctx);
      // A cache entry is only found through the staging folder of its own lineage.
      if (lineageHash(lineage) !== parsed.hash) {
        throw new CommandFailed(
          `${parsed.key} belongs to lineage ${parsed.hash}, not to this job's (${lineageHash(lineage)}, ${describeLineage(lineage)}): give the --checkpoint-id and --resume-from the run used`,
        );
      }
      return { ref: { key: parsed.key, sequence: parsed.sequence, attempt: 0, createdAt: '', sizeBytes: 0, store: 'cache' }, store: ctx.actionsStore('cache', lineage), folder: undefined };
    }
    case 'artifact':
      return {
        ref: { key: parsed.key, sequence: parsed.sequence, attempt: parsed.attempt, createdAt: '', sizeBytes: 0, store: 'artifact' },
        store: ctx.actionsStore('artifact', await currentLineage(ctx)),
        folder: undefined,
      };
    case 'sequence':
    case 'latest': {
      const lineage = await currentLineage(ctx);
      let found: { ref: CheckpointRef; store: Store } | undefined;
      const stores = ctx.stores(lineage);
      for (const store of stores) {
        const refs = await store.list(lineage);
        const match = parsed.kind === 'latest' ? refs[0] : refs.find((ref) => ref.sequence === parsed.sequence);
        if (match !== undefined && (found === undefined || match.sequence > found.ref.sequence)) found = { ref: match, store };
        if (found !== undefined && parsed.kind === 'sequence') break;
      }
      const what = parsed.kind === 'latest' ? 'no checkpoint' : `no checkpoint with sequence ${parsed.sequence}`;
      if (found === undefined) throw new CommandFailed(`${what} of lineage ${describeLineage(lineage)} in ${stores.map(storeWhere).join(' or ')}`);
      const folder = found.store instanceof LocalStore ? found.store.folderOf(found.ref.key) : undefined;
      return { ...found, folder };
    }
  }
}

/** Runs `body` on the checkpoint's folder: the local one in place, another store's fetched into a temp folder. */
export async function withCheckpointFolder<T>(located: Located, body: (dir: string) => Promise<T>): Promise<T> {
  if (located.folder !== undefined) return body(located.folder);
  const temp = await mkdtemp(path.join(os.tmpdir(), 'durable-agent-checkpoint-'));
  try {
    try {
      await located.store.fetch(located.ref, temp);
    } catch (error) {
      throw new CommandFailed(`cannot fetch ${located.ref.key} from the ${located.store.name} store: ${errorMessage(error)}`);
    }
    return await body(temp);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

export async function readManifestText(dir: string, key: string): Promise<{ text: string; manifest: CheckpointManifest }> {
  let text: string;
  try {
    text = await readFile(path.join(dir, MANIFEST_FILE), 'utf8');
  } catch (error) {
    throw new CommandFailed(`checkpoint ${key}: manifest.json cannot be read: ${errorMessage(error)}`);
  }
  const parsed = parseManifest(text);
  if (!parsed.ok) throw new CommandFailed(`checkpoint ${key}: ${parsed.reason}`);
  return { text, manifest: parsed.manifest };
}

/** Schema, sizes and sha256 of every file; the reason when they do not hold. */
export async function integrityProblem(dir: string, manifest: CheckpointManifest): Promise<string | undefined> {
  try {
    // The manifest's own lineage: a key chosen by hand is not refused for naming another repository.
    await readValidManifest(dir, manifest.lineage);
    return undefined;
  } catch (error) {
    if (error instanceof CheckpointRejected) return `${error.reason} (${error.kind})`;
    throw error;
  }
}
