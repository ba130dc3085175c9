import type { ClickHouseClient } from '@clickhouse/client'
import { HuntRefusedError } from './errors.ts'
import { checkHunt } from './hunt-guard.ts'
import { huntTableExpressions, huntTables } from './hunt-tables.ts'

/** The bounds every hunt runs within; the defaults suit an analyst at a dashboard. */
export interface HuntLimits {
  /** Longest time range, ms (default 31 days: the raw tables keep 30). */
  maxRangeMs: number
  /** Most rows answered (default 1,000; an export may ask up to `maxRowsCap`). */
  maxRows: number
  /** Ceiling on `maxRows` a caller may ask for (default 10,000). */
  maxRowsCap: number
  /** Most rows read from storage before the hunt is stopped (default 50 M): no scan grows with the data. */
  maxRowsToRead: number
  /** Longest run, seconds (default 10). */
  maxExecutionSeconds: number
  /** Most memory one hunt may hold, bytes (default 1 GiB). */
  maxMemoryBytes: number
}

/** Defaults of {@link HuntLimits}. */
export const defaultHuntLimits: HuntLimits = {
  maxRangeMs: 31 * 24 * 3600_000,
  maxRows: 1_000,
  maxRowsCap: 10_000,
  maxRowsToRead: 50_000_000,
  maxExecutionSeconds: 10,
  maxMemoryBytes: 1024 ** 3,
}

/** Keep the result rows whose column `column` reads `value` (as text): a pivot's "filter". */
export interface HuntFilter {
  column: string
  value: string
}

/** One hunt to run for the signed-in tenant. */
export interface HuntRequest {
  tenant: string
  /** The analyst's SELECT over the hunt tables. */
  query: string
  /** Range start, epoch ms (inclusive); every hunt table is cut to it. */
  from: number
  /** Range end, epoch ms (inclusive). */
  to: number
  filters?: readonly HuntFilter[]
  /** Most rows to answer (default and ceiling from the limits). */
  maxRows?: number
}

/** What a hunt answered. */
export interface HuntResult {
  columns: { name: string; type: string }[]
  /** Row values in column order, as ClickHouse's JSON renders them (64-bit integers as numbers). */
  rows: unknown[][]
  /** Whether more rows matched than were answered. */
  truncated: boolean
  /** The query that ran, as the engine formatted it (before the tenant scoping). */
  canonical: string
  tables: string[]
}

