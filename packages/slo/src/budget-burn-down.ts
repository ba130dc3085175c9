import { budgetRemaining } from './burn-rate.ts'
import type { SloDefinition } from './slo-definition.ts'
import type { BudgetBurnDown, BudgetBurnDownPoint } from './slo-status.ts'

const MINUTE_MS = 60_000

/** About how many steps a burn-down chart has: enough for a smooth line, few enough to draw fast. */
const TARGET_STEPS = 120

/**
 * The step of a burn-down over a window of `windowMs`: whole minutes that divide the window, so the
 * steps tile it exactly, and about {@link TARGET_STEPS} of them (30d → 6h, 1d → 12m, 1h → 1m).
 */
export function burnDownStepMs(windowMs: number): number {
  const minutes = Math.max(1, Math.round(windowMs / MINUTE_MS))
  let step = Math.max(1, Math.ceil(minutes / TARGET_STEPS))
  while (minutes % step !== 0) step += 1
  return step * MINUTE_MS
}

/** Bad and total events in the step that ends at `ts` (the step is [ts - stepMs, ts)). */
export interface StepCounts {
  ts: number
  bad: number
  total: number
}

/**
 * The budget burn-down of `slo` over the window [from, from + windowMs): the budget left over the
 * window's start up to each step's end, from cumulative sums (never an average of step ratios).
 * `steps` are the per-step counts in time order; the first point is `from`, at full budget.
 */
export function budgetBurnDown(
  slo: SloDefinition,
  from: number,
  stepMs: number,
  steps: readonly StepCounts[],
): BudgetBurnDown {
  let bad = 0
  let total = 0
  const points: BudgetBurnDownPoint[] = [{ ts: from, bad: 0, total: 0, budgetRemaining: 1 }]
  for (const step of steps) {
    total += Math.max(0, step.total)
    // A `good`-declared SLO's bad is total - good, which late rollup rows can push out of range.
    bad += Math.min(Math.max(0, step.bad), Math.max(0, step.total))
    points.push({ ts: step.ts, bad, total, budgetRemaining: budgetRemaining(bad, total, slo.objective) })
  }
  return { slo: slo.name, window: slo.window, from, to: from + slo.windowMs, stepMs, points }
}
