import type { ClickHouseClient } from '@clickhouse/client'
import { StoreError } from './errors.ts'

/**
 * The rollups SLOs read, each with its counter columns in a fixed order (see
 * `sql/0002_rollups_1m.sql`). This map is the only source of table and column names in the SLO
 * queries: callers pick a rollup by key and weight counters by name, and both are checked here.
 */
export const sloRollupTables = {
  auth: { table: 'auth_rollup_1m', counters: ['attempts', 'successes', 'user_failures', 'system_failures'] },
  mtls: { table: 'mtls_rollup_1m', counters: ['handshakes', 'successes', 'failures', 'plaintext'] },
  decision: {
    table: 'decision_rollup_1m',
    counters: ['decisions', 'allows', 'denies', 'errors', 'dry_run_denies'],
  },
  flow: { table: 'flow_rollup_1m', counters: ['flows', 'blocked'] },
} as const

/** A rollup an SLO query can read: `auth`, `mtls`, `decision`, `flow`. */
export type SloRollup = keyof typeof sloRollupTables

/** The ratio an SLO measures: weights per counter of one rollup, e.g. bad `{system_failures: 1}`, total `{attempts: 1}`. */
export interface SloRatioSelector {
  rollup: SloRollup
  /** Only this service's rows; `undefined` sums every service. */
  service?: string
  bad: Readonly<Record<string, number>>
  total: Readonly<Record<string, number>>
  /**
   * Count time slices instead of events (OpenSLO `Timeslices`): per slice of `windowMs` (whole
   * minutes, aligned to the epoch) the sums decide one bad (good/total below `target`) or one good
   * slice; slices without traffic count as neither. A window counts the slices that start in it.
   */
  timeSlice?: { windowMs: number; target: number }
}

/** Inputs of {@link querySloWindows}. */
export interface SloWindowQuery extends SloRatioSelector {
  /** One tenant, or `null` for every tenant with rows in the longest window (the evaluator's sweep). */
  tenant: string | null
  /** Window lengths in ms, whole minutes (e.g. 300_000 for 5m). */
  windowsMs: readonly number[]
  /** End of every window, epoch ms; floored to the minute, so windows hold complete minutes only. */
  now: number
}

/** Counter sums of one tenant over each requested window, in the order requested. */
export interface SloWindowRow {
  tenant: string
  windows: { windowMs: number; bad: number; total: number; firstMinute?: number }[]
}

/** Inputs of {@link queryBurnRateSeries}. */
export interface BurnRateSeriesQuery extends SloRatioSelector {
  tenant: string
  /** First and last sample (window end), epoch ms; floored to the minute. */
  from: number
  to: number
  /** Between samples, ms; rounded up to whole minutes. At most 10,000 samples. */
  stepMs: number
  /** Sliding window each sample sums, ms, whole minutes (1h is the usual chart). */
  windowMs: number
}

/** One sample of a burn-rate series: sums over [ts - windowMs, ts). */
export interface BurnRateSeriesPoint {
  ts: number
  bad: number
  total: number
}

const MINUTE_MS = 60_000
const MAX_POINTS = 10_000
/** `first` of a window without traffic: the largest UInt32. */
const NO_MINUTE = 4_294_967_295

function invalid(message: string): StoreError {
  return new StoreError('SLO_QUERY_INVALID', message, { retriable: false })
}

/** The table, its counters as an SQL array literal, and the bad/total weights aligned to them. */
function resolveRatio(selector: SloRatioSelector) {
  if (!Object.hasOwn(sloRollupTables, selector.rollup)) throw invalid(`unknown rollup "${selector.rollup}"`)
  const { table, counters } = sloRollupTables[selector.rollup]
  const known: readonly string[] = counters
  const weights = (side: 'bad' | 'total') => {
    for (const name of Object.keys(selector[side])) {
      if (!known.includes(name)) throw invalid(`unknown counter "${name}" of rollup ${selector.rollup}`)
    }
    return known.map((name) => Math.trunc(selector[side][name] ?? 0))
  }
  // Column names come from the fixed map above, never from the caller; toInt64 so that negative
  // weights (total - good) do not wrap around in UInt64 arithmetic.
  const columns = `[${known.map((name) => `toInt64(${name})`).join(', ')}]`
  return { table, columns, bad: weights('bad'), total: weights('total') }
}

