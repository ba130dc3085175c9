import { describe, expect, it } from 'vitest'
import { budgetRemaining, burnRate, defaultBurnRateTiers, evaluateTiers } from './burn-rate.ts'

describe('burnRate', () => {
  it('is the bad fraction divided by the allowed bad fraction', () => {
    // 0.5% bad against a 99.9% objective: five times the sustainable rate.
    expect(burnRate(5, 1000, 0.999)).toBeCloseTo(5, 9)
    expect(burnRate(1, 1000, 0.999)).toBeCloseTo(1, 9)
  })

  it('is 0 without traffic', () => {
    expect(burnRate(0, 0, 0.999)).toBe(0)
  })

  it('sums counters instead of averaging ratios across windows', () => {
    // Two minutes: 1 bad of 10 (10%) and 0 bad of 990. The average of ratios says 5%; the truth is 0.1%.
    const minutes = [
      { bad: 1, total: 10 },
      { bad: 0, total: 990 },
    ]
    const bad = minutes.reduce((sum, m) => sum + m.bad, 0)
    const total = minutes.reduce((sum, m) => sum + m.total, 0)
    expect(burnRate(bad, total, 0.999)).toBeCloseTo(1, 9)
  })
})

describe('budgetRemaining', () => {
  it('is 1 - burn rate over the compliance window', () => {
    expect(budgetRemaining(250, 1_000_000, 0.999)).toBeCloseTo(0.75, 9)
  })

  it('is 1 without traffic and negative once the SLO is breached', () => {
    expect(budgetRemaining(0, 0, 0.999)).toBe(1)
    expect(budgetRemaining(3, 1000, 0.999)).toBeCloseTo(-2, 9)
  })
})

describe('evaluateTiers', () => {
  const burns = (entries: Record<string, number>) => new Map(Object.entries(entries))

  it('has the SRE Workbook tiers by default', () => {
    expect(
      defaultBurnRateTiers.map((t) => `${t.severity} ${t.threshold}x ${t.longWindow}/${t.shortWindow}`),
    ).toEqual(['page 14.4x 1h/5m', 'page 6x 6h/30m', 'ticket 3x 24h/2h', 'ticket 1x 3d/6h'])
  })

  it('fires a tier only when both its long and short windows exceed the threshold', () => {
    const tiers = evaluateTiers(defaultBurnRateTiers, burns({ '1h': 20, '5m': 30, '6h': 2, '30m': 10 }))
    expect(tiers.map((t) => t.firing)).toEqual([true, false, false, false])
  })

  it('does not fire on a short spike alone, nor on an old burn that has stopped', () => {
    expect(evaluateTiers(defaultBurnRateTiers, burns({ '1h': 2, '5m': 100 }))[0]?.firing).toBe(false)
    expect(evaluateTiers(defaultBurnRateTiers, burns({ '1h': 20, '5m': 0 }))[0]?.firing).toBe(false)
  })

  it('needs a burn strictly above the threshold', () => {
    expect(evaluateTiers(defaultBurnRateTiers, burns({ '3d': 1, '6h': 1 }))[3]?.firing).toBe(false)
    expect(evaluateTiers(defaultBurnRateTiers, burns({ '3d': 1.01, '6h': 1.01 }))[3]?.firing).toBe(true)
  })
})