const MAX_FILTERS = 8
// A result column's name (`count()` is one): printable, no backquote; it is bound as an Identifier.
const FILTER_COLUMN = /^[^`\p{Cc}]{1,200}$/u

// Engine errors that are a bound doing its job: say which bound and what to change.
function limitRefusal(error: unknown, limits: HuntLimits): HuntRefusedError | undefined {
  const type = (error as { type?: string })?.type
  switch (type) {
    case 'TOO_MANY_ROWS':
    case 'TOO_MANY_BYTES':
      return new HuntRefusedError(
        'scan',
        `the hunt would read more than ${limits.maxRowsToRead.toLocaleString('en')} rows: narrow the time range or filter on service (the tables are sorted by service and time)`,
        error,
      )
    case 'TIMEOUT_EXCEEDED':
      return new HuntRefusedError(
        'time',
        `the hunt ran longer than ${limits.maxExecutionSeconds} s: narrow it`,
        error,
      )
    case 'MEMORY_LIMIT_EXCEEDED':
      return new HuntRefusedError(
        'memory',
        'the hunt needed more memory than a hunt may use: aggregate less or narrow it',
        error,
      )
    case 'READONLY':
      return new HuntRefusedError('write', 'hunts only read', error)
    default:
      return undefined
  }
}

/**
 * Run a hunt: checked by {@link checkHunt}, then run as
 * `WITH <hunt tables scoped to tenant and range> SELECT * FROM (<the hunt>) [WHERE filters] LIMIT n`
 * with `readonly=1` and the limits as query-level settings (so they hold for this query only, also
 * on chDB's one session). Tenant, range, filters and limit are query parameters.
 * @throws HuntRefusedError when the guard or a bound refuses it, with the reason
 */
export async function runHunt(
  client: ClickHouseClient,
  request: HuntRequest,
  limits: HuntLimits = defaultHuntLimits,
): Promise<HuntResult> {
  if (!(Number.isFinite(request.from) && Number.isFinite(request.to) && request.from <= request.to))
    throw new HuntRefusedError('range', 'a hunt needs a time range: from ≤ to, epoch ms')
  if (request.to - request.from > limits.maxRangeMs)
    throw new HuntRefusedError(
      'range',
      `a hunt covers at most ${Math.round(limits.maxRangeMs / 86_400_000)} days: narrow the time range`,
    )
  const maxRows = Math.min(request.maxRows ?? limits.maxRows, limits.maxRowsCap)
  if (!Number.isInteger(maxRows) || maxRows < 1)
    throw new HuntRefusedError('rows', `rows: 1 to ${limits.maxRowsCap}`)
  const filters = request.filters ?? []
  if (filters.length > MAX_FILTERS) throw new HuntRefusedError('filters', `at most ${MAX_FILTERS} filters`)
  for (const filter of filters)
    if (!FILTER_COLUMN.test(filter.column) || typeof filter.value !== 'string' || filter.value.length > 2_000)
      throw new HuntRefusedError('filters', `filter on "${filter.column}": not a column name and text value`)
  const checked = await checkHunt(client, request.query)
  const params: Record<string, unknown> = {
    hunt_tenant: request.tenant,
    hunt_from: request.from,
    hunt_to: request.to,
    hunt_limit: maxRows + 1,
  }
  const where = filters.map((filter, i) => {
    params[`hunt_fc${i}`] = filter.column
    params[`hunt_fv${i}`] = filter.value
    return `toString({hunt_fc${i}:Identifier}) = {hunt_fv${i}:String}`
  })
  // Integers only from the limits object (not from the request), so they can be written in.
  const settings = [
    'readonly = 1',
    `max_execution_time = ${Math.trunc(limits.maxExecutionSeconds)}`,
    "timeout_overflow_mode = 'throw'",
    `max_rows_to_read = ${Math.trunc(limits.maxRowsToRead)}`,
    "read_overflow_mode = 'throw'",
    `max_memory_usage = ${Math.trunc(limits.maxMemoryBytes)}`,
    'output_format_json_quote_64bit_integers = 0',
    "date_time_output_format = 'iso'",
  ].join(', ')
  const query = `WITH ${huntTableExpressions()}
SELECT * FROM (${checked.canonical})
${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
LIMIT {hunt_limit:UInt32}
SETTINGS ${settings}`
  let answer: unknown[][]
  try {
    const result = await client.query({
      query,
      query_params: params,
      format: 'JSONCompactEachRowWithNamesAndTypes',
    })
    answer = await result.json<unknown[]>()
  } catch (error) {
    const refusal = limitRefusal(error, limits)
    if (refusal) throw refusal
    const message = String((error as Error)?.message ?? error)
      .split(/\. In scope |\n/)[0]!
      .trim()
    throw new HuntRefusedError('invalid', message, error)
  }
  const [names = [], types = [], ...rows] = answer as [string[], string[], ...unknown[][]]
  return {
    columns: names.map((name, i) => ({ name, type: String(types[i] ?? '') })),
    rows: rows.slice(0, maxRows),
    truncated: rows.length > maxRows,
    canonical: checked.canonical,
    tables: checked.tables,
  }
}

/** A hunt table's columns, for the query box's reference. */
export interface HuntTableDescription {
  name: string
  description: string
  columns: { name: string; type: string }[]
}

/** Every hunt table with its columns (the stored table's, without `tenant`). */
export async function describeHuntTables(client: ClickHouseClient): Promise<HuntTableDescription[]> {
  const result = await client.query({
    query: `SELECT table, name, type FROM system.columns
            WHERE database = currentDatabase() AND table IN {tables:Array(String)} AND name != 'tenant'
            ORDER BY table, position`,
    query_params: { tables: Object.values(huntTables).map((t) => t.table) },
    format: 'JSONEachRow',
  })
  const columns = await result.json<{ table: string; name: string; type: string }>()
  return Object.entries(huntTables).map(([name, { table, description }]) => ({
    name,
    description,
    columns: columns.filter((c) => c.table === table).map(({ name, type }) => ({ name, type })),
  }))
}

/** Tenants with any decision, sign-in, flow or handshake since `since` (epoch ms), from the rollups. */
export async function activeTenants(client: ClickHouseClient, since: number): Promise<string[]> {
  const result = await client.query({
    query: `SELECT DISTINCT tenant FROM (
              SELECT tenant FROM decision_rollup_1m WHERE minute >= toStartOfMinute(fromUnixTimestamp64Milli({since:Int64}, 'UTC'))
              UNION ALL SELECT tenant FROM auth_rollup_1m WHERE minute >= toStartOfMinute(fromUnixTimestamp64Milli({since:Int64}, 'UTC'))
              UNION ALL SELECT tenant FROM flow_rollup_1m WHERE minute >= toStartOfMinute(fromUnixTimestamp64Milli({since:Int64}, 'UTC'))
              UNION ALL SELECT tenant FROM mtls_rollup_1m WHERE minute >= toStartOfMinute(fromUnixTimestamp64Milli({since:Int64}, 'UTC'))
            ) ORDER BY tenant`,
    query_params: { since },
    format: 'JSONCompactEachRow',
  })
  return (await result.json<[string]>()).map(([tenant]) => tenant)
}
