import {
  type BurnRateTier,
  budgetRemaining,
  burnRate,
  defaultBurnRateTiers,
  evaluateTiers,
} from './burn-rate.ts'
import type { SloDefinition } from './slo-definition.ts'
import type { SloBudget, SloCoverage, SloStatus, WindowBurn } from './slo-status.ts'
import { describeSpan, parseWindow } from './window-duration.ts'

/** Counter sums of one SLO over one window ending at the evaluation time, as the store returns them. */
export interface WindowSums {
  windowMs: number
  bad: number
  total: number
  /** First minute with traffic in the window, epoch ms; absent without traffic. */
  firstMinute?: number
}

const MINUTE_MS = 60_000

function windowMsOf(window: string): number {
  const ms = parseWindow(window)
  // Tiers come from code, not from SLO files: a bad one is a programming error.
  if (ms === undefined)
    throw new RangeError(`burn-rate tier window "${window}" is not a window such as 5m or 1h`)
  return ms
}

/**
 * The windows to sum for an SLO, in ms, ascending and distinct: every tier window plus the
 * compliance window (default tiers: 5m, 30m, 1h, 2h, 6h, 24h, 3d and e.g. 30d).
 */
export function sloWindows(
  slo: SloDefinition,
  tiers: readonly BurnRateTier[] = defaultBurnRateTiers,
): number[] {
  const windows = new Set<number>([slo.windowMs])
  for (const tier of tiers) {
    windows.add(windowMsOf(tier.longWindow))
    windows.add(windowMsOf(tier.shortWindow))
  }
  return [...windows].sort((a, b) => a - b)
}

/**
 * Build an SLO's status from its window sums (see `sloWindows`); a window missing from `sums` had
 * no traffic. `bad` is clamped into [0, total]: an SLO written as `good` gets `total - good`, which
 * late or partial rollup rows could push out of range.
 */
export function evaluateSlo(
  slo: SloDefinition,
  sums: readonly WindowSums[],
  evaluatedAt: number,
  tiers: readonly BurnRateTier[] = defaultBurnRateTiers,
): SloStatus {
  const byWindow = new Map<number, { bad: number; total: number }>()
  for (const sum of sums) {
    const total = Math.max(0, sum.total)
    byWindow.set(sum.windowMs, { bad: Math.min(Math.max(0, sum.bad), total), total })
  }
  const at = (windowMs: number) => byWindow.get(windowMs) ?? { bad: 0, total: 0 }
  const first = sums.find((sum) => sum.windowMs === slo.windowMs)?.firstMinute

  const burnRates: WindowBurn[] = []
  const burnByNotation = new Map<string, number>()
  const tierWindows = tiers.flatMap((tier) => [tier.shortWindow, tier.longWindow])
  for (const window of tierWindows) {
    if (burnByNotation.has(window)) continue
    const windowMs = windowMsOf(window)
    const { bad, total } = at(windowMs)
    const rate = burnRate(bad, total, slo.objective)
    burnByNotation.set(window, rate)
    if (!burnRates.some((burn) => burn.windowMs === windowMs)) {
      burnRates.push({ window, windowMs, good: total - bad, total, burnRate: rate })
    }
  }
  burnRates.sort((a, b) => a.windowMs - b.windowMs)

  const compliance = at(slo.windowMs)
  const coverage = sloCoverage(slo.windowMs, first, evaluatedAt)
  const remaining = budgetRemaining(compliance.bad, compliance.total, slo.objective)
  const currentBurnWindow = tiers[0]?.longWindow ?? slo.window
  const currentBurnRate = burnByNotation.get(currentBurnWindow) ?? 0
  const budget: SloBudget = {
    over: coverage.complete ? 'window' : 'covered',
    allowedBad: (1 - slo.objective) * compliance.total,
    bad: compliance.bad,
    currentBurnRate,
    currentBurnWindow,
    exhaustsInMs: timeToExhaustion(remaining, currentBurnRate, slo.windowMs),
  }
  return {
    name: slo.name,
    displayName: slo.displayName,
    service: slo.service,
    objective: slo.objective,
    window: slo.window,
    sli: compliance.total === 0 ? 1 : (compliance.total - compliance.bad) / compliance.total,
    good: compliance.total - compliance.bad,
    total: compliance.total,
    budgetRemaining: remaining,
    coverage,
    budget,
    burnRates,
    tiers: evaluateTiers(tiers, burnByNotation),
    evaluatedAt,
  }
}

/**
 * How much of a compliance window of `windowMs` ending at `evaluatedAt` (floored to the minute, as
 * the rollup queries do) the data covers, given the window's first minute with traffic.
 */
export function sloCoverage(
  windowMs: number,
  firstMinute: number | undefined,
  evaluatedAt: number,
): SloCoverage {
  const to = Math.floor(evaluatedAt / MINUTE_MS) * MINUTE_MS
  const coveredMs = firstMinute === undefined ? 0 : Math.min(windowMs, Math.max(0, to - firstMinute))
  return {
    windowMs,
    from: firstMinute ?? null,
    to,
    coveredMs,
    covered: describeSpan(coveredMs),
    complete: coveredMs >= windowMs,
  }
}

/**
 * Time until a budget with `remaining` left (a fraction) is spent at `burnRate`, in ms: a burn rate
 * of 1 spends a whole budget in one window. 0 when already spent; null when nothing burns.
 */
export function timeToExhaustion(remaining: number, burnRate: number, windowMs: number): number | null {
  if (remaining <= 0) return 0
  if (!(burnRate > 0)) return null
  return Math.round((remaining * windowMs) / burnRate)
}
