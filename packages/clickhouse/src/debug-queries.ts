import {
  type DashboardQuery,
  type DashboardQueryParams,
  type DashboardRow,
  rollupTiers,
  rows,
} from './dashboard-queries.ts'

// The debug dashboard's reads (dashboards/debug.json): one request across enforcement points and
// sources, the denies with what is stored of their requests, how policies evaluated, PDP health per
// enforcement point, token issuance, egress. Raw events, bounded by tenant, range and limit.

const EVENT_RANGE = `tenant = {tenant:String}
  AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')
  AND ts <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')`

function listParams(params: DashboardQueryParams) {
  return { tenant: params.tenant, from: params.from, to: params.to, limit: params.limit }
}

// Private, loopback, link-local and carrier-grade NAT space: not egress.
const PRIVATE_V4 = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '100.64.0.0/10',
]
  .map((cidr) => `isIPAddressInRange(dst_ip, '${cidr}')`)
  .join(' OR ')

/** Auth methods that issue or refresh a token (Keycloak grants, OIDC, CloudTrail's AssumeRole). */
const TOKEN_METHODS = [
  'client_credentials',
  'refresh_token',
  'token_exchange',
  'authorization_code',
  'oidc',
  'assume_role',
]

/** Named queries of the debug dashboard; see {@link DashboardQuery}. */
export const debugPanelQueries = {
  /**
   * Requests that were denied or failed somewhere, newest first, with every record that names the
   * same request id (OPA's x-request-id or trace id, Envoy/Istio's x-request-id) across sources and
   * enforcement points: how many, from where, and the outcomes in time order. The requests are the
   * newest failed ones (`decision_failed_requests`, sorted by time: the last granules of the range),
   * and only their records are read (`decision_request_index`, sorted by request id), not every
   * decision of the range.
   */
  request_timelines: async (client, params) => {
    const failed = await rows<{ request_id: string }>(
      client,
      `SELECT request_id FROM decision_failed_requests
       WHERE ${EVENT_RANGE}
       ORDER BY ts DESC
       LIMIT 1 BY request_id
       LIMIT {limit:UInt32}`,
      listParams(params),
    )
    if (failed.length === 0) return []
    return rows(
      client,
      `SELECT request_id,
              toUnixTimestamp64Milli(max(ts)) AS last_ms,
              count() AS records,
              arrayStringConcat(arraySort(groupUniqArray(toString(source))), ', ') AS sources,
              arrayStringConcat(arraySort(groupUniqArray(toString(enforcement_point))), ', ') AS enforcement_points,
              arrayStringConcat(arrayMap(x -> x.2, arraySort(groupArray((ts, toString(decision))))), ' → ') AS outcomes
       FROM decision_request_index
       WHERE ${EVENT_RANGE} AND request_id IN {ids:Array(String)}
       GROUP BY request_id
       HAVING countIf(decision != 'allow') > 0
       ORDER BY last_ms DESC, request_id
       LIMIT {limit:UInt32}`,
      { ...listParams(params), ids: failed.map((row) => row.request_id) },
    )
  },

  /**
   * Enforced denies with everything stored of the request (method, path, caller, identities, id):
   * the newest from `decision_denies` (sorted by time), and the source of each from its event, read
   * by id within their time span.
   */
  deny_requests: async (client, params) => {
    const denies = await rows<DashboardRow & { event_id: string; ts_ms: number; request_id: string }>(
      client,
      `SELECT toUnixTimestamp64Milli(ts) AS ts_ms, event_id, request_id,
              toString(enforcement_point) AS enforcement_point,
              multiIf(subject != '', subject, src_identity) AS caller, dst_identity,
              toString(action) AS method, resource AS path, toString(policy_id) AS policy_id,
              toString(policy_revision) AS policy_revision
       FROM decision_denies
       WHERE ${EVENT_RANGE}
       ORDER BY ts DESC, event_id
       LIMIT {limit:UInt32}`,
      listParams(params),
    )
    if (denies.length === 0) return []
    const sources = await rows<{ event_id: string; source: string }>(
      client,
      `SELECT event_id, toString(source) AS source FROM decision_events
       WHERE ${EVENT_RANGE} AND event_id IN {ids:Array(String)}
       LIMIT 1 BY event_id`,
      {
        tenant: params.tenant,
        from: Math.min(...denies.map((row) => row.ts_ms)),
        to: Math.max(...denies.map((row) => row.ts_ms)),
        ids: denies.map((row) => row.event_id),
      },
    )
    const sourceOf = new Map(sources.map((row) => [row.event_id, row.source]))
    return denies.map(({ event_id, ts_ms, request_id, ...rest }) => ({
      ts_ms,
      request_id,
      source: sourceOf.get(event_id) ?? '',
      ...rest,
    }))
  },

  /**
   * Recent decisions as the PDP evaluated them: decision path, bundle revision, evaluation time,
   * cache. The raw table is sorted by service first, so "the newest N of every service" cannot be
   * read in order; the decisions per tenant and minute say from which minute on the range's end
   * holds N decisions, and only that tail of the range is read.
   */
  policy_evaluations: async (client, params) => {
    const [tail] = await rows<{ since_ms: number }>(
      client,
      // Whole minutes before the one holding `to`: all their decisions are in the range.
      `SELECT toUnixTimestamp(minute) * 1000 AS since_ms
       FROM (
         SELECT minute, sum(decisions) OVER (ORDER BY minute DESC) AS newer
         FROM (
           SELECT minute, sum(decisions) AS decisions FROM decision_tenant_rollup_1m
           WHERE tenant = {tenant:String}
             AND minute >= toStartOfMinute(fromUnixTimestamp64Milli({from:Int64}, 'UTC'))
             AND minute < toStartOfMinute(fromUnixTimestamp64Milli({to:Int64}, 'UTC'))
           GROUP BY minute
         )
       )
       WHERE newer >= {limit:UInt32}
       ORDER BY minute DESC
       LIMIT 1`,
      listParams(params),
    )
    return rows(
      client,
      `SELECT toUnixTimestamp64Milli(ts) AS ts_ms, request_id, toString(pdp) AS pdp,
              toString(enforcement_point) AS enforcement_point, toString(policy_id) AS decision_path,
              toString(policy_revision) AS bundle_revision, toString(decision) AS decision,
              latency_ms AS eval_ms, cache_hit, dry_run
       FROM decision_events
       WHERE ${EVENT_RANGE}
       ORDER BY ts DESC, event_id
       LIMIT {limit:UInt32}`,
      { ...listParams(params), from: Math.max(params.from, Number(tail?.since_ms ?? params.from)) },
    )
  },

  /**
   * Per enforcement point and PDP: decisions, PDP errors (a PDP error is not a deny), decision p95,
   * the revisions it enforced (more than one in range: a rollout, or drift), and when it last spoke.
   * Whole minutes from `pdp_health_rollup_1m`, the partial minutes at the range's ends from the raw
   * decisions.
   */
  pdp_health: (client, params) =>
    rows(
      client,
      `SELECT toString(enforcement_point) AS enforcement_point, toString(pdp) AS pdp,
              sum(decision_count) AS decisions,
              sum(error_count) AS errors,
              errors / decisions AS error_ratio,
              quantileTDigestMerge(0.95)(latency) AS p95_ms,
              argMaxMerge(revision) AS current_revision,
              uniqExactMerge(revision_set) AS revisions,
              toUnixTimestamp64Milli(max(seen)) AS last_seen_ms
       FROM (
         SELECT enforcement_point, pdp, decisions AS decision_count, errors AS error_count,
                latency_ms AS latency, current_revision AS revision, revisions AS revision_set, last_seen AS seen
         FROM pdp_health_rollup_1m
         WHERE tenant = {tenant:String}
           AND minute >= fromUnixTimestamp64Milli({minute_start:Int64}, 'UTC')
           AND minute < fromUnixTimestamp64Milli({minute_end:Int64}, 'UTC')
         UNION ALL
         SELECT enforcement_point, pdp, count(), countIf(decision = 'error'),
                quantileTDigestStateIf(0.95)(assumeNotNull(latency_ms), latency_ms IS NOT NULL),
                argMaxState(toString(policy_revision), ts), uniqExactState(toString(policy_revision)), max(ts)
         FROM decision_events
         WHERE ${EVENT_RANGE}
           AND (ts < fromUnixTimestamp64Milli({minute_start:Int64}, 'UTC')
                OR ts >= fromUnixTimestamp64Milli({minute_end:Int64}, 'UTC'))
         GROUP BY enforcement_point, pdp
       )
       GROUP BY enforcement_point, pdp
       ORDER BY errors DESC, decisions DESC, enforcement_point
       LIMIT {limit:UInt32}`,
      { ...listParams(params), ...rollupTiers(params) },
    ),

  /** Token issuance and refresh by client and method: how many, how many failed, last seen. */
  token_events: (client, params) =>
    rows(
      client,
      `SELECT principal, service, toString(method) AS method,
              count() AS issued,
              countIf(outcome = 'failure') AS failures,
              toUnixTimestamp64Milli(max(ts)) AS last_ms
       FROM auth_events
       WHERE ${EVENT_RANGE}
         AND (method IN {methods:Array(String)} OR positionCaseInsensitive(reason, 'token') > 0)
       GROUP BY principal, service, method
       ORDER BY issued DESC, principal
       LIMIT {limit:UInt32}`,
      { ...listParams(params), methods: TOKEN_METHODS },
    ),

  /**
   * Connections to addresses outside private space, by destination: attempts, blocked, sources,
   * bytes out. Whole minutes from `egress_destination_rollup_1m`, the partial minutes at the range's
   * ends from the raw flows.
   */
  egress_by_destination: (client, params) =>
    rows(
      client,
      `SELECT dst_ip AS destination, dst_port,
              sum(attempts) AS attempt_count,
              sum(blocked) AS blocked_count,
              uniqExactMerge(sources) AS source_count,
              any(example_source) AS example,
              sum(bytes_sent) AS bytes_out,
              toUnixTimestamp64Milli(max(last_seen)) AS last_ms
       FROM (
         SELECT dst_ip, dst_port, attempts, blocked, sources, example_source, bytes_sent, last_seen
         FROM egress_destination_rollup_1m
         WHERE tenant = {tenant:String}
           AND minute >= fromUnixTimestamp64Milli({minute_start:Int64}, 'UTC')
           AND minute < fromUnixTimestamp64Milli({minute_end:Int64}, 'UTC')
         UNION ALL
         SELECT dst_ip, dst_port, count() AS attempts, countIf(verdict != 'allowed') AS blocked,
                uniqExactState(if(src_identity != '', src_identity, src_ip)) AS sources,
                any(if(src_identity != '', src_identity, src_ip)) AS example_source,
                sum(bytes_sent) AS bytes_sent, max(ts) AS last_seen
         FROM flow_events
         WHERE ${EVENT_RANGE}
           AND (ts < fromUnixTimestamp64Milli({minute_start:Int64}, 'UTC')
                OR ts >= fromUnixTimestamp64Milli({minute_end:Int64}, 'UTC'))
           AND dst_identity = '' AND NOT ifNull(is_reply, false)
           AND isIPv4String(dst_ip) AND NOT (${PRIVATE_V4})
         GROUP BY dst_ip, dst_port
       )
       GROUP BY dst_ip, dst_port
       ORDER BY attempt_count DESC, destination, dst_port
       LIMIT {limit:UInt32}`,
      { ...listParams(params), ...rollupTiers(params) },
    ).then((found) =>
      found.map((row) => ({
        destination: row.destination ?? '',
        dst_port: row.dst_port ?? 0,
        attempts: row.attempt_count ?? 0,
        blocked: row.blocked_count ?? 0,
        sources: row.source_count ?? 0,
        example_source: row.example ?? '',
        bytes_sent: row.bytes_out ?? 0,
        last_ms: row.last_ms ?? 0,
      })),
    ),
} satisfies Record<string, DashboardQuery>
