import type { BurnRateTierStatus } from './slo-status.ts'

/**
 * How fast the error budget burns over a window: (bad / total) / (1 - objective). 1 spends the
 * budget exactly over the compliance window; 0 without traffic. `bad` and `total` are counter sums
 * over the window, never an average of per-minute ratios.
 */
export function burnRate(bad: number, total: number, objective: number): number {
  if (total <= 0) return 0
  return bad / total / (1 - objective)
}

/**
 * Fraction of the error budget left over the compliance window: 1 - (bad / total) / (1 - objective).
 * 1 without traffic; negative once the SLO is breached.
 */
export function budgetRemaining(bad: number, total: number, objective: number): number {
  return 1 - burnRate(bad, total, objective)
}

/** One multiwindow burn-rate alerting tier: fires when both windows burn faster than `threshold`. */
export interface BurnRateTier {
  severity: 'page' | 'ticket'
  /** Burn-rate threshold, e.g. 14.4 (2% of a 30-day budget in one hour). */
  threshold: number
  /** Window notation as in SLO files (`1h`); see `parseWindow`. */
  longWindow: string
  shortWindow: string
}

/**
 * The SRE Workbook's tiers for a 30-day window (chapter 5, "multiwindow, multi-burn-rate alerts"):
 * page at 14.4x over 1h and 5m, 6x over 6h and 30m; ticket at 3x over 24h and 2h, 1x over 3d and 6h.
 * The short window lets an alert resolve within minutes of the burn stopping.
 */
export const defaultBurnRateTiers: readonly BurnRateTier[] = [
  { severity: 'page', threshold: 14.4, longWindow: '1h', shortWindow: '5m' },
  { severity: 'page', threshold: 6, longWindow: '6h', shortWindow: '30m' },
  { severity: 'ticket', threshold: 3, longWindow: '24h', shortWindow: '2h' },
  { severity: 'ticket', threshold: 1, longWindow: '3d', shortWindow: '6h' },
]

/**
 * Which tiers fire, given the burn rate of each window (keyed by the tier's window notation). A
 * tier fires only if BOTH its long and its short window burn strictly faster than its threshold;
 * a window missing from `burnRates` counts as 0.
 */
export function evaluateTiers(
  tiers: readonly BurnRateTier[],
  burnRates: ReadonlyMap<string, number>,
): BurnRateTierStatus[] {
  return tiers.map((tier) => ({
    ...tier,
    firing:
      (burnRates.get(tier.longWindow) ?? 0) > tier.threshold &&
      (burnRates.get(tier.shortWindow) ?? 0) > tier.threshold,
  }))
}
