import type { Alert } from '@palisade/schema'
import {
  type BurnRateTier,
  createSloStatusReader,
  type SloAlertState,
  type SloDefinition,
  type SloRollupReader,
  type SloStatusReader,
  sloAlerts,
} from '@palisade/slo'

/** What the SLO evaluator needs. */
export interface SloEvaluatorOptions {
  /** The store's rollup reader (`createSloRollupReader(client)`). */
  rollups: SloRollupReader
  /** The SLOs to evaluate (the declarations' `slos`). */
  slos: readonly SloDefinition[]
  /** Wall clock, epoch ms (default `Date.now`): the end of every window, floored to the minute. */
  now?: () => number
  /** Receives each evaluation's alerts when there are any; state advances only once it resolves. */
  onAlerts: (alerts: Alert[]) => void | Promise<void>
  /** Burn-rate tiers (default: the SRE Workbook's four, `defaultBurnRateTiers`). */
  tiers?: readonly BurnRateTier[]
}

/** SLO status for the API and dashboards, plus the periodic evaluation that emits burn-rate alerts. */
export interface SloEvaluator extends SloStatusReader {
  /**
   * Evaluate every SLO for every tenant with traffic in its compliance window, send the alerts to
   * `onAlerts` and return them: firing alerts on every call while they fire (the router dedupes),
   * a resolved alert once when an SLO stops firing. Rejects, keeping the previous state, if a
   * query or `onAlerts` fails; the next call retries.
   */
  evaluateAll(): Promise<Alert[]>
}

/** Create the evaluator over the 1-minute rollups; it remembers the firing state per (tenant, SLO). */
export function createSloEvaluator(options: SloEvaluatorOptions): SloEvaluator {
  const { slos, onAlerts } = options
  const now = options.now ?? Date.now
  const reader = createSloStatusReader({
    rollups: options.rollups,
    slos,
    now,
    ...(options.tiers ? { tiers: options.tiers } : {}),
  })
  /** SLO name → tenant → what was last sent firing. */
  const firing = new Map<string, Map<string, SloAlertState>>(slos.map((slo) => [slo.name, new Map()]))

  return {
    ...reader,

    async evaluateAll() {
      const at = now()
      const alerts: Alert[] = []
      const next = new Map<string, Map<string, SloAlertState>>()
      for (const slo of slos) {
        const statuses = await reader.statusesByTenant(slo, null, at)
        const previous = firing.get(slo.name) ?? new Map<string, SloAlertState>()
        // A tenant that was firing but has no rows left in the window must still get its resolve.
        for (const tenant of previous.keys()) {
          if (!statuses.has(tenant)) statuses.set(tenant, reader.statusWithoutTraffic(slo, at))
        }
        const states = new Map<string, SloAlertState>()
        for (const [tenant, status] of statuses) {
          const transition = sloAlerts({ tenant, slo, status, previous: previous.get(tenant) })
          alerts.push(...transition.alerts)
          if (transition.state) states.set(tenant, transition.state)
        }
        next.set(slo.name, states)
      }
      if (alerts.length > 0) await onAlerts(alerts)
      // Only now: if a query or the hand-off failed, the next evaluation sends the resolves again.
      for (const [name, states] of next) firing.set(name, states)
      return alerts
    },
  }
}
