// vitest globalSetup: the end-to-end tests run dist/ as the runner would, so a src/ edit that was
// not bundled yet would silently test stale code. Rebuild when any source is newer than the bundle.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

function oldestBundle(dir: string): number {
  try {
    const files = readdirSync(dir).filter((name) => name.endsWith('.js'));
    if (files.length === 0) return 0;
    return Math.min(...files.map((name) => statSync(path.join(dir, name)).mtimeMs));
  } catch {
    return 0;
  }
}

export default function setup(): void {
  const root = path.resolve(import.meta.dirname, '..', '..');
  const sources = Math.max(newestMtime(path.join(root, 'src')), statSync(path.join(root, 'scripts', 'build.mjs')).mtimeMs);
  if (sources > oldestBundle(path.join(root, 'dist'))) {
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
  }
}
