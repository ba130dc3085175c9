import type { BurnRateTier } from './burn-rate.ts'
import type { RollupName } from './rollup-counters.ts'

/**
 * A linear combination of one rollup's counters, e.g. `{ attempts: 1, user_failures: -1 }`. The
 * store turns it into sums over rollup rows; sums of counters stay sums, so windows never average
 * ratios.
 */
export type CounterWeights = Readonly<Record<string, number>>

/** What counts as bad and as total for an SLO: counters of ONE rollup, for one or all services. */
export interface SloIndicator {
  rollup: RollupName
  /** Only this service's rows; `undefined` sums every service of the tenant. */
  service?: string
  /**
   * Egress rollup only: leave out destinations the declared intent covers (by address and port),
   * so the ratio reads attempts to destinations nobody declared (`destinations: undeclared`).
   */
  undeclaredEgressOnly?: true
  /** Bad events. An SLO file that names `good` gets `total - good` here. */
  bad: CounterWeights
  total: CounterWeights
  /** Which side the file named, for display: `good: successes` reads better than its complement. */
  declared: 'good' | 'bad'
}

/**
 * `budgetingMethod: Timeslices`: the SLI counts time slices, not events. A slice is good when its
 * good/total reaches `target`; slices without traffic are not counted (neither good nor bad).
 */
export interface TimeSlice {
  /** `timeSliceWindow` as written (`5m`) and in ms (whole minutes). */
  window: string
  windowMs: number
  /** `timeSliceTarget`: the fraction good a slice needs, in (0, 1]. */
  target: number
}

/** One validated SLO, ready to evaluate; produced by `parseOpenSlo`. */
export interface SloDefinition {
  /** `metadata.name`: unique, a DNS label (`auth-success`). */
  name: string
  /** `metadata.displayName`, defaults to the name. */
  displayName: string
  description?: string
  /** `spec.service`: the service label alerts and the API carry. */
  service: string
  /** Target fraction good, in (0, 1), e.g. 0.999. */
  objective: number
  /** Compliance window as written (`30d`) and in ms. */
  window: string
  windowMs: number
  indicator: SloIndicator
  /** `metadata.annotations['palisade.dev/runbook']`, else `https://runbooks.palisade.dev/slo/<name>`. */
  runbookUrl: string
  /** Present with `budgetingMethod: Timeslices`; absent for Occurrences. */
  timeSlice?: TimeSlice
  /**
   * Burn-rate tiers from the SLO's `alertPolicies` (one per AlertCondition), replacing the default
   * tiers for this SLO; absent when it declares none.
   */
  tiers?: readonly BurnRateTier[]
  /** Where it was defined, for messages. */
  origin: { source: string; document: number }
}
