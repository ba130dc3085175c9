import type { ClickHouseClient } from '@clickhouse/client'
import { sliDashboardQueries } from './sli-dashboard-queries.ts'
import { wafDashboardQueries } from './waf-dashboard-queries.ts'

/** What every named dashboard query receives; each query is scoped to `tenant`. */
export interface DashboardQueryParams {
  tenant: string
  /** Range start, epoch ms (inclusive). */
  from: number
  /** Range end, epoch ms (inclusive). */
  to: number
  /** Bucket width of series, ms; a multiple of 60,000 (the rollups' grain). */
  stepMs: number
  /** Most rows a list or graph answers. */
  limit: number
  /** Narrows the service graph's links (only `service_graph` reads it). */
  edgeFilter?: ServiceEdgeFilter
}

/** How a link of the service graph was secured, weakest mode seen first (see `service_graph`). */
export const edgeMtlsStates = ['mutual', 'tls', 'plaintext', 'unknown'] as const
/** One of {@link edgeMtlsStates}. */
export type EdgeMtlsState = (typeof edgeMtlsStates)[number]

/** Which links of the service graph to keep; every field optional, all given must hold. */
export interface ServiceEdgeFilter {
  /** Links with either end in this namespace (the `ns` of a SPIFFE ID or of `ns/name`). */
  namespace?: string
  /** Links with at least one blocked flow or enforced deny. */
  deniedOnly?: boolean
  /** Links in this mTLS state. */
  mtls?: EdgeMtlsState
  /** Links at or above this rate, flows or requests per second. */
  minRatePerS?: number
}

/** One row of a panel: flat JSON values (maps for labels). */
export type DashboardRow = Record<
  string,
  string | number | boolean | null | string[] | Record<string, string>
>

/** A named, parameterised, tenant-scoped read for a dashboard panel. */
export type DashboardQuery = (
  client: ClickHouseClient,
  params: DashboardQueryParams,
) => Promise<DashboardRow[]>

// Incidents whose last word is older than this before the range start are not "active" any more:
// a router that crashed before writing the resolve must not pin an incident on screen forever.
const INCIDENT_LOOKBACK_MS = 7 * 24 * 3600_000

/** Run a parameterised read and answer its rows as JSON objects (shared by the investigation reads). */
export async function rows<T = DashboardRow>(
  client: ClickHouseClient,
  query: string,
  params: Record<string, unknown>,
): Promise<T[]> {
  const result = await client.query({
    query,
    query_params: params,
    format: 'JSONEachRow',
    // UInt64 counters as JSON numbers: panel counts stay far below 2^53.
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  })
  return result.json<T>()
}

function rangeParams(params: DashboardQueryParams) {
  return { tenant: params.tenant, from: params.from, to: params.to }
}

const MINUTE_MS = 60_000
const HOUR_MS = 3_600_000

/**
 * How a range `[from, to]` (epoch ms, both inclusive) splits over the edge rollups: whole hours
 * `[hour_start, hour_end)`, whole minutes `[minute_start, minute_end)` outside them, and the raw
 * rows outside the whole minutes. An empty tier has its end equal to its start.
 */
export function rollupTiers(range: { from: number; to: number }) {
  const minuteStart = Math.ceil(range.from / MINUTE_MS) * MINUTE_MS
  const minuteEnd = Math.max(minuteStart, Math.floor((range.to + 1) / MINUTE_MS) * MINUTE_MS)
  const hourStart = Math.ceil(minuteStart / HOUR_MS) * HOUR_MS
  const hourEnd = Math.max(hourStart, Math.floor(minuteEnd / HOUR_MS) * HOUR_MS)
  return { minute_start: minuteStart, minute_end: minuteEnd, hour_start: hourStart, hour_end: hourEnd }
}

/**
 * How the minutes a series panel counts for `[from, to]` (every minute from the one holding `from`
 * to the one holding `to`, both whole) split over an hourly and a minute rollup: whole hours
 * `[hour_start, hour_end)`, and the minutes `[minute_start, minute_end)` outside them. Epoch ms.
 */
