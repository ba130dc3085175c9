import { existsSync } from 'node:fs'
import { dashboardQueries } from '@palisade/clickhouse'
import { describe, expect, it } from 'vitest'
import { queryBenchReport, runQueryBench } from './query-bench.ts'

// The bench run tiny, so that it keeps working; `npm run bench:query` runs it at 5 M and 50 M.
describe('bench:query', () => {
  // Sixty routes over HTTP at two sizes, each size migrated into its own store, on a shared machine.
  it('completes at a tiny size, prints every panel and route with its ratio, and removes its data', {
    timeout: 600_000,
  }, async () => {
    const result = await runQueryBench({ sizes: [20_000, 40_000], runs: 1, settleMs: 5_000 })
    const report = queryBenchReport(result)
    console.log(report)
    expect(existsSync(result.workDir)).toBe(false)
    for (const name of Object.keys(dashboardQueries)) expect(report).toContain(`panel ${name} 24h`)
    for (const route of [
      'GET /api/v1/findings/:id',
      'GET /api/v1/entities/spiffe',
      'GET /api/v1/slos',
      'baseline: raw service_graph',
      'floor: SELECT 1',
    ])
      expect(report).toContain(route)
    expect(report).toContain('p95 ratio 40,000/20,000')
    expect(report).not.toMatch(/NaN|Infinity/)
    // The service graph answered edges at both sizes (not an empty table timed).
    expect(result.routes.get('panel service_graph 24h')?.every((figures) => figures.answered > 50)).toBe(true)
  })
})
