import type { ClickHouseClient } from '@clickhouse/client'

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

/**
 * The registry of named queries dashboards may declare (`panels[].query`). Every query is
 * parameterised and filtered by tenant; series come from the 1-minute rollups, lists from raw
 * events, findings and the alert ledger.
 */
export const dashboardQueries = {
  /**
   * Edges `client → server:port` seen in flows (identity, else IP), with counts, blocked counts and
   * first/last seen. A reply (`is_reply`, as the format decided) counts for the connection it
   * answers: its destination is the client, its source the server, `server_port` the port.
   */
  service_graph: (client, params) =>
    rows(
      client,
      `SELECT src, dst, port AS dst_port,
              count() AS flows,
              countIf(verdict IN ('dropped', 'denied')) AS blocked,
              sum(bytes) AS bytes,
              toUnixTimestamp64Milli(min(ts)) AS first_seen_ms,
              toUnixTimestamp64Milli(max(ts)) AS last_seen_ms
       FROM (
         SELECT if(src_identity != '', src_identity, src_ip) AS sender,
                if(dst_identity != '', dst_identity, dst_ip) AS receiver,
                ifNull(is_reply, false) AS reply,
                if(reply, receiver, sender) AS src,
                if(reply, sender, receiver) AS dst,
                ifNull(server_port, dst_port) AS port,
                verdict, bytes_sent + bytes_received AS bytes, ts
         FROM flow_events
         WHERE ${EVENT_RANGE}
       )
       GROUP BY src, dst, dst_port
       HAVING src != '' AND dst != ''
       ORDER BY flows DESC, src, dst, dst_port
       LIMIT {limit:UInt32}`,
      { ...rangeParams(params), limit: params.limit },
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

  /** Decision latency p50/p95/p99 per bucket, merged from t-digest states (percentiles are never averaged). */
  decision_latency: (client, params) =>
    rows(
      client,
      `SELECT ${BUCKET} AS ts_ms,
              quantilesTDigestMerge(0.5, 0.95, 0.99)(latency_ms) AS q,
              round(q[1], 3) AS p50_ms,
              round(q[2], 3) AS p95_ms,
              round(q[3], 3) AS p99_ms,
              sum(decisions) AS decision_count
       FROM decision_rollup_1m
       WHERE ${ROLLUP_RANGE}
       GROUP BY ts_ms ORDER BY ts_ms`,
      seriesParams(params),
    ).then((found) => found.map(({ q: _states, ...row }) => row)),

  /** Enforced denies, PDP errors and dry-run denies per bucket; ratios over all decisions. */
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
       FROM decision_rollup_1m
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

  /** The newest enforced denies with their context (caller, what, which policy and revision, where, why), newest first. */
  top_denied: (client, params) =>
    rows(
      client,
      `SELECT toUnixTimestamp64Milli(ts) AS ts_ms, service, request_id, subject, src_identity, dst_identity,
              action, resource, policy_id, policy_revision, pdp, enforcement_point, latency_ms,
              -- Envoy and Istio logs name no subject: the caller is then the workload identity.
              multiIf(subject != '', subject, src_identity != '', src_identity, '') AS caller,
              -- No source states a reason beside the policy that denied; say which rule it was.
              if(policy_id != '', concat('denied by ', policy_id), 'denied') AS reason
       FROM decision_events
       WHERE ${EVENT_RANGE} AND decision = 'deny' AND NOT dry_run
       ORDER BY ts DESC, event_id
       LIMIT {limit:UInt32}`,
      { ...rangeParams(params), limit: params.limit },
    ),

  /** Services ranked by enforced denies and PDP errors over the range (the most affected first). */
  top_denied_services: (client, params) =>
    rows(
      client,
      `SELECT service,
              sum(decisions) AS total,
              sum(denies) AS deny_count,
              sum(errors) AS error_count,
              if(total = 0, NULL, deny_count / total) AS deny_ratio
       FROM decision_rollup_1m
       WHERE ${ROLLUP_RANGE}
       GROUP BY service
       HAVING deny_count + error_count > 0
       ORDER BY deny_count + error_count DESC, service
       LIMIT {limit:UInt32}`,
      { ...rangeParams(params), limit: params.limit },
    ),
} satisfies Record<string, DashboardQuery>

/** A name of {@link dashboardQueries}. */
export type DashboardQueryName = keyof typeof dashboardQueries

/** Whether `name` names a registered query (own keys only: `toString` is not a query). */
export function isDashboardQueryName(name: string): name is DashboardQueryName {
  return Object.hasOwn(dashboardQueries, name)
}