/**
 * The rows a window sums: per tenant and minute, `row_bad` and `row_total` events; or, with a time
 * slice, per tenant and slice (its start in `minute`), 1/0 bad slice and 1/0 slice with traffic.
 * `where` filters the rollup rows (parameters only).
 */
function windowRows(
  ratio: ReturnType<typeof resolveRatio>,
  timeSlice: SloRatioSelector['timeSlice'],
  where: string,
): { sql: string; params: Record<string, unknown> } {
  const weighted = (side: 'bad' | 'total') =>
    `arraySum(arrayMap((weight, n) -> weight * n, {${side}_weights:Array(Int64)}, ${ratio.columns}))`
  if (!timeSlice)
    return {
      sql: `SELECT tenant, minute, ${weighted('bad')} AS row_bad, ${weighted('total')} AS row_total
            FROM {table:Identifier} WHERE ${where}`,
      params: {},
    }
  checkWindow(timeSlice.windowMs, 'timeSlice.windowMs')
  if (!(timeSlice.target > 0 && timeSlice.target <= 1)) throw invalid('timeSlice.target must be in (0, 1]')
  // good < target × total, with a tolerance so that 99 of 100 meets a 0.99 target despite binary floats.
  return {
    sql: `SELECT tenant, slice AS minute,
                 toInt64(slice_total > 0 AND slice_total - slice_bad < slice_total * {slice_target:Float64} - 1e-9) AS row_bad,
                 toInt64(slice_total > 0) AS row_total
          FROM (
            SELECT tenant, toStartOfInterval(minute, toIntervalSecond({slice:UInt32})) AS slice,
                   sum(${weighted('bad')}) AS slice_bad, sum(${weighted('total')}) AS slice_total
            FROM {table:Identifier} WHERE ${where}
            GROUP BY tenant, slice
          )`,
    params: { slice: timeSlice.windowMs / 1000, slice_target: timeSlice.target },
  }
}

function checkWindow(ms: number, what: string): void {
  if (!Number.isInteger(ms) || ms < MINUTE_MS || ms % MINUTE_MS !== 0) {
    throw invalid(`${what} must be a whole number of minutes in ms, got ${ms}`)
  }
}

async function run<T>(
  client: ClickHouseClient,
  query: string,
  params: Record<string, unknown>,
): Promise<T[]> {
  try {
    const result = await client.query({
      query,
      query_params: params,
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    })
    return await result.json<T>()
  } catch (error) {
    throw new StoreError('QUERY_FAILED', `SLO query failed: ${(error as Error)?.message ?? error}`, {
      retriable: true,
      cause: error,
    })
  }
}

/**
 * Sum an SLO's bad and total counters over several windows ending at `now`, for one tenant or for
 * every tenant, in ONE scan of the rollup: each window is a `-ForEach` sum of rows with
 * `minute >= now - window`. A window of 5m ending at 12:00 covers the minutes [11:55, 12:00).
 * Rows are summed, not read one by one, because AggregatingMergeTree rows are not merged yet.
 * A tenant without rows in the longest window is absent from the result.
 */
