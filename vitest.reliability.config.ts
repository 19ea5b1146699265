import { defineConfig } from 'vitest/config';

// npm run test:reliability — crash, outage and soak tests with real processes (slower; run in .ci/run too).
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
