// A folder of content-addressed objects, one file per object named by its id. Writes are atomic
// (temp file, then rename), so a reader sees no object or a complete one.
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { OBJECT_ID } from './object-codec.js';

const TEMP_MARK = '.tmp-';

export class ObjectFolder {
  #made = false;

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
    await this.#ensureRoot();
    const temp = path.join(this.root, `${TEMP_MARK}${id}-${randomBytes(4).toString('hex')}`);
    try {
      const handle = await open(temp, 'w');
      try {
        await handle.writev([...parts]);
      } finally {
        await handle.close();
      }
      await rename(temp, this.pathOf(id));
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return true;
  }

  /**
   * Puts the file at `from` (an object file named by its id) here: a hard link straight to its name
   * (complete from the start, so atomic, and one call), else a copy through a temp name.
   */
  async adopt(id: string, from: string): Promise<boolean> {
    const to = this.pathOf(id);
    await this.#ensureRoot();
    try {
      await link(from, to);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code === 'ENOENT') throw error;
    }
    if (await this.has(id)) return false;
    const temp = path.join(this.root, `${TEMP_MARK}${id}-${randomBytes(4).toString('hex')}`);
    try {
      await copyFile(from, temp);
      await rename(temp, to);
    } finally {
      await rm(temp, { force: true });
    }
    return true;
  }

  async #ensureRoot(): Promise<void> {
    if (this.#made) return;
    await mkdir(this.root, { recursive: true });
    this.#made = true;
  }

  /**
   * Why the stored object is not the one named (missing, not a regular file, another size, another
   * sha256), or undefined when it is. Reads through `scratch`, so checking allocates nothing.
   */
  async problemWith(id: string, size: number, scratch: Buffer): Promise<string | undefined> {
    const short = `object ${id.slice(0, 12)}…`;
    // O_NOFOLLOW: a link planted in place of an object is refused, not followed.
    const handle = await open(this.pathOf(id), constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => undefined);
    if (handle === undefined) return `${short} is missing`;
    try {
      const info = await handle.stat();
      if (!info.isFile()) return `${short} is missing`;
      if (info.size !== size) return `${short} has ${info.size} bytes, the manifest says ${size}`;
      const hash = createHash('sha256');
      for (let offset = 0; ; ) {
        const { bytesRead } = await handle.read(scratch, 0, scratch.length, offset);
        if (bytesRead === 0) break;
        hash.update(scratch.subarray(0, bytesRead));
        offset += bytesRead;
      }
      return hash.digest('hex') === id ? undefined : `${short} does not match its sha256`;
    } finally {
      await handle.close();
    }
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