export async function querySloWindows(
  client: ClickHouseClient,
  query: SloWindowQuery,
): Promise<SloWindowRow[]> {
  if (query.windowsMs.length === 0) return []
  for (const windowMs of query.windowsMs) checkWindow(windowMs, 'window')
  const ratio = resolveRatio(query)
  const endS = Math.floor(query.now / MINUTE_MS) * 60
  const windowsS = query.windowsMs.map((ms) => ms / 1000)
  const rows = windowRows(
    ratio,
    query.timeSlice,
    `({all_tenants:Bool} OR tenant = {tenant:String})
       AND ({service:String} = '' OR service = {service:String})
       AND minute >= toDateTime({start:Int64}, 'UTC') AND minute < toDateTime({end:Int64}, 'UTC')`,
  )
  const found = await run<{ tenant: string; bad: number[]; total: number[]; first?: number[] }>(
    client,
    `SELECT tenant,
            sumForEach(arrayMap(w -> if(minute >= window_end - w, row_bad, 0), {windows:Array(UInt32)})) AS bad,
            sumForEach(arrayMap(w -> if(minute >= window_end - w, row_total, 0), {windows:Array(UInt32)})) AS total,
            -- The first minute with traffic in each window (4294967295 when none): how much of a
            -- window the data covers, so a 30-day budget read from 8 hours can say so.
            minForEach(arrayMap(w -> if(minute >= window_end - w AND row_total != 0, toUInt32(minute), 4294967295), {windows:Array(UInt32)})) AS first
     FROM (
       SELECT *, toDateTime({end:Int64}, 'UTC') AS window_end FROM (${rows.sql})
     )
     GROUP BY tenant
     ORDER BY tenant`,
    {
      table: ratio.table,
      windows: windowsS,
      bad_weights: ratio.bad,
      total_weights: ratio.total,
      all_tenants: query.tenant === null,
      tenant: query.tenant ?? '',
      service: query.service ?? '',
      start: endS - Math.max(...windowsS),
      end: endS,
      ...rows.params,
    },
  )
  return found.map((row) => ({
    tenant: row.tenant,
    windows: query.windowsMs.map((windowMs, i) => {
      const first = Number(row.first?.[i] ?? NO_MINUTE)
      return {
        windowMs,
        bad: Number(row.bad[i] ?? 0),
        total: Number(row.total[i] ?? 0),
        ...(first < NO_MINUTE ? { firstMinute: first * 1000 } : {}),
      }
    }),
  }))
}

/**
 * Bad and total sums over a sliding window sampled every `stepMs` from `from` to `to`, computed in
 * SQL: each minute row is sent (ARRAY JOIN) to the samples whose window [ts - window, ts) holds it,
 * then summed per sample, so the cost is rows × window/step. Samples without traffic are 0/0.
 */
export async function queryBurnRateSeries(
  client: ClickHouseClient,
  query: BurnRateSeriesQuery,
): Promise<BurnRateSeriesPoint[]> {
  checkWindow(query.windowMs, 'windowMs')
  const ratio = resolveRatio(query)
  const fromS = Math.floor(query.from / MINUTE_MS) * 60
  const toS = Math.floor(query.to / MINUTE_MS) * 60
  const stepS = Math.max(1, Math.ceil(query.stepMs / MINUTE_MS)) * 60
  if (!(toS >= fromS)) throw invalid(`from (${query.from}) must not be after to (${query.to})`)
  const points = Math.floor((toS - fromS) / stepS) + 1
  if (points > MAX_POINTS)
    throw invalid(`${points} samples requested; at most ${MAX_POINTS}: use a larger step`)
  const windowS = query.windowMs / 1000
  const source = windowRows(
    ratio,
    query.timeSlice,
    `tenant = {tenant:String}
       AND ({service:String} = '' OR service = {service:String})
       AND minute >= toDateTime({from:Int64} - {window:Int64}, 'UTC') AND minute < toDateTime({to:Int64}, 'UTC')`,
  )
  const rows = await run<{ k: number; bad: number; total: number }>(
    client,
    `SELECT k, sum(row_bad) AS bad, sum(row_total) AS total
     FROM (
       SELECT toInt64(toUnixTimestamp(minute)) AS m, row_bad, row_total FROM (${source.sql})
     )
     -- Sample k ends at from + k*step; minute m is in its window when m < end <= m + window.
     ARRAY JOIN range(
       toUInt64(greatest(0, toInt64(floor((m - {from:Int64}) / {step:Int64})) + 1)),
       toUInt64(greatest(0, least({points:Int64} - 1, toInt64(floor((m + {window:Int64} - {from:Int64}) / {step:Int64}))) + 1))
     ) AS k
     GROUP BY k`,
    {
      table: ratio.table,
      bad_weights: ratio.bad,
      total_weights: ratio.total,
      tenant: query.tenant,
      service: query.service ?? '',
      from: fromS,
      to: toS,
      step: stepS,
      window: windowS,
      points,
      ...source.params,
    },
  )
  const byIndex = new Map(rows.map((row) => [Number(row.k), row]))
  return Array.from({ length: points }, (_, k) => {
    const row = byIndex.get(k)
    return { ts: (fromS + k * stepS) * 1000, bad: Number(row?.bad ?? 0), total: Number(row?.total ?? 0) }
  })
}
