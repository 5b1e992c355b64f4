import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**', 'node_modules/**'],
    globalSetup: ['test/support/emulators.global.ts', 'test/support/zetasql.global.ts'],
    env: {
      // The Google clients must never look for a metadata server or a real project.
      METADATA_SERVER_DETECTION: 'none',
      GOOGLE_CLOUD_PROJECT: 'demo-test',
      GCLOUD_PROJECT: 'demo-test',
    },
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
