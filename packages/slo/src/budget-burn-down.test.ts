import { describe, expect, it } from 'vitest'
import { budgetBurnDown, burnDownStepMs } from './budget-burn-down.ts'
import type { SloDefinition } from './slo-definition.ts'

const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR

const slo: SloDefinition = {
  name: 'auth-success',
  displayName: 'Auth success',
  service: 'identity',
  objective: 0.99,
  window: '1d',
  windowMs: DAY,
  indicator: { rollup: 'auth', bad: { system_failures: 1 }, total: { attempts: 1 }, declared: 'bad' },
  runbookUrl: 'https://runbooks.palisade.dev/slo/auth-success',
  origin: { source: 'test', document: 1 },
}

describe('burnDownStepMs', () => {
  it('tiles the window in whole minutes, about 120 steps', () => {
    expect(burnDownStepMs(30 * DAY)).toBe(6 * HOUR)
    expect(burnDownStepMs(DAY)).toBe(12 * MIN)
    expect(burnDownStepMs(HOUR)).toBe(MIN)
    expect(burnDownStepMs(28 * DAY)).toBe(336 * MIN)
  })

  it('picks a divisor when the window is not a multiple of 120 minutes', () => {
    expect(burnDownStepMs(7 * HOUR + MIN)).toBe(421 * MIN) // a prime: one step
    expect(burnDownStepMs(7 * HOUR + 7 * MIN)).toBe(7 * MIN) // 427 = 7 × 61
    expect(burnDownStepMs(250 * MIN) % MIN).toBe(0)
    expect((250 * MIN) % burnDownStepMs(250 * MIN)).toBe(0)
  })
})

describe('budgetBurnDown', () => {
  const from = Date.UTC(2026, 0, 15)

  it('starts at a full budget and cumulates bad over total from the window start', () => {
    const burnDown = budgetBurnDown(slo, from, 12 * HOUR, [
      { ts: from + 12 * HOUR, bad: 0, total: 0 },
      { ts: from + DAY, bad: 5, total: 1000 },
    ])
    expect(burnDown).toMatchObject({
      slo: 'auth-success',
      window: '1d',
      from,
      to: from + DAY,
      stepMs: 12 * HOUR,
    })
    expect(burnDown.points.map((p) => [p.ts - from, p.bad, p.total])).toEqual([
      [0, 0, 0],
      [12 * HOUR, 0, 0],
      [DAY, 5, 1000],
    ])
    // 5 bad of 1,000 against 1% allowed: half the budget.
    expect(burnDown.points.map((p) => Number(p.budgetRemaining.toFixed(9)))).toEqual([1, 1, 0.5])
  })

  it('sums counts, not ratios: a busy good step outweighs a quiet bad one', () => {
    const burnDown = budgetBurnDown(slo, from, 12 * HOUR, [
      { ts: from + 12 * HOUR, bad: 1, total: 10 },
      { ts: from + DAY, bad: 0, total: 990 },
    ])
    expect(burnDown.points[1]?.budgetRemaining).toBeCloseTo(1 - 0.1 / 0.01, 9)
    expect(burnDown.points[2]?.budgetRemaining).toBeCloseTo(0.9, 9)
  })

  it('clamps a step whose bad fell out of [0, total]', () => {
    const burnDown = budgetBurnDown(slo, from, DAY, [{ ts: from + DAY, bad: -4, total: 10 }])
    expect(burnDown.points[1]).toMatchObject({ bad: 0, total: 10, budgetRemaining: 1 })
  })
})
