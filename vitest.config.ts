import { defineConfig } from 'vitest/config'

// One Vitest run for the whole monorepo. Integration tests start real processes (embedded ClickHouse,
// HTTP servers, Chromium), so they get generous time-outs; speed is measured by `npm run bench:*`.
export default defineConfig({
  test: {
    include: ['apps/*/src/**/*.test.ts', 'packages/*/src/**/*.test.ts', 'scripts/**/*.test.ts'],
    // A limit only stops a hung test; it measures nothing. The suite runs two files at a time on
    // two cores beside real brokers, engines and browsers, where a minute of wall clock is not much.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    // chDB allows one data directory per process: each test file gets its own worker process.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
})