export function minuteTiers(range: { from: number; to: number }) {
  const minuteStart = Math.floor(range.from / MINUTE_MS) * MINUTE_MS
  const minuteEnd = Math.max(minuteStart, Math.floor(range.to / MINUTE_MS) * MINUTE_MS + MINUTE_MS)
  const hourStart = Math.ceil(minuteStart / HOUR_MS) * HOUR_MS
  const hourEnd = Math.max(hourStart, Math.floor(minuteEnd / HOUR_MS) * HOUR_MS)
  return { minute_start: minuteStart, minute_end: minuteEnd, hour_start: hourStart, hour_end: hourEnd }
}

function seriesParams(params: DashboardQueryParams) {
  return { ...rangeParams(params), step_s: Math.max(60, Math.round(params.stepMs / 1000)) }
}

// Shared by the rollup series: rows of the range's minutes, bucketed by the step. Column aliases
// end in `_ms` or differ from column names, so WHERE always reads the stored column.
const ROLLUP_RANGE = `tenant = {tenant:String}
  AND minute >= toStartOfMinute(fromUnixTimestamp64Milli({from:Int64}, 'UTC'))
  AND minute <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')`
const BUCKET = `toUnixTimestamp(toStartOfInterval(minute, toIntervalSecond({step_s:UInt32}))) * 1000`
const EVENT_RANGE = `tenant = {tenant:String}
  AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')
  AND ts <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')`

// Rows of the raw tables outside the whole minutes the rollups hold (the partial minutes at the ends).
const RAW_ENDS = `(ts < fromUnixTimestamp64Milli({minute_start:Int64}, 'UTC')
                  OR ts >= fromUnixTimestamp64Milli({minute_end:Int64}, 'UTC'))`

/**
 * The namespace of a workload name: `ns` of a SPIFFE ID (or Istio's scheme-less principal,
 * `…/ns/<ns>/sa/<sa>`) and of Hubble's `ns/name`; '' for an IP or any other name.
 */
const NAMESPACE_OF = (column: string) =>
  `multiIf(match(${column}, '/ns/[^/]+/sa/'), extract(${column}, '/ns/([^/]+)/sa/'),
           match(${column}, '^[a-z0-9][a-z0-9-]*/[^/]+$'), splitByChar('/', ${column})[1], '')`

/**
 * The registry of named queries dashboards may declare (`panels[].query`). Every query is
 * parameterised and filtered by tenant; series and the service graph come from the rollups,
 * lists from bounded indexes (enforced denies by time), findings and the alert ledger: none reads
 * a number of raw rows that grows with the history stored.
 */
