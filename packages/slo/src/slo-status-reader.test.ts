import { describe, expect, it } from 'vitest'
import type { SloDefinition } from './slo-definition.ts'
import { createSloStatusReader, type SloRollupReader } from './slo-status-reader.ts'

const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR
const now = Date.UTC(2026, 0, 15, 12)

const base: SloDefinition = {
  name: 'auth-success',
  displayName: 'Auth success',
  service: 'identity',
  objective: 0.99,
  window: '30d',
  windowMs: 30 * DAY,
  indicator: { rollup: 'auth', bad: { system_failures: 1 }, total: { attempts: 1 }, declared: 'bad' },
  runbookUrl: 'https://runbooks.palisade.dev/slo/auth-success',
  origin: { source: 'test', document: 1 },
}

/** A store where every window holds 5 bad of 100 (burn rate 5 at 99%), recording the windows asked. */
function steadyRollups(asked: number[][]): SloRollupReader {
  return {
    async windowSums(_indicator, query) {
      asked.push([...query.windowsMs])
      return [
        { tenant: 'acme', windows: query.windowsMs.map((windowMs) => ({ windowMs, bad: 5, total: 100 })) },
      ]
    },
    async burnRateCounts() {
      return []
    },
  }
}

describe('createSloStatusReader', () => {
  it('evaluates an SLO with alert policies against its own tiers, others against the defaults', async () => {
    const asked: number[][] = []
    const own: SloDefinition = {
      ...base,
      name: 'own-tiers',
      tiers: [{ severity: 'page', threshold: 4, longWindow: '2h', shortWindow: '10m' }],
    }
    const reader = createSloStatusReader({ rollups: steadyRollups(asked), slos: [own, base], now: () => now })
    const [ownStatus, defaultStatus] = await reader.statuses('acme')
    expect(ownStatus?.tiers).toEqual([
      { severity: 'page', threshold: 4, longWindow: '2h', shortWindow: '10m', firing: true },
    ])
    expect(ownStatus?.burnRates.map((b) => b.window)).toEqual(['10m', '2h'])
    expect(asked[0]).toEqual([10 * MIN, 2 * HOUR, 30 * DAY])
    // The defaults: 14.4 and 6 do not fire at 5x; 3 and 1 do.
    expect(defaultStatus?.tiers.map((t) => t.firing)).toEqual([false, false, true, true])
  })
})
