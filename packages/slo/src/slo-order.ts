import type { SloStatus } from './slo-status.ts'

function urgency(status: SloStatus): number {
  const firing = status.tiers.filter((tier) => tier.firing)
  if (firing.some((tier) => tier.severity === 'page')) return 0
  return firing.length > 0 ? 1 : 2
}

/**
 * SLOs worst first, for the list people triage from: paging ones, then ticketing ones, then the
 * rest; within each, the least budget left first, then by name so the order is stable.
 */
export function worstFirst(statuses: readonly SloStatus[]): SloStatus[] {
  return [...statuses].sort(
    (a, b) =>
      urgency(a) - urgency(b) || a.budgetRemaining - b.budgetRemaining || a.name.localeCompare(b.name),
  )
}
