import type { ClickHouseClient } from '@clickhouse/client'
import { StoreError } from './errors.ts'

/**
 * The rollups SLOs read, each with its counter columns in a fixed order (see
 * `sql/0002_rollups_1m.sql` and `sql/0011_perimeter_slis.sql`), and its hourly twin with the same
 * counters (`sql/0018_…`). This map is the only source of table and column names in the SLO
 * queries: callers pick a rollup by key and weight counters by name, and both are checked here.
 */
export const sloRollupTables = {
  auth: {
    table: 'auth_rollup_1m',
    hourly: 'auth_rollup_1h',
    counters: ['attempts', 'successes', 'user_failures', 'system_failures'],
  },
  mtls: {
    table: 'mtls_rollup_1m',
    hourly: 'mtls_rollup_1h',
    counters: ['handshakes', 'successes', 'failures', 'plaintext'],
  },
  decision: {
    table: 'decision_rollup_1m',
    hourly: 'decision_rollup_1h',
    counters: ['decisions', 'allows', 'denies', 'errors', 'dry_run_denies'],
  },
  flow: { table: 'flow_rollup_1m', hourly: 'flow_rollup_1h', counters: ['flows', 'blocked'] },
  decision_sli: {
    table: 'decision_sli_rollup_1m',
    hourly: 'decision_sli_rollup_1h',
    counters: [
      'decisions',
      'timed',
      'under_10ms',
      'under_25ms',
      'under_50ms',
      'under_100ms',
      'under_250ms',
      'under_1000ms',
      'cache_lookups',
      'cache_hits',
      'with_request_id',
      'allows',
      'false_denies',
    ],
  },
  policy_change: {
    table: 'policy_change_rollup_1m',
    hourly: 'policy_change_rollup_1h',
    counters: ['changes', 'rollouts', 'failed_rollouts', 'rollbacks', 'out_of_band', 'dry_runs'],
  },
  flow_sli: {
    table: 'flow_sli_rollup_1m',
    hourly: 'flow_sli_rollup_1h',
    counters: ['flows', 'with_identity', 'egress', 'egress_blocked'],
  },
  egress: { table: 'egress_rollup_1m', hourly: 'egress_rollup_1h', counters: ['attempts', 'blocked'] },
  finding: {
    table: 'finding_rollup_1m',
    hourly: 'finding_rollup_1h',
    counters: ['findings', 'within_10s', 'within_60s', 'within_5m', 'within_15m'],
  },
  token: {
    table: 'token_rollup_1m',
    hourly: 'token_rollup_1h',
    counters: ['token_events', 'grants', 'refreshes', 'failed_refreshes', 'revocations', 'accepted_uses'],
  },
  revoked_use: {
    table: 'revoked_use_rollup_1m',
    hourly: 'revoked_use_rollup_1h',
    counters: ['uses_after_revoke', 'uses_after_30s', 'uses_after_5m'],
  },
  posture: {
    table: 'posture_rollup_1m',
    hourly: 'posture_rollup_1h',
    counters: ['checks', 'passes', 'failures', 'unknown'],
  },
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
  /**
   * Egress rollup only: leave out rows whose destination address falls in one of these ranges on
   * one of its ports (none: any port), i.e. the egress intent declares.
   */
  excludeDestinations?: readonly { cidr: string; ports?: readonly number[]; except?: readonly string[] }[]
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
/**
 * Threads of an SLO query: it sums a few thousand rollup rows (whole hours and the minutes at the
 * windows' ends), where a parallel pipeline costs more to start than it saves, and a page asks for
 * every SLO at once. In the statement's own SETTINGS: on the embedded engine a per-query setting
 * is a session-wide SET that would outlive the query.
 */
const SMALL_READ_THREADS = 1
/** `first` of a window without traffic: the largest UInt32. */
const NO_MINUTE = 4_294_967_295

function invalid(message: string): StoreError {
  return new StoreError('SLO_QUERY_INVALID', message, { retriable: false })
}

/** The tables, the bad and total sums of one rollup row as SQL (weights as parameters), the filter. */
function resolveRatio(selector: SloRatioSelector) {
  if (!Object.hasOwn(sloRollupTables, selector.rollup)) throw invalid(`unknown rollup "${selector.rollup}"`)
  const { table, hourly, counters } = sloRollupTables[selector.rollup]
  const all: readonly string[] = counters
  for (const side of ['bad', 'total'] as const) {
    for (const name of Object.keys(selector[side])) {
      if (!all.includes(name)) throw invalid(`unknown counter "${name}" of rollup ${selector.rollup}`)
    }
  }
  // Only the counters the ratio weighs are read: a column not named is never decompressed.
  const weighed = all.filter(
    (name) => Math.trunc(selector.bad[name] ?? 0) !== 0 || Math.trunc(selector.total[name] ?? 0) !== 0,
  )
  const known = weighed.length > 0 ? weighed : all.slice(0, 1)
  // Each side a sum of products (`toInt64(failures) * {bad_weight_1:Int64} + …`) of the counters it
  // weighs: plain arithmetic plans faster than a lambda over arrays. Column names come from the
  // fixed map above, never from the caller; toInt64 so that negative weights (total - good) do not
  // wrap around in UInt64 arithmetic.
  const weightParams: Record<string, number> = {}
  const weightedSide = (side: 'bad' | 'total') => {
    const terms = known.flatMap((name, i) => {
      const weight = Math.trunc(selector[side][name] ?? 0)
      if (weight === 0) return []
      weightParams[`${side}_weight_${i}`] = weight
      return [`toInt64(${name}) * {${side}_weight_${i}:Int64}`]
    })
    return terms.length === 0 ? 'toInt64(0)' : `(${terms.join(' + ')})`
  }
  const weighted = { bad: weightedSide('bad'), total: weightedSide('total') }
  const excluded = selector.excludeDestinations ?? []
  if (excluded.length > 0 && selector.rollup !== 'egress')
    throw invalid(`excludeDestinations applies to the egress rollup only, not ${selector.rollup}`)
  // Declared destinations: a row is left out when its address is in a range on one of its ports.
  const filter =
    excluded.length === 0
      ? ''
      : ` AND NOT arrayExists((c, p, x) -> isIPAddressInRange(dst_ip, c) AND (empty(p) OR has(p, server_port))
                                      AND NOT arrayExists(e -> isIPAddressInRange(dst_ip, e), x),
                              {excluded_cidrs:Array(String)}, {excluded_ports:Array(Array(UInt16))},
                              {excluded_except:Array(Array(String))})`
  const filterParams =
    excluded.length === 0
      ? {}
      : {
          excluded_cidrs: excluded.map((range) => range.cidr),
          excluded_ports: excluded.map((range) => [...(range.ports ?? [])]),
          excluded_except: excluded.map((range) => [...(range.except ?? [])]),
        }
  return { table, hourly, weighted, weightParams, filter, filterParams }
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
  const weighted = (side: 'bad' | 'total') => ratio.weighted[side]
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

const HOUR_S = 3600

/**
 * Where a window's rows come from when it reads the hourly rollup: the whole hours of each window
 * `[hour_starts[i], tail)` from the hourly table, and from the minute table only the minutes outside
 * them, the head `[starts[i], hour_starts[i])` of each window and the tail `[tail, end)` of the
 * current hour. All in epoch seconds; `minuteRanges` are those minutes merged, ascending.
 */
export function sloWindowTiers(endS: number, windowsS: readonly number[]) {
  const tail = Math.floor(endS / HOUR_S) * HOUR_S
  const starts = windowsS.map((windowS) => endS - windowS)
  const hourStarts = starts.map((start) => Math.ceil(start / HOUR_S) * HOUR_S)
  const pieces: [number, number][] = [[tail, endS]]
  for (const [i, start] of starts.entries()) {
    const hourStart = hourStarts[i] ?? start
    // A window shorter than the current hour reads minutes only.
    pieces.push(hourStart <= tail ? [start, hourStart] : [start, endS])
  }
  pieces.sort((a, b) => a[0] - b[0])
  const minuteRanges: [number, number][] = []
  for (const [from, to] of pieces) {
    if (to <= from) continue
    const last = minuteRanges.at(-1)
    if (last && from <= last[1]) last[1] = Math.max(last[1], to)
    else minuteRanges.push([from, to])
  }
  return { tail, starts, hourStarts, firstHour: Math.min(tail, ...hourStarts), minuteRanges }
}

/** Windows over whole hours of the hourly rollup and the minutes at their ends (see {@link sloWindowTiers}). */
function tieredWindows(
  ratio: ReturnType<typeof resolveRatio>,
  scope: string,
  endS: number,
  windowsS: readonly number[],
): { sql: string; params: Record<string, unknown> } {
  const tiers = sloWindowTiers(endS, windowsS)
  const weighted = (side: 'bad' | 'total') => ratio.weighted[side]
  // The minutes read: the current hour's (the tail) and those of the hour holding each window's
  // start (its head), as one array parameter rather than one OR'd range each, which the planner
  // took longer over than the read itself. The per-row test below decides which window counts what.
  const headHours = new Set<number>()
  for (const [from, to] of tiers.minuteRanges)
    for (let hour = Math.floor(from / HOUR_S) * HOUR_S; hour < Math.min(to, tiers.tail); hour += HOUR_S)
      headHours.add(hour)
  const minutes = `minute >= toDateTime({minutes_from:Int64}, 'UTC') AND minute < toDateTime({end:Int64}, 'UTC')
         AND (minute >= toDateTime({tail:Int64}, 'UTC')
              OR has({head_hours:Array(Int64)}, toInt64(toUnixTimestamp(toStartOfHour(minute)))))`
  const ranges = { minutes_from: Math.min(endS, ...tiers.starts), head_hours: [...headHours] }
  // Hour rows count for a window from its first whole hour; minute rows only outside its whole hours.
  const inWindow = 'if(hourly, t >= hour_start, t >= start AND (t < hour_start OR t >= {tail:Int64}))'
  const perWindow = (value: string, otherwise: string) =>
    `arrayMap((start, hour_start) -> if(${inWindow}, ${value}, ${otherwise}), {starts:Array(Int64)}, {hour_starts:Array(Int64)})`
  return {
    sql: `SELECT tenant,
            sumForEach(${perWindow('row_bad', '0')}) AS bad,
            sumForEach(${perWindow('row_total', '0')}) AS total,
            -- The first minute with traffic in each window (4294967295 when none): how much of a
            -- window the data covers, so a 30-day budget read from 8 hours can say so.
            minForEach(${perWindow('if(row_total != 0, first, 4294967295)', '4294967295')}) AS first
     FROM (
       SELECT tenant, toInt64(toUnixTimestamp(minute)) AS t, false AS hourly, toUInt32(minute) AS first,
              ${weighted('bad')} AS row_bad, ${weighted('total')} AS row_total
       FROM {table:Identifier}
       WHERE ${scope} AND (${minutes})${ratio.filter}
       UNION ALL
       SELECT tenant, toInt64(toUnixTimestamp(hour)) AS t, true AS hourly, toUInt32(first_minute) AS first,
              ${weighted('bad')} AS row_bad, ${weighted('total')} AS row_total
       FROM {hourly:Identifier}
       WHERE ${scope}
         AND hour >= toDateTime({first_hour:Int64}, 'UTC') AND hour < toDateTime({tail:Int64}, 'UTC')${ratio.filter}
     )
     GROUP BY tenant
     ORDER BY tenant`,
    params: {
      table: ratio.table,
      hourly: ratio.hourly,
      starts: tiers.starts,
      hour_starts: tiers.hourStarts,
      tail: tiers.tail,
      first_hour: tiers.firstHour,
      ...ranges,
    },
  }
}

/** Windows of time slices, from the minute rollup (slices are whole minutes, not hours). */
function slicedWindows(
  ratio: ReturnType<typeof resolveRatio>,
  timeSlice: NonNullable<SloRatioSelector['timeSlice']>,
  scope: string,
  endS: number,
  windowsS: readonly number[],
): { sql: string; params: Record<string, unknown> } {
  const rows = windowRows(
    ratio,
    timeSlice,
    `${scope}
       AND minute >= toDateTime({start:Int64}, 'UTC') AND minute < toDateTime({end:Int64}, 'UTC')${ratio.filter}`,
  )
  return {
    sql: `SELECT tenant,
            sumForEach(arrayMap(w -> if(minute >= window_end - w, row_bad, 0), {windows:Array(UInt32)})) AS bad,
            sumForEach(arrayMap(w -> if(minute >= window_end - w, row_total, 0), {windows:Array(UInt32)})) AS total,
            minForEach(arrayMap(w -> if(minute >= window_end - w AND row_total != 0, toUInt32(minute), 4294967295), {windows:Array(UInt32)})) AS first
     FROM (
       SELECT *, toDateTime({end:Int64}, 'UTC') AS window_end FROM (${rows.sql})
     )
     GROUP BY tenant
     ORDER BY tenant`,
    params: { table: ratio.table, windows: windowsS, start: endS - Math.max(...windowsS), ...rows.params },
  }
}

/** The one statement of {@link querySloWindows} (no SETTINGS clause), or none when no window is asked. */
function sloWindowsStatement(
  query: SloWindowQuery,
): { sql: string; params: Record<string, unknown> } | undefined {
  if (query.windowsMs.length === 0) return undefined
  for (const windowMs of query.windowsMs) checkWindow(windowMs, 'window')
  const ratio = resolveRatio(query)
  const endS = Math.floor(query.now / MINUTE_MS) * 60
  const windowsS = query.windowsMs.map((ms) => ms / 1000)
  const common = {
    ...ratio.weightParams,
    tenant: query.tenant ?? '',
    service: query.service ?? '',
    end: endS,
    ...ratio.filterParams,
  }
  // Only the conditions that filter (the statement's shape follows the query's, values are parameters).
  const scope =
    [
      ...(query.tenant === null ? [] : ['tenant = {tenant:String}']),
      ...(query.service ? ['service = {service:String}'] : []),
    ].join(' AND ') || 'true'
  const windows = query.timeSlice
    ? slicedWindows(ratio, query.timeSlice, scope, endS, windowsS)
    : tieredWindows(ratio, scope, endS, windowsS)
  return { sql: windows.sql, params: { ...common, ...windows.params } }
}

type SloWindowAnswer = { tenant: string; bad: number[]; total: number[]; first?: number[] }

function windowRowsOf(query: SloWindowQuery, found: SloWindowAnswer[]): SloWindowRow[] {
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
 * Sum an SLO's bad and total counters over several windows ending at `now`, for one tenant or for
 * every tenant, in ONE query: each window is a `-ForEach` sum of rows. A window of 5m ending at
 * 12:00 covers the minutes [11:55, 12:00). Windows read their whole hours from the hourly rollup
 * and only their ends from the minute rollup ({@link sloWindowTiers}), so a 30-day window sums
 * about 720 rows per service, not 43,200; an SLO budgeted by time slices reads minutes (its slices
 * are minutes). Rows are summed, not read one by one, because AggregatingMergeTree rows are not
 * merged yet. A tenant without rows in the longest window is absent from the result.
 */
export async function querySloWindows(
  client: ClickHouseClient,
  query: SloWindowQuery,
): Promise<SloWindowRow[]> {
  const [rows] = await querySloWindowsOfEach(client, [query])
  return rows ?? []
}

/**
 * {@link querySloWindows} for several SLOs in one statement (their queries side by side, `UNION
 * ALL`, each with its own parameters): a page that shows every SLO pays for one round trip and one
 * pipeline, not one per SLO. Answers in the order of `queries`.
 */
export async function querySloWindowsOfEach(
  client: ClickHouseClient,
  queries: readonly SloWindowQuery[],
): Promise<SloWindowRow[][]> {
  const parts: string[] = []
  const params: Record<string, unknown> = {}
  for (const [i, query] of queries.entries()) {
    const statement = sloWindowsStatement(query)
    if (!statement) continue
    // Each query's parameters under its own prefix; names come from this file, never from input.
    parts.push(
      `SELECT ${i} AS query_index, tenant, bad, total, first FROM (${statement.sql.replace(/\{([a-z][a-z0-9_]*):/g, `{q${i}_$1:`)})`,
    )
    for (const [name, value] of Object.entries(statement.params)) params[`q${i}_${name}`] = value
  }
  if (parts.length === 0) return queries.map(() => [])
  // One tenant's page reads a few thousand rows: one thread. The evaluator's sweep over every
  // tenant grows with tenants and services, and keeps the engine's threads.
  const oneTenant = queries.every((query) => query.tenant !== null)
  const found = await run<SloWindowAnswer & { query_index: number }>(
    client,
    `SELECT * FROM (${parts.join('\nUNION ALL\n')})
     ORDER BY query_index, tenant${oneTenant ? `\n     SETTINGS max_threads = ${SMALL_READ_THREADS}` : ''}`,
    params,
  )
  return queries.map((query, i) =>
    windowRowsOf(
      query,
      found.filter((row) => Number(row.query_index) === i),
    ),
  )
}
/**
 * Most hour ranges a series reads from the hourly rollup; past this (samples so many that their
 * windows cut the span into more pieces) it reads minutes only. A budget burn-down has 120 steps:
 * 120 ranges.
 */
const MAX_HOUR_RANGES = 200

/** Sorted, non-overlapping `[from, to)` ranges from any ranges. */
function mergeRanges(ranges: [number, number][]): [number, number][] {
  const merged: [number, number][] = []
  for (const [from, to] of [...ranges].sort((a, b) => a[0] - b[0])) {
    if (to <= from) continue
    const last = merged.at(-1)
    if (last && from <= last[1]) last[1] = Math.max(last[1], to)
    else merged.push([from, to])
  }
  return merged
}

/**
 * Where a sliding-window series reads its rows (epoch seconds): an hour can come from the hourly
 * rollup when no sample's window starts or ends inside it (then all its minutes fall in the same
 * samples); every other minute from the minute rollup. A budget burn-down (30 days in 6-hour
 * steps) reads 5 of every 6 hours whole; a 1-hour window every few minutes reads minutes only.
 */
export function burnRateTiers(fromS: number, toS: number, stepS: number, windowS: number, points: number) {
  const start = fromS - windowS
  const firstHour = Math.ceil(start / HOUR_S) * HOUR_S
  const lastHour = Math.floor(toS / HOUR_S) * HOUR_S
  const minutesOnly = { hourRanges: [] as [number, number][], minuteRanges: mergeRanges([[start, toS]]) }
  if (lastHour <= firstHour) return minutesOnly
  const split = new Set<number>()
  for (let k = 0; k < points; k++) {
    for (const boundary of [fromS + k * stepS, fromS + k * stepS - windowS]) {
      if (boundary % HOUR_S !== 0) split.add(Math.floor(boundary / HOUR_S) * HOUR_S)
    }
  }
  const hours: [number, number][] = []
  const minutes: [number, number][] = [
    [start, firstHour],
    [lastHour, toS],
  ]
  for (let hour = firstHour; hour < lastHour; hour += HOUR_S) {
    if (split.has(hour)) minutes.push([hour, hour + HOUR_S])
    else hours.push([hour, hour + HOUR_S])
  }
  const hourRanges = mergeRanges(hours)
  if (hourRanges.length > MAX_HOUR_RANGES) return minutesOnly
  return { hourRanges, minuteRanges: mergeRanges(minutes) }
}

/**
 * The rows a series sums, from {@link burnRateTiers}: minute rows, then whole-hour rows, each with
 * its first and last minute. The hours read whole are one array parameter, not one condition per
 * range: a budget burn-down has about 120 of each, and a statement with a few hundred OR'd ranges
 * took longer to plan than to run. The minute rows are those of the series' span whose hour is not
 * read whole (the span's partial hours and the hours a sample's window cuts).
 */
function tieredSeriesRows(
  ratio: ReturnType<typeof resolveRatio>,
  scope: string,
  tiers: ReturnType<typeof burnRateTiers>,
): { sql: string; params: Record<string, unknown> } {
  const weighted = (side: 'bad' | 'total') => ratio.weighted[side]
  const hours = tiers.hourRanges.flatMap(([from, to]) =>
    Array.from({ length: (to - from) / HOUR_S }, (_, i) => from + i * HOUR_S),
  )
  const spanFrom = Math.min(...[...tiers.minuteRanges, ...tiers.hourRanges].map(([from]) => from))
  const spanTo = Math.max(...[...tiers.minuteRanges, ...tiers.hourRanges].map(([, to]) => to))
  const minuteRows = `SELECT toInt64(toUnixTimestamp(minute)) AS m_first, m_first AS m_last,
            ${weighted('bad')} AS row_bad, ${weighted('total')} AS row_total
     FROM {table:Identifier}
     WHERE ${scope}
       AND minute >= toDateTime({span_from:Int64}, 'UTC') AND minute < toDateTime({span_to:Int64}, 'UTC')
       AND NOT has({whole_hours:Array(Int64)}, toInt64(toUnixTimestamp(toStartOfHour(minute))))${ratio.filter}`
  const hourRows = `SELECT toInt64(toUnixTimestamp(hour)) AS m_first, m_first + 3540 AS m_last,
            ${weighted('bad')} AS row_bad, ${weighted('total')} AS row_total
     FROM {hourly:Identifier}
     WHERE ${scope}
       AND hour >= toDateTime({span_from:Int64}, 'UTC') AND hour < toDateTime({span_to:Int64}, 'UTC')
       AND has({whole_hours:Array(Int64)}, toInt64(toUnixTimestamp(hour)))${ratio.filter}`
  return {
    sql: hours.length === 0 ? minuteRows : `${minuteRows}\n     UNION ALL\n     ${hourRows}`,
    params: { span_from: spanFrom, span_to: spanTo, whole_hours: hours },
  }
}

/**
 * Bad and total sums over a sliding window sampled every `stepMs` from `from` to `to`, computed in
 * SQL: each minute row is sent (ARRAY JOIN) to the samples whose window [ts - window, ts) holds it,
 * then summed per sample, so the cost is rows × window/step. Hours that no sample's window cuts are
 * read from the hourly rollup ({@link burnRateTiers}). Samples without traffic are 0/0.
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
  const scope = `tenant = {tenant:String}${query.service ? ' AND service = {service:String}' : ''}`
  const source = query.timeSlice
    ? windowRows(
        ratio,
        query.timeSlice,
        `${scope} AND minute >= toDateTime({from:Int64} - {window:Int64}, 'UTC') AND minute < toDateTime({to:Int64}, 'UTC')${ratio.filter}`,
      )
    : tieredSeriesRows(ratio, scope, burnRateTiers(fromS, toS, stepS, windowS, points))
  // Sample k ends at from + k*step; a row of minutes [first, last] is in its window when
  // last < end <= first + window (a minute row: first = last; an hour row: its first and last minute).
  const rows = await run<{ k: number; bad: number; total: number }>(
    client,
    `SELECT k, sum(row_bad) AS bad, sum(row_total) AS total
     FROM (${query.timeSlice ? `SELECT toInt64(toUnixTimestamp(minute)) AS m_first, m_first AS m_last, row_bad, row_total FROM (${source.sql})` : source.sql})
     ARRAY JOIN range(
       toUInt64(greatest(0, toInt64(floor((m_last - {from:Int64}) / {step:Int64})) + 1)),
       toUInt64(greatest(0, least({points:Int64} - 1, toInt64(floor((m_first + {window:Int64} - {from:Int64}) / {step:Int64}))) + 1))
     ) AS k
     GROUP BY k
     SETTINGS max_threads = ${SMALL_READ_THREADS}`,
    {
      table: ratio.table,
      hourly: ratio.hourly,
      ...ratio.weightParams,
      tenant: query.tenant,
      service: query.service ?? '',
      from: fromS,
      to: toS,
      step: stepS,
      window: windowS,
      points,
      ...source.params,
      ...ratio.filterParams,
    },
  )
  const byIndex = new Map(rows.map((row) => [Number(row.k), row]))
  return Array.from({ length: points }, (_, k) => {
    const row = byIndex.get(k)
    return { ts: (fromS + k * stepS) * 1000, bad: Number(row?.bad ?? 0), total: Number(row?.total ?? 0) }
  })
}
