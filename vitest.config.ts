import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    globalSetup: ['test/support/build-dist.ts', 'test/support/azurite-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // The end-to-end tests each drive a real agent CLI; two cores cannot run many at once.
    maxWorkers: 2,
  },
});
