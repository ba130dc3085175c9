import { defineConfig } from 'vitest/config'

// One Vitest run for the whole monorepo. Integration tests start real processes (embedded ClickHouse,
// HTTP servers, Chromium), so they get generous time-outs; speed is measured by `npm run bench:*`.
export default defineConfig({
  test: {
    include: ['apps/*/src/**/*.test.ts', 'packages/*/src/**/*.test.ts', 'scripts/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // chDB allows one data directory per process: each test file gets its own worker process.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
})
