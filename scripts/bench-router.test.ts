import { describe, expect, it } from 'vitest'
import { routerBenchReport, runRouterBench } from './router-bench.ts'

// The bench run tiny, so that it keeps working; `npm run bench:router` runs it at full size.
describe('bench:router', () => {
  it('completes at a tiny size and prints every figure with its ratio to the baseline', async () => {
    const result = await runRouterBench({ alerts: 2000, groups: 100, quadraticSample: 200 })
    expect(result.notifications).toBeGreaterThan(0)
    expect(result.notifications).toBeLessThanOrEqual(100)
    const report = routerBenchReport(result)
    console.log(report)
    for (const figure of [
      'flush time:',
      'alerts/s accepted:',
      'event-loop stall',
      'RSS:',
      'pre-change inhibition',
    ])
      expect(report).toContain(figure)
    expect(report).not.toMatch(/NaN|Infinity/)
  })
})
