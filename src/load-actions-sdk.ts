import type * as ActionsSdkModule from './actions-sdk.js';

export type ActionsSdk = typeof ActionsSdkModule;

/**
 * The GitHub SDKs, loaded on first use (then from the module cache). In dist/ this is a separate
 * file beside the entry bundles (scripts/build.mjs keeps the import external), which start-up
 * then neither parses nor runs.
 */
export function loadActionsSdk(): Promise<ActionsSdk> {
  return import('./actions-sdk.js');
}
