// A folder of content-addressed objects, one file per object named by its id. Writes are atomic
// (temp file, then rename), so a reader sees no object or a complete one.
import { randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { OBJECT_ID } from './object-codec.js';

const TEMP_MARK = '.tmp-';

export class ObjectFolder {
  constructor(readonly root: string) {}

  pathOf(id: string): string {
    if (!OBJECT_ID.test(id)) throw new Error(`malformed object id '${id}'`);
    return path.join(this.root, id);
  }

  /** The object's stored size, or undefined when the folder lacks it. */
  async sizeOf(id: string): Promise<number | undefined> {
    try {
      const info = await stat(this.pathOf(id));
      return info.isFile() ? info.size : undefined;
    } catch {
      return undefined;
    }
  }

  async has(id: string): Promise<boolean> {
    return (await this.sizeOf(id)) !== undefined;
  }

  /** Writes the object (its stored bytes, in parts) unless present; true when it was new. */
  async write(id: string, parts: readonly Buffer[]): Promise<boolean> {
    if (await this.has(id)) return false;
    await mkdir(this.root, { recursive: true });
    const temp = path.join(this.root, `${TEMP_MARK}${id}-${randomBytes(4).toString('hex')}`);
    try {
      const handle = await open(temp, 'w');
      try {
        await handle.writev([...parts]);
      } finally {
        await handle.close();
      }
      await rename(temp, this.pathOf(id));
    } finally {
      await rm(temp, { force: true });
    }
    return true;
  }

  /** Puts the file at `from` (an object file named by its id) here: a hard link where the file system allows one, else a copy. */
  async adopt(id: string, from: string): Promise<boolean> {
    if (await this.has(id)) return false;
    await mkdir(this.root, { recursive: true });
    const temp = path.join(this.root, `${TEMP_MARK}${id}-${randomBytes(4).toString('hex')}`);
    try {
      await link(from, temp).catch(() => copyFile(from, temp));
      await rename(temp, this.pathOf(id));
    } finally {
      await rm(temp, { force: true });
    }
    return true;
  }

  read(id: string): Promise<Buffer> {
    return readFile(this.pathOf(id));
  }

  async list(): Promise<string[]> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    return names.filter((name) => OBJECT_ID.test(name));
  }

  /** Leftover temp files (a save that died), for sweeping. */
  async temps(): Promise<string[]> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    return names.filter((name) => name.startsWith(TEMP_MARK)).map((name) => path.join(this.root, name));
  }

  async remove(id: string): Promise<void> {
    await rm(this.pathOf(id), { force: true });
  }
}
