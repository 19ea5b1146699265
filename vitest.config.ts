import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real-process crash, outage and soak tests: `npm run test:reliability`.
    exclude: ['test/reliability/**', 'node_modules/**'],
    globalSetup: ['test/harness/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: more workers only add PGlite start-up contention.
    maxWorkers: 2,
    sequence: { hooks: 'stack' },
  },
});
