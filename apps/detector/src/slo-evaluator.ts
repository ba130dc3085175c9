import {
  type ClickHouseClient,
  queryBurnRateSeries,
  querySloWindows,
  type SloRatioSelector,
} from '@palisade/clickhouse'
import type { Alert } from '@palisade/schema'
import {
  type BurnRatePoint,
  type BurnRateTier,
  burnRate,
  defaultBurnRateTiers,
  evaluateSlo,
  type SloAlertState,
  type SloDefinition,
  SloNotFoundError,
  type SloStatus,
  type SloStatusSource,
  sloAlerts,
  sloWindows,
} from '@palisade/slo'

/** What the SLO evaluator needs. */
export interface SloEvaluatorOptions {
  client: ClickHouseClient
  /** The SLOs to evaluate, e.g. from `loadSloDirectory('alerts/slos')`. */
  slos: readonly SloDefinition[]
  /** Wall clock, epoch ms (default `Date.now`): the end of every window, floored to the minute. */
  now?: () => number
  /** Receives each evaluation's alerts when there are any; state advances only once it resolves. */
  onAlerts: (alerts: Alert[]) => void | Promise<void>
  /** Burn-rate tiers (default: the SRE Workbook's four, `defaultBurnRateTiers`). */
  tiers?: readonly BurnRateTier[]
}

/** SLO status for the API and dashboards, plus the periodic evaluation that emits burn-rate alerts. */
export interface SloEvaluator extends SloStatusSource {
  readonly slos: readonly SloDefinition[]
  /**
   * Evaluate every SLO for every tenant with traffic in its compliance window, send the alerts to
   * `onAlerts` and return them: firing alerts on every call while they fire (the router dedupes),
   * a resolved alert once when an SLO stops firing. Rejects, keeping the previous state, if a
   * query or `onAlerts` fails; the next call retries.
   */
  evaluateAll(): Promise<Alert[]>
}

function ratioOf(slo: SloDefinition): SloRatioSelector {
  const { rollup, service, bad, total } = slo.indicator
  return { rollup, ...(service === undefined ? {} : { service }), bad, total }
}

/** Create the evaluator over the 1-minute rollups; it remembers the firing state per (tenant, SLO). */
export function createSloEvaluator(options: SloEvaluatorOptions): SloEvaluator {
  const { client, slos, onAlerts } = options
  const now = options.now ?? Date.now
  const tiers = options.tiers ?? defaultBurnRateTiers
  const windows = new Map(slos.map((slo) => [slo.name, sloWindows(slo, tiers)]))
  const byName = new Map(slos.map((slo) => [slo.name, slo]))
  /** SLO name → tenant → what was last sent firing. */
  const firing = new Map<string, Map<string, SloAlertState>>(slos.map((slo) => [slo.name, new Map()]))

  async function statusesFor(
    slo: SloDefinition,
    tenant: string | null,
    at: number,
  ): Promise<Map<string, SloStatus>> {
    const rows = await querySloWindows(client, {
      ...ratioOf(slo),
      tenant,
      windowsMs: windows.get(slo.name) ?? [],
      now: at,
    })
    return new Map(rows.map((row) => [row.tenant, evaluateSlo(slo, row.windows, at, tiers)]))
  }

  return {
    slos,

    async statuses(tenant) {
      const at = now()
      return Promise.all(
        slos.map(
          async (slo) => (await statusesFor(slo, tenant, at)).get(tenant) ?? evaluateSlo(slo, [], at, tiers),
        ),
      )
    },

    async burnRateSeries(tenant, name, range) {
      const slo = byName.get(name)
      if (!slo) throw new SloNotFoundError(name)
      const points = await queryBurnRateSeries(client, {
        ...ratioOf(slo),
        tenant,
        from: range.from,
        to: range.to,
        stepMs: range.stepMs,
        windowMs: range.windowMs ?? 3_600_000,
      })
      return points.map(
        (point): BurnRatePoint => ({
          ts: point.ts,
          burnRate: burnRate(Math.min(Math.max(0, point.bad), point.total), point.total, slo.objective),
        }),
      )
    },

    async evaluateAll() {
      const at = now()
      const alerts: Alert[] = []
      const next = new Map<string, Map<string, SloAlertState>>()
      for (const slo of slos) {
        const statuses = await statusesFor(slo, null, at)
        const previous = firing.get(slo.name) ?? new Map<string, SloAlertState>()
        // A tenant that was firing but has no rows left in the window must still get its resolve.
        for (const tenant of previous.keys()) {
          if (!statuses.has(tenant)) statuses.set(tenant, evaluateSlo(slo, [], at, tiers))
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
