// Runs a TypeScript script of the project (the demo, the benchmark) under the project's Node:
// bundles it with esbuild, leaving packages external, next to node_modules so they resolve.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs FILE.ts [args]');
  process.exit(2);
}
// In the checkout's tmp/, not in node_modules/.cache: node_modules may be a link shared by several
// checkouts, and a bundle there would resolve the repository root (and the code it measures) to the
// link's target; the packages still resolve through the checkout's node_modules.
const outDir = path.resolve('tmp/run-ts');
await mkdir(outDir, { recursive: true });
const outfile = path.join(outDir, `${path.basename(entry, '.ts')}.mjs`);
await build({ entryPoints: [entry], outfile, bundle: true, packages: 'external', format: 'esm', platform: 'node', target: 'node24', logLevel: 'warning' });
process.argv = [process.argv[0] ?? 'node', outfile, ...args];
await import(pathToFileURL(outfile).href);
