// Bundles the action's entry points and the CLI into dist/ (committed: a JavaScript action runs
// from the repository as it is). Output is deterministic, so CI can tell a stale dist/ by diffing.
// One self-contained file per entry point, without code splitting: split chunks are named by their
// hash, so every source change renamed a 5 MB chunk and each commit of dist/ re-added it whole.
// Stable names keep a rebuilt dist/ a small diff.
import { chmod, rm } from 'node:fs/promises';
import { build } from 'esbuild';

// The GitHub SDKs (src/actions-sdk.ts: the Actions cache, artifacts, REST, with Azure and protobuf
// under them) are most of the code and are needed only once a store or the watchdog is used: they
// are their own bundle, dist/actions-sdk.js, which the entry bundles import on first use instead of
// holding a copy each. Start-up then parses a third of the code, and dist/ holds the SDKs once.
const ACTIONS_SDK = 'actions-sdk';
const keepActionsSdkApart = {
  name: 'keep-actions-sdk-apart',
  setup(build) {
    build.onResolve({ filter: /\/actions-sdk\.js$/ }, (args) => (args.kind === 'entry-point' ? undefined : { path: `./${ACTIONS_SDK}.js`, external: true }));
  },
};

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
    [ACTIONS_SDK]: 'src/actions-sdk.ts',
  },
  plugins: [keepActionsSdkApart],
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