export const dashboardQueries = {
  /**
   * Edges `client → server:port` seen in flows (identity, else IP), requests (decision logs name
   * `caller → callee`, port 0) and mTLS handshakes, with counts, blocked flows and enforced denies,
   * first/last flow, the namespace of either end, how the edge's traffic was secured and its rate.
   * A reply (`is_reply`, as the format decided) counts for the connection it answers. Whole hours
   * come from the hourly edge rollup, whole minutes from the minute one, and only the partial
   * minutes at either end of the range from the raw flows (requests and handshakes there from the
   * minute rollup, counted whole): the flow counts are the raw ones, and the cost follows the range
   * and the number of edges, not the number of events stored.
   *
   * `mtls` and `rate_per_s` describe the link `src → dst` over all its ports (what the graph draws):
   * `mtls` is the weakest mode any flow or handshake on it showed (plaintext, then server-only
   * `tls`, then `mutual`; `unknown` when no source said), `rate_per_s` is flows or requests per
   * second over the range, whichever the sources saw more of (an access log counts one request as
   * a flow and a decision: summing would count it twice). `edgeFilter` narrows links before the
   * limit applies.
   */
  service_graph: (client, params) =>
    rows(
      client,
      `SELECT src, dst, dst_port, flows, blocked, bytes, first_seen_ms, last_seen_ms, requests, request_denies,
              mtls_mutual, mtls_tls, mtls_plaintext, handshake_failures, src_namespace, dst_namespace,
              mtls, rate_per_s
       FROM (
         SELECT *,
                sum(mtls_plaintext) OVER link AS link_plaintext,
                sum(mtls_tls) OVER link AS link_tls,
                sum(mtls_mutual) OVER link AS link_mutual,
                multiIf(link_plaintext > 0, 'plaintext', link_tls > 0, 'tls', link_mutual > 0, 'mutual', 'unknown') AS mtls,
                greatest(sum(flows) OVER link, sum(requests) OVER link) / {span_s:Float64} AS rate_per_s,
                sum(blocked + request_denies) OVER link AS link_denies
         FROM (
           SELECT src, dst, dst_port,
                  sum(flows) AS flows,
                  sum(blocked) AS blocked,
                  sum(bytes) AS bytes,
                  toUnixTimestamp64Milli(min(first_seen)) AS first_seen_ms,
                  toUnixTimestamp64Milli(max(last_seen)) AS last_seen_ms,
                  sum(requests) AS requests,
                  sum(request_denies) AS request_denies,
                  sum(mutual) AS mtls_mutual,
                  sum(tls) AS mtls_tls,
                  sum(plaintext) AS mtls_plaintext,
                  sum(failures) AS handshake_failures,
                  sum(handshakes) AS handshake_evidence,
                  ${NAMESPACE_OF('src')} AS src_namespace,
                  ${NAMESPACE_OF('dst')} AS dst_namespace
           FROM (
             SELECT src, dst, dst_port, flows, blocked, bytes, first_seen, last_seen, requests, request_denies,
                    mutual_flows + mutual_handshakes AS mutual,
                    tls_flows + tls_handshakes AS tls,
                    plaintext_flows + unencrypted_flows + plaintext_handshakes AS plaintext,
                    failed_handshakes AS failures,
                    mutual_handshakes + tls_handshakes + plaintext_handshakes + failed_handshakes AS handshakes
             FROM service_edge_rollup_1h
             WHERE tenant = {tenant:String}
               AND hour >= fromUnixTimestamp64Milli({hour_start:Int64}, 'UTC')
               AND hour < fromUnixTimestamp64Milli({hour_end:Int64}, 'UTC')
             UNION ALL
             SELECT src, dst, dst_port, flows, blocked, bytes, first_seen, last_seen, requests, request_denies,
                    mutual_flows + mutual_handshakes AS mutual,
                    tls_flows + tls_handshakes AS tls,
                    plaintext_flows + unencrypted_flows + plaintext_handshakes AS plaintext,
                    failed_handshakes AS failures,
                    mutual_handshakes + tls_handshakes + plaintext_handshakes + failed_handshakes AS handshakes
             FROM service_edge_rollup_1m
             WHERE tenant = {tenant:String}
               AND minute >= fromUnixTimestamp64Milli({minute_start:Int64}, 'UTC')
               AND minute < fromUnixTimestamp64Milli({minute_end:Int64}, 'UTC')
               AND (minute < fromUnixTimestamp64Milli({hour_start:Int64}, 'UTC')
                    OR minute >= fromUnixTimestamp64Milli({hour_end:Int64}, 'UTC'))
             UNION ALL
             SELECT if(reply, receiver, sender) AS src,
                    if(reply, sender, receiver) AS dst,
                    port AS dst_port,
                    toUInt64(1) AS flows,
                    toUInt64(verdict IN ('dropped', 'denied')) AS blocked,
                    bytes,
                    CAST(ts AS Nullable(DateTime64(3, 'UTC'))) AS first_seen,
                    CAST(ts AS Nullable(DateTime64(3, 'UTC'))) AS last_seen,
                    toUInt64(0) AS requests,
                    toUInt64(0) AS request_denies,
                    toUInt64(ifNull(mtls = 'mutual', false)) AS mutual,
                    toUInt64(ifNull(mtls = 'tls', false) OR (mtls IS NULL AND ifNull(encrypted, false))) AS tls,
                    toUInt64(ifNull(mtls = 'plaintext', false) OR (mtls IS NULL AND NOT ifNull(encrypted, true))) AS plaintext,
                    toUInt64(0) AS failures,
                    toUInt64(0) AS handshakes
             FROM (
               SELECT if(src_identity != '', src_identity, src_ip) AS sender,
                      if(dst_identity != '', dst_identity, dst_ip) AS receiver,
                      ifNull(is_reply, false) AS reply,
                      ifNull(server_port, dst_port) AS port,
                      verdict, bytes_sent + bytes_received AS bytes, ts, mtls, encrypted
               FROM flow_events
               WHERE ${EVENT_RANGE} AND ${RAW_ENDS}
             )
             UNION ALL
             -- Requests and handshakes of the partial minutes at the ends: the minute rollup's rows
             -- of those minutes, counted whole (a raw read of decisions and handshakes would cost
             -- more than the rest of the graph; at most a minute's worth at either end differs).
             SELECT src, dst, dst_port,
                    toUInt64(0) AS flows, toUInt64(0) AS blocked, toUInt64(0) AS bytes,
                    CAST(NULL AS Nullable(DateTime64(3, 'UTC'))) AS first_seen,
                    CAST(NULL AS Nullable(DateTime64(3, 'UTC'))) AS last_seen,
                    requests, request_denies,
                    mutual_handshakes AS mutual,
                    tls_handshakes AS tls,
                    plaintext_handshakes AS plaintext,
                    failed_handshakes AS failures,
                    mutual_handshakes + tls_handshakes + plaintext_handshakes + failed_handshakes AS handshakes
             FROM service_edge_rollup_1m
             WHERE tenant = {tenant:String}
               AND ((minute >= toStartOfMinute(fromUnixTimestamp64Milli({from:Int64}, 'UTC'))
                     AND minute < fromUnixTimestamp64Milli({minute_start:Int64}, 'UTC'))
                    OR (minute >= fromUnixTimestamp64Milli({minute_end:Int64}, 'UTC')
                        AND minute <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')))
               AND requests + mutual_handshakes + tls_handshakes + plaintext_handshakes + failed_handshakes > 0
           )
           WHERE src != '' AND dst != ''
           GROUP BY src, dst, dst_port
           HAVING flows + requests + handshake_evidence > 0
         )
         WINDOW link AS (PARTITION BY src, dst)
       )
       WHERE ({namespace:String} = '' OR src_namespace = {namespace:String} OR dst_namespace = {namespace:String})
         AND ({denied_only:Bool} = false OR link_denies > 0)
         AND ({mtls:String} = '' OR mtls = {mtls:String})
         AND rate_per_s >= {min_rate:Float64}
       ORDER BY flows DESC, requests DESC, src, dst, dst_port
       LIMIT {limit:UInt32}`,
      {
        ...rangeParams(params),
        ...rollupTiers(params),
        limit: params.limit,
        span_s: Math.max(1, (params.to - params.from) / 1000),
        namespace: params.edgeFilter?.namespace ?? '',
        denied_only: params.edgeFilter?.deniedOnly ?? false,
        mtls: params.edgeFilter?.mtls ?? '',
        min_rate: params.edgeFilter?.minRatePerS ?? 0,
      },
    ),

  /** Edges the lateral-movement detector reported as never seen before (`lateral.new_edge` findings). */
  new_edges: async (client, params) => {
    const found = await rows(
      client,
      `SELECT finding_id, toUnixTimestamp64Milli(ts) AS ts_ms, severity, title, summary, entities
       FROM findings
       WHERE ${EVENT_RANGE} AND rule = 'lateral.new_edge'
       ORDER BY ts DESC, finding_id
       LIMIT {limit:UInt32}`,
      { ...rangeParams(params), limit: params.limit },
    )
    return found.map(({ entities, ...row }) => {
      const parsed = JSON.parse(String(entities)) as Record<string, string>
      const port = Number(parsed.dst_port)
      return {
        ...row,
        src: parsed.src_identity ?? parsed.src_ip ?? '',
        dst: parsed.dst_identity ?? parsed.dst_ip ?? '',
        dst_port: parsed.dst_port !== undefined && Number.isInteger(port) ? port : null,
        entities: parsed,
      }
    })
  },

  /** Auth attempts per bucket: `good` excludes system failures only (a user's own mistake is not bad). */
  auth_success_series: (client, params) =>
    rows(
      client,
      `SELECT ${BUCKET} AS ts_ms,
              sum(attempts) AS total,
              total - sum(system_failures) AS good,
              sum(successes) AS success_count,
              sum(user_failures) AS user_failure_count,
              sum(system_failures) AS system_failure_count,
              if(total = 0, NULL, good / total) AS ratio
       FROM auth_rollup_1m
       WHERE ${ROLLUP_RANGE}
       GROUP BY ts_ms ORDER BY ts_ms`,
      seriesParams(params),
    ),

  /**
   * Decision latency p50/p95/p99 per bucket, merged from t-digest states (percentiles are never
   * averaged): one state per tenant and minute (`decision_tenant_rollup_1m`), so a day's chart merges
   * 1,440 states whatever the number of services.
   */
  decision_latency: (client, params) =>
    rows(
      client,
      `SELECT ${BUCKET} AS ts_ms,
              quantilesTDigestMerge(0.5, 0.95, 0.99)(latency_ms) AS q,
              round(q[1], 3) AS p50_ms,
              round(q[2], 3) AS p95_ms,
              round(q[3], 3) AS p99_ms,
              sum(decisions) AS decision_count
       FROM decision_tenant_rollup_1m
       WHERE ${ROLLUP_RANGE}
       GROUP BY ts_ms ORDER BY ts_ms`,
      seriesParams(params),
    ).then((found) => found.map(({ q: _states, ...row }) => row)),

  /** Enforced denies, PDP errors and dry-run denies per bucket; ratios over all decisions (per tenant and minute). */
  deny_ratio_series: (client, params) =>
    rows(
      client,
      `SELECT ${BUCKET} AS ts_ms,
              sum(decisions) AS total,
              sum(denies) AS deny_count,
              sum(errors) AS error_count,
              sum(dry_run_denies) AS dry_run_deny_count,
              if(total = 0, NULL, deny_count / total) AS deny_ratio,
              if(total = 0, NULL, 1 - error_count / total) AS availability
       FROM decision_tenant_rollup_1m
       WHERE ${ROLLUP_RANGE}
       GROUP BY ts_ms ORDER BY ts_ms`,
      seriesParams(params),
    ),

  /** mTLS handshakes, failures and plaintext connections per bucket. */
  mtls_failures_series: (client, params) =>
    rows(
      client,
      `SELECT ${BUCKET} AS ts_ms,
              sum(handshakes) AS total,
              sum(failures) AS failure_count,
              sum(plaintext) AS plaintext_count,
              if(total = 0, NULL, failure_count / total) AS failure_ratio
       FROM mtls_rollup_1m
       WHERE ${ROLLUP_RANGE}
       GROUP BY ts_ms ORDER BY ts_ms`,
      seriesParams(params),
    ),

  /**
   * Incidents from the alert router's ledger: the newest state per dedup_key (a final status beats
   * `pending` within one millisecond, as the router reads it), kept while that newest action is
   * not a `resolve`. Pages first, then the most recently updated.
   */
  active_incidents: (client, params) =>
    rows(
      client,
      `SELECT dedup_key,
              argMax(alertname, (recorded_at, status != 'pending')) AS alert,
              argMax(severity, (recorded_at, status != 'pending')) AS last_severity,
              argMax(status, (recorded_at, status != 'pending')) AS last_status,
              argMax(action, (recorded_at, status != 'pending')) AS last_action,
              argMax(summary, (recorded_at, status != 'pending')) AS last_summary,
              -- The incident's title for people (a page's own words, not its alertname); '' in old rows.
              argMaxIf(JSONExtractString(payload, 'title'), recorded_at, action = 'trigger') AS last_title,
              argMax(labels, (recorded_at, status != 'pending')) AS last_labels,
              arraySort(groupUniqArray(receiver)) AS receivers,
              toUnixTimestamp64Milli(min(recorded_at)) AS opened_ms,
              toUnixTimestamp64Milli(max(recorded_at)) AS updated_ms
       FROM alert_notifications
       WHERE tenant = {tenant:String}
         AND recorded_at >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')
         AND recorded_at <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')
       GROUP BY dedup_key
       HAVING last_action != 'resolve'
       ORDER BY last_severity = 'page' DESC, updated_ms DESC, dedup_key
       LIMIT {limit:UInt32}`,
      {
        tenant: params.tenant,
        to: params.to,
        since: params.from - INCIDENT_LOOKBACK_MS,
        limit: params.limit,
      },
    ),

  /**
   * The newest enforced denies with their context (caller, what, which policy and revision, where,
   * why), newest first. Read from `decision_denies` (enforced denies sorted by time), so that the
   * newest rows are the last granules read, whatever else the range holds.
   */
  top_denied: (client, params) =>
    rows(
      client,
      `SELECT toUnixTimestamp64Milli(ts) AS ts_ms, service, request_id, subject, src_identity, dst_identity,
              action, resource, policy_id, policy_revision, pdp, enforcement_point, latency_ms,
              -- Envoy and Istio logs name no subject: the caller is then the workload identity, and
              -- for a WAF (no user, no workload) the client's address.
              multiIf(subject != '', subject, src_identity != '', src_identity, client_ip != '', client_ip, '') AS caller,
              -- The source's own words where it gives them (a WAF rule's message), else which rule it was.
              multiIf(decision_denies.reason != '', decision_denies.reason, policy_id != '',
                      concat('denied by ', policy_id), 'denied') AS reason
       FROM decision_denies
       WHERE ${EVENT_RANGE}
       ORDER BY ts DESC, event_id
       LIMIT {limit:UInt32}`,
      { ...rangeParams(params), limit: params.limit },
    ),

  /**
   * Services ranked by enforced denies and PDP errors over the range (the most affected first): the
   * range's minutes, as the series count them, read as whole hours from the hourly rollup and the
   * minutes outside them from the minute one (see {@link minuteTiers}).
   */
  top_denied_services: (client, params) =>
    rows(
      client,
      `SELECT service,
              sum(decisions) AS total,
              sum(denies) AS deny_count,
              sum(errors) AS error_count,
              if(total = 0, NULL, deny_count / total) AS deny_ratio
       FROM (
         SELECT service, decisions, denies, errors
         FROM decision_rollup_1h
         WHERE tenant = {tenant:String}
           AND hour >= fromUnixTimestamp64Milli({hour_start:Int64}, 'UTC')
           AND hour < fromUnixTimestamp64Milli({hour_end:Int64}, 'UTC')
         UNION ALL
         SELECT service, decisions, denies, errors
         FROM decision_rollup_1m
         WHERE tenant = {tenant:String}
           AND minute >= fromUnixTimestamp64Milli({minute_start:Int64}, 'UTC')
           AND minute < fromUnixTimestamp64Milli({minute_end:Int64}, 'UTC')
           AND (minute < fromUnixTimestamp64Milli({hour_start:Int64}, 'UTC')
                OR minute >= fromUnixTimestamp64Milli({hour_end:Int64}, 'UTC'))
       )
       GROUP BY service
       HAVING deny_count + error_count > 0
       ORDER BY deny_count + error_count DESC, service
       LIMIT {limit:UInt32}`,
      { tenant: params.tenant, ...minuteTiers(params), limit: params.limit },
    ),

  // The catalogue SLIs' series (sli-dashboard-queries.ts).
  ...sliDashboardQueries,
  // Top triggered WAF rules (waf-dashboard-queries.ts).
  ...wafDashboardQueries,
} satisfies Record<string, DashboardQuery>

/** A name of {@link dashboardQueries}. */
export type DashboardQueryName = keyof typeof dashboardQueries

/** Whether `name` names a registered query (own keys only: `toString` is not a query). */
export function isDashboardQueryName(name: string): name is DashboardQueryName {
  return Object.hasOwn(dashboardQueries, name)
}
