// Bundles the action's entry points and the CLI into dist/ (committed: a JavaScript action runs
// from the repository as it is). Output is deterministic, so CI can tell a stale dist/ by diffing.
// One self-contained file per entry point, without code splitting: split chunks are named by their
// hash, so every source change renamed a 5 MB chunk and each commit of dist/ re-added it whole.
// Stable names keep a rebuilt dist/ a small diff.
import { chmod, rm } from 'node:fs/promises';
import { build } from 'esbuild';

await rm('dist', { recursive: true, force: true });
await build({
  // Output name: entry file. The entry files only call run() of src/main.ts, src/post.ts.
  entryPoints: {
    main: 'src/index.ts',
    post: 'src/index-post.ts',
    cli: 'src/cli.ts',
    'guard-main': 'src/index-guard-main.ts',
    'guard-post': 'src/index-guard-post.ts',
    'guard-daemon': 'src/index-guard-daemon.ts',
  },
  outdir: 'dist',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  legalComments: 'eof',
  logLevel: 'warning',
  // Some dependencies are CommonJS and call require() or read __dirname; give them both in ESM.
  banner: {
    js: ["import { createRequire as __durableCreateRequire } from 'node:module';", 'const require = __durableCreateRequire(import.meta.url);'].join('\n'),
  },
  define: { __dirname: 'import.meta.dirname', __filename: 'import.meta.filename' },
});
await chmod('dist/cli.js', 0o755);
