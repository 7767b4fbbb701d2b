import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// dist/ is rebuilt by the global set-up when src/ is newer. The start-up of every entry point
// depends on the GitHub SDKs staying out of its bundle (scripts/build.mjs).
const dist = (name: string): string => readFileSync(path.join(import.meta.dirname, '..', '..', 'dist', name), 'utf8');
const ENTRIES = ['main.js', 'post.js', 'cli.js', 'guard-main.js', 'guard-post.js', 'guard-daemon.js'];

describe('dist/ layout', () => {
  it('keeps the GitHub SDKs in dist/actions-sdk.js, imported on first use, out of every entry bundle', () => {
    const sdk = dist('actions-sdk.js');
    for (const marker of ['node_modules/@actions/cache/', 'node_modules/@actions/artifact/', 'node_modules/@actions/github/']) {
      expect(sdk).toContain(marker);
      for (const entry of ENTRIES) expect(dist(entry), `${entry} holds ${marker}`).not.toContain(marker);
    }
    for (const entry of ['main.js', 'post.js', 'cli.js', 'guard-daemon.js']) expect(dist(entry)).toContain('import("./actions-sdk.js")');
  });
});
