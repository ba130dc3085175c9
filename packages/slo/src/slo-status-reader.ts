import { budgetBurnDown, burnDownStepMs } from './budget-burn-down.ts'
import type { BurnRateTier } from './burn-rate.ts'
import { burnRate, defaultBurnRateTiers } from './burn-rate.ts'
import { SloNotFoundError } from './errors.ts'
import type { SloDefinition, SloIndicator } from './slo-definition.ts'
import { evaluateSlo, sloWindows, type WindowSums } from './slo-evaluation.ts'
import type { BurnRatePoint, SloStatus, SloStatusSource } from './slo-status.ts'

/** Bad and total counts of one tenant over each window asked for. */
export interface TenantWindowSums {
  tenant: string
  windows: WindowSums[]
}

/** Bad and total counts over the sliding window that ends at `ts`. */
export interface BurnRateCounts {
  ts: number
  bad: number
  total: number
}

/**
 * With `budgetingMethod: Timeslices`: count slices of `windowMs` (bad when good/total is below
 * `target`; slices without traffic not at all) instead of events.
 */
export interface SliceQuery {
  windowMs: number
  target: number
}

/** The slice query of an SLO, when it budgets by time slices. */
function sliceOf(slo: SloDefinition): { timeSlice?: SliceQuery } {
  return slo.timeSlice
    ? { timeSlice: { windowMs: slo.timeSlice.windowMs, target: slo.timeSlice.target } }
    : {}
}

/**
 * What the SLO side reads from the store: sums of an indicator's counters over the 1-minute rollups.
 * Implemented by the store package (`createSloRollupReader`), faked in tests.
 */
export interface SloRollupReader {
  /** Sums per tenant over each window ending at `now` (epoch ms); `tenant: null` for every tenant with traffic. */
  windowSums(
    indicator: SloIndicator,
    query: { tenant: string | null; windowsMs: readonly number[]; now: number; timeSlice?: SliceQuery },
  ): Promise<TenantWindowSums[]>
  /**
   * {@link windowSums} of several indicators in one read, answers in the order asked. Optional: a
   * reader without it is asked once per indicator.
   */
  windowSumsOfEach?(
    queries: readonly {
      indicator: SloIndicator
      query: { tenant: string | null; windowsMs: readonly number[]; now: number; timeSlice?: SliceQuery }
    }[],
  ): Promise<TenantWindowSums[][]>
  /** Sums over a sliding `windowMs`, sampled every `stepMs` between `from` and `to` (epoch ms). */
  burnRateCounts(
    indicator: SloIndicator,
    query: {
      tenant: string
      from: number
      to: number
      stepMs: number
      windowMs: number
      timeSlice?: SliceQuery
    },
  ): Promise<BurnRateCounts[]>
}

/** SLO status over the rollups, for the API and dashboards, and for the evaluator that alerts on it. */
export interface SloStatusReader extends SloStatusSource {
  readonly slos: readonly SloDefinition[]
  /** The status of `slo` per tenant with traffic in its windows (`tenant: null`: every tenant) at `at`. */
  statusesByTenant(slo: SloDefinition, tenant: string | null, at: number): Promise<Map<string, SloStatus>>
  /** The status of `slo` for a tenant without traffic: a full budget, nothing firing. */
  statusWithoutTraffic(slo: SloDefinition, at: number): SloStatus
}

/** What {@link createSloStatusReader} needs. */
export interface SloStatusReaderOptions {
  rollups: SloRollupReader
  slos: readonly SloDefinition[]
  /** Wall clock, epoch ms (default `Date.now`): the end of every window. */
  now?: () => number
  /** Burn-rate tiers of SLOs that declare none (default: the SRE Workbook's four, `defaultBurnRateTiers`). */
  tiers?: readonly BurnRateTier[]
}

const MINUTE_MS = 60_000

/** Default sliding window of the burn-rate chart: 1 hour, in ms. */
const DEFAULT_SERIES_WINDOW_MS = 3_600_000

/** SLO status computed on request from the rollups (every window a sum of counters, never an average of ratios). */
export function createSloStatusReader(options: SloStatusReaderOptions): SloStatusReader {
  const { rollups, slos } = options
  const now = options.now ?? Date.now
  const defaultTiers = options.tiers ?? defaultBurnRateTiers
  // An SLO with alert policies burns against its own tiers (one per AlertCondition).
  const tiersOf = (slo: SloDefinition) => slo.tiers ?? defaultTiers
  const windows = new Map(slos.map((slo) => [slo.name, sloWindows(slo, tiersOf(slo))]))
  const byName = new Map(slos.map((slo) => [slo.name, slo]))
  const sloNamed = (name: string) => {
    const slo = byName.get(name)
    if (!slo) throw new SloNotFoundError(name)
    return slo
  }

  async function statusesByTenant(slo: SloDefinition, tenant: string | null, at: number) {
    const rows = await rollups.windowSums(slo.indicator, {
      tenant,
      windowsMs: windows.get(slo.name) ?? [],
      now: at,
      ...sliceOf(slo),
    })
    return new Map(rows.map((row) => [row.tenant, evaluateSlo(slo, row.windows, at, tiersOf(slo))]))
  }
  const statusWithoutTraffic = (slo: SloDefinition, at: number) => evaluateSlo(slo, [], at, tiersOf(slo))

  return {
    slos,
    statusesByTenant,
    statusWithoutTraffic,

    // Every declared SLO has a status for every tenant (a full budget without traffic).
    has: (_tenant, name) => byName.has(name),

    async statuses(tenant) {
      const at = now()
      if (!rollups.windowSumsOfEach) {
        return Promise.all(
          slos.map(
            async (slo) =>
              (await statusesByTenant(slo, tenant, at)).get(tenant) ?? statusWithoutTraffic(slo, at),
          ),
        )
      }
      // Every SLO's windows in one read: a page shows them all at once.
      const answers = await rollups.windowSumsOfEach(
        slos.map((slo) => ({
          indicator: slo.indicator,
          query: { tenant, windowsMs: windows.get(slo.name) ?? [], now: at, ...sliceOf(slo) },
        })),
      )
      return slos.map((slo, i) => {
        const row = answers[i]?.find((answer) => answer.tenant === tenant)
        return row ? evaluateSlo(slo, row.windows, at, tiersOf(slo)) : statusWithoutTraffic(slo, at)
      })
    },

    async burnRateSeries(tenant, name, range) {
      const slo = sloNamed(name)
      const points = await rollups.burnRateCounts(slo.indicator, {
        tenant,
        from: range.from,
        to: range.to,
        stepMs: range.stepMs,
        windowMs: range.windowMs ?? DEFAULT_SERIES_WINDOW_MS,
        ...sliceOf(slo),
      })
      return points.map(
        (point): BurnRatePoint => ({
          ts: point.ts,
          burnRate: burnRate(Math.min(Math.max(0, point.bad), point.total), point.total, slo.objective),
        }),
      )
    },

    async budgetBurnDown(tenant, name) {
      const slo = sloNamed(name)
      const to = Math.floor(now() / MINUTE_MS) * MINUTE_MS
      const from = to - slo.windowMs
      const stepMs = burnDownStepMs(slo.windowMs)
      // A sliding window as long as the step makes each sample one step's own counts.
      const steps = await rollups.burnRateCounts(slo.indicator, {
        tenant,
        from: from + stepMs,
        to,
        stepMs,
        windowMs: stepMs,
        ...sliceOf(slo),
      })
      return budgetBurnDown(slo, from, stepMs, steps)
    },
  }
}
