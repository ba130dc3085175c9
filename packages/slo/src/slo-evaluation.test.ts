import { describe, expect, it } from 'vitest'
import type { SloDefinition } from './slo-definition.ts'
import { evaluateSlo, sloWindows, timeToExhaustion, type WindowSums } from './slo-evaluation.ts'

const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR

const slo: SloDefinition = {
  name: 'auth-success',
  displayName: 'Auth success',
  service: 'identity',
  objective: 0.999,
  window: '30d',
  windowMs: 30 * DAY,
  indicator: { rollup: 'auth', bad: { system_failures: 1 }, total: { attempts: 1 }, declared: 'bad' },
  runbookUrl: 'https://runbooks.palisade.dev/slo/auth-success',
  origin: { source: 'test', document: 1 },
}

describe('sloWindows', () => {
  it('lists every tier window and the compliance window once, shortest first', () => {
    expect(sloWindows(slo)).toEqual([5 * MIN, 30 * MIN, HOUR, 2 * HOUR, 6 * HOUR, DAY, 3 * DAY, 30 * DAY])
  })
})

describe('evaluateSlo', () => {
  const at = Date.UTC(2026, 0, 15, 12)

  it('reports the SLI, the budget left and a burn rate per tier window', () => {
    const sums: WindowSums[] = [
      { windowMs: 5 * MIN, bad: 100, total: 500 },
      { windowMs: HOUR, bad: 210, total: 6000 },
      { windowMs: 30 * DAY, bad: 210, total: 1_000_000 },
    ]
    const status = evaluateSlo(slo, sums, at)
    expect(status).toMatchObject({
      name: 'auth-success',
      service: 'identity',
      window: '30d',
      good: 999_790,
      total: 1_000_000,
    })
    expect(status.sli).toBeCloseTo(0.99979, 9)
    expect(status.budgetRemaining).toBeCloseTo(0.79, 9)
    expect(status.evaluatedAt).toBe(at)
    expect(status.burnRates.map((b) => b.window)).toEqual(['5m', '30m', '1h', '2h', '6h', '24h', '3d'])
    expect(status.burnRates[0]).toMatchObject({ window: '5m', windowMs: 5 * MIN, good: 400, total: 500 })
    expect(status.burnRates[0]?.burnRate).toBeCloseTo(200, 6)
    expect(status.burnRates[2]?.burnRate).toBeCloseTo(35, 6)
    expect(status.tiers.map((t) => t.firing)).toEqual([true, false, false, false])
  })

  it('reads a window without sums as no traffic: SLI 1, full budget, nothing firing', () => {
    const status = evaluateSlo(slo, [], at)
    expect(status).toMatchObject({ sli: 1, good: 0, total: 0, budgetRemaining: 1 })
    expect(status.burnRates.every((b) => b.burnRate === 0)).toBe(true)
    expect(status.tiers.some((t) => t.firing)).toBe(false)
  })

  it('clamps bad into [0, total] when a good-based ratio comes out of range', () => {
    const status = evaluateSlo(slo, [{ windowMs: 30 * DAY, bad: -3, total: 10 }], at)
    expect(status).toMatchObject({ good: 10, total: 10, sli: 1, budgetRemaining: 1 })
  })

  it('says the data covers 8 hours of a 30-day window, and labels the budget as over what is covered', () => {
    // The demo's case: 8 hours of data, 7% bad against a 99.9% objective.
    const first = at - 8 * HOUR
    const sums: WindowSums[] = [
      { windowMs: HOUR, bad: 70, total: 1000 },
      { windowMs: 30 * DAY, bad: 560, total: 8000, firstMinute: first },
    ]
    const status = evaluateSlo(slo, sums, at + 30_000)
    expect(status.coverage).toEqual({
      windowMs: 30 * DAY,
      from: first,
      to: at,
      coveredMs: 8 * HOUR,
      covered: '8h',
      complete: false,
    })
    expect(status.budgetRemaining).toBeCloseTo(1 - 0.07 / 0.001, 9)
    expect(status.budget).toMatchObject({
      over: 'covered',
      bad: 560,
      currentBurnWindow: '1h',
      exhaustsInMs: 0,
    })
    expect(status.budget.allowedBad).toBeCloseTo(8, 9)
    expect(status.budget.currentBurnRate).toBeCloseTo(70, 9)
  })

  it('calls a window whose first minute with traffic is its start complete', () => {
    const sums: WindowSums[] = [{ windowMs: 30 * DAY, bad: 1, total: 10_000, firstMinute: at - 30 * DAY }]
    expect(evaluateSlo(slo, sums, at).coverage).toMatchObject({ complete: true, covered: '30d' })
    expect(evaluateSlo(slo, sums, at).budget.over).toBe('window')
  })

  it('estimates the time to exhaustion from the budget left and the last hour’s burn rate', () => {
    const sums: WindowSums[] = [
      { windowMs: HOUR, bad: 2, total: 1000 },
      { windowMs: 30 * DAY, bad: 500, total: 1_000_000, firstMinute: at - 30 * DAY },
    ]
    const status = evaluateSlo(slo, sums, at)
    // Half the budget left, burning at 2x: the half lasts a quarter of the window, 7.5 days.
    expect(status.budget.exhaustsInMs).toBe(7.5 * DAY)
  })

  it('reports no coverage and no exhaustion without traffic', () => {
    const status = evaluateSlo(slo, [], at)
    expect(status.coverage).toMatchObject({ from: null, coveredMs: 0, covered: '0m', complete: false })
    expect(status.budget).toMatchObject({ exhaustsInMs: null, allowedBad: 0, bad: 0 })
  })
})

describe('timeToExhaustion', () => {
  it('is 0 once the budget is spent and null when nothing burns', () => {
    expect(timeToExhaustion(-0.2, 5, 30 * DAY)).toBe(0)
    expect(timeToExhaustion(0.8, 0, 30 * DAY)).toBeNull()
    expect(timeToExhaustion(0.8, 1, 30 * DAY)).toBe(24 * DAY)
  })
})
