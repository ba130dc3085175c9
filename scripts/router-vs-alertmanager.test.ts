import { describe, expect, it } from 'vitest'
import { runSideBySide, sideBySideReport } from './router-vs-alertmanager.ts'

// bench:router's side-by-side part run tiny against Debian's Alertmanager (CI installs it), so that
// it keeps working; `npm run bench:router` runs it at full size.
describe('bench:router side by side with Alertmanager', () => {
  it('completes at a tiny size and prints every figure of both with its ratio', async () => {
    const result = await runSideBySide({ batched: 200, single: 20, burst: 200, concurrency: 4 })
    for (const figures of [result.palisade, result.alertmanager]) {
      expect(figures.batchedAlertsPerSecond).toBeGreaterThan(0)
      expect(figures.burstNotifications).toBeGreaterThanOrEqual(1)
      expect(Number.isFinite(figures.resolveToNotifyMs)).toBe(true)
    }
    const report = sideBySideReport(result)
    console.log(report)
    expect(report).toContain('accepted alerts/s, batches of 100')
    expect(report).not.toMatch(/NaN|Infinity/)
  }, 180_000)
})
