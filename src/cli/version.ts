// The version the CLI reports is package.json's, bundled in at build time (a bundled dist/cli.js
// has no package.json beside it to read at run time).
import packageJson from '../../package.json' with { type: 'json' };

export const VERSION: string = packageJson.version;
