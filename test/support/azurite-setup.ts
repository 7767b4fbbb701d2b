// vitest globalSetup: one Azurite for the whole run; the Actions emulators of the test files keep
// their blobs in it (each in containers of its own).
import type { TestProject } from 'vitest/node';
import { startAzurite } from './azurite.js';

declare module 'vitest' {
  export interface ProvidedContext {
    azuriteEndpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const azurite = await startAzurite();
  project.provide('azuriteEndpoint', azurite.endpoint);
  return () => azurite.close();
}
