// The registry this project installs from mirrors only some of opencode-ai's per-platform
// packages, so `npm install` leaves the others out of package-lock.json and `npm ci` then refuses
// the lock as out of sync. This adds the missing optional entries (os/cpu/libc set, so npm skips
// them on every other platform). Run it after any `npm install` that rewrites the lock.
import { readFileSync, writeFileSync } from 'node:fs';

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const packages = lock.packages;
const OS = { darwin: 'darwin', linux: 'linux', windows: 'win32' };
const added = [];
for (const [name, version] of Object.entries(packages['node_modules/opencode-ai']?.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (packages[key]) continue;
  const [, os, cpu, ...rest] = name.split('-');
  packages[key] = { version, cpu: [cpu], dev: true, license: 'MIT', optional: true, os: [OS[os] ?? os], ...(rest.includes('musl') ? { libc: ['musl'] } : {}) };
  added.push(name);
}
lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
console.log(added.length ? `added ${added.join(', ')}` : 'package-lock.json already complete');
