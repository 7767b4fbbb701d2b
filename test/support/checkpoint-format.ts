// Reading a checkpoint folder the way a test inspects it: listings by role, every decoded byte.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileTreeSchema, MAX_TREE_SIZE, type FileTree } from '../../src/checkpoint/file-tree.js';
import { MANIFEST_FILE, OBJECTS_DIR, parseManifest, type AreaRole, type CheckpointManifest } from '../../src/checkpoint/manifest.js';
import { decodeObject } from '../../src/checkpoint/object-codec.js';

export async function readManifest(dir: string): Promise<CheckpointManifest> {
  const parsed = parseManifest(await readFile(path.join(dir, MANIFEST_FILE), 'utf8'));
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.manifest;
}

export async function readListing(dir: string, id: string): Promise<FileTree> {
  const data = await decodeObject(await readFile(path.join(dir, OBJECTS_DIR, id)), MAX_TREE_SIZE);
  return fileTreeSchema.parse(JSON.parse(data.toString('utf8')));
}

/** The paths an area's listing holds, sorted; [] when the checkpoint has no such area. */
export async function areaPaths(dir: string, role: AreaRole): Promise<string[]> {
  const manifest = await readManifest(dir);
  const area = manifest.areas.find((candidate) => candidate.role === role);
  if (area === undefined) return [];
  return (await readListing(dir, area.tree)).entries.map((entry) => entry.path).sort();
}

/** The manifest and every object, decoded: what a secret must not be found in. */
export async function checkpointBytes(dir: string): Promise<Buffer> {
  const parts: Buffer[] = [await readFile(path.join(dir, MANIFEST_FILE))];
  const objects = path.join(dir, OBJECTS_DIR);
  for (const name of await readdir(objects).catch(() => [] as string[])) {
    const data = await readFile(path.join(objects, name));
    parts.push(data, await decodeObject(data, MAX_TREE_SIZE));
  }
  return Buffer.concat(parts);
}

/** Stored bytes of a checkpoint folder (manifest and objects). */
export async function checkpointSize(dir: string): Promise<number> {
  let total = (await stat(path.join(dir, MANIFEST_FILE))).size;
  const objects = path.join(dir, OBJECTS_DIR);
  for (const name of await readdir(objects).catch(() => [] as string[])) total += (await stat(path.join(objects, name))).size;
  return total;
}
