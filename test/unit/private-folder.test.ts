import { chmodSync, mkdirSync, mkdtempSync, statSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliHome } from '../../src/home-layout.js';
import { readRunContext } from '../../src/run-context.js';
import { ensurePrivateFolder, privateFolderProblem } from '../../src/private-folder.js';

const folder = (uid: number, mode: number) => ({ uid, mode: 0o40000 | mode, isDirectory: () => true, isSymbolicLink: () => false });

describe('private folders', () => {
  it('puts the CLI home under the user state folder, not the shared temp folder', () => {
    expect(cliHome('/work/repo', readRunContext({ HOME: '/home/me' }).user)).toMatch(/^\/home\/me\/\.local\/state\/durable-agent\/[0-9a-f]{12}$/);
    expect(cliHome('/work/repo', readRunContext({ HOME: '/home/me', XDG_STATE_HOME: '/state' }).user)).toMatch(/^\/state\/durable-agent\/[0-9a-f]{12}$/);
    expect(cliHome('/work/repo', readRunContext({ HOME: '/home/me', XDG_STATE_HOME: 'relative' }).user)).toMatch(/^\/home\/me\/\.local\/state\//);
  });

  it('accepts only a folder of this user that others cannot reach', () => {
    expect(privateFolderProblem(folder(1000, 0o700), 1000)).toBeUndefined();
    expect(privateFolderProblem(folder(1001, 0o700), 1000)).toBe('belongs to user 1001, not to this user (1000)');
    expect(privateFolderProblem(folder(1000, 0o755), 1000)).toBe('can be reached by other users (mode 755)');
    expect(privateFolderProblem({ ...folder(1000, 0o700), isSymbolicLink: () => true }, 1000)).toBe('is a symbolic link');
  });

  it('creates mode 0700, tightens a readable one of ours, refuses one others can write or a link', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'private-folder-'));
    await ensurePrivateFolder(path.join(root, 'a', 'b'));
    expect(statSync(path.join(root, 'a', 'b')).mode & 0o777).toBe(0o700);
    mkdirSync(path.join(root, 'readable'), { mode: 0o755 });
    chmodSync(path.join(root, 'readable'), 0o755);
    await ensurePrivateFolder(path.join(root, 'readable'));
    expect(statSync(path.join(root, 'readable')).mode & 0o777).toBe(0o700);
    mkdirSync(path.join(root, 'shared'));
    chmodSync(path.join(root, 'shared'), 0o777);
    await expect(ensurePrivateFolder(path.join(root, 'shared'))).rejects.toThrow(/shared can be reached by other users \(mode 777\): durable-agent keeps/);
    symlinkSync(path.join(root, 'a'), path.join(root, 'link'));
    await expect(ensurePrivateFolder(path.join(root, 'link'))).rejects.toThrow(/link is a symbolic link/);
  });
});
