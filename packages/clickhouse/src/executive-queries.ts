import { type DashboardQuery, type DashboardQueryParams, rollupTiers, rows } from './dashboard-queries.ts'

// The executive dashboard's reads beyond the core series: time to detect, the unauthorized-attempt
// trend, mTLS coverage as observed, and identities gone quiet.

const HOUR = 3600_000
const DAY = 24 * HOUR
/** An identity silent this long (before the range end) is stale. */
const STALE_AFTER_MS = 7 * DAY
/** How far back stale identities are looked for: the raw events' retention. */
const STALE_LOOKBACK_MS = 30 * DAY

const ROLLUP_RANGE = `tenant = {tenant:String}
  AND minute >= toStartOfMinute(fromUnixTimestamp64Milli({from:Int64}, 'UTC'))
  AND minute <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')`
const BUCKET = `toUnixTimestamp(toStartOfInterval(minute, toIntervalSecond({step_s:UInt32}))) * 1000`

function seriesParams(params: DashboardQueryParams) {
  return {
    tenant: params.tenant,
    from: params.from,
    to: params.to,
    step_s: Math.max(60, Math.round(params.stepMs / 1000)),
  }
}

/** Named queries of the executive dashboard; see {@link DashboardQuery}. */
export const executivePanelQueries = {
  /**
   * Time to detect per bucket of detection time, seconds: median and p95 of (detected_at − ts), the finding's
   * wall-clock detection minus the event time of what triggered it. Exact quantiles: findings are few.
   */
  time_to_detect_series: (client, params) =>
    rows(
      client,
      `SELECT toUnixTimestamp(toStartOfInterval(detected_at, toIntervalSecond({step_s:UInt32}))) * 1000 AS ts_ms,
              count() AS finding_count,
              round(quantileExact(0.5)(greatest(0, toUnixTimestamp64Milli(detected_at) - toUnixTimestamp64Milli(ts))) / 1000, 1) AS median_s,
              round(quantileExact(0.95)(greatest(0, toUnixTimestamp64Milli(detected_at) - toUnixTimestamp64Milli(ts))) / 1000, 1) AS p95_s
       FROM findings
       WHERE tenant = {tenant:String}
         AND detected_at >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')
         AND detected_at <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')
       GROUP BY ts_ms ORDER BY ts_ms`,
      seriesParams(params),
    ),

  /**
   * Unauthorized attempts per 1,000 requests per bucket: sign-ins refused for the user's own reason
   * plus enforced denies, over sign-in attempts plus decisions (the catalogue's "denied auths per
   * 1,000 requests"), from the 1-minute rollups.
   */
  unauthorized_attempts_series: (client, params) =>
    rows(
      client,
      `SELECT ts_ms, sum(bad) AS unauthorized_count, sum(total) AS request_count,
              if(request_count = 0, NULL, round(1000 * unauthorized_count / request_count, 2)) AS per_1000
       FROM (
         SELECT ${BUCKET} AS ts_ms, sum(user_failures) AS bad, sum(attempts) AS total
         FROM auth_rollup_1m WHERE ${ROLLUP_RANGE} GROUP BY ts_ms
         UNION ALL
         SELECT ${BUCKET} AS ts_ms, sum(denies) AS bad, sum(decisions) AS total
         FROM decision_rollup_1m WHERE ${ROLLUP_RANGE} GROUP BY ts_ms
       )
       GROUP BY ts_ms ORDER BY ts_ms`,
      seriesParams(params),
    ),

  /**
   * mTLS coverage by destination service as observed: connections between workloads (requests, not
   * replies) whose record shows mutual TLS, over those whose record says how they were secured.
   * Least covered first; connections whose source cannot tell are counted apart, not as plaintext.
   * Read from `flow_mtls_rollup_1m`, with only the partial minutes at the range's ends from the raw flows.
   */
  mtls_coverage: (client, params) =>
    rows(
      client,
      `SELECT service,
              sum(observed) AS observed_count,
              sum(mutual) AS mutual_count,
              sum(plaintext) AS plaintext_count,
              sum(unknown) AS unknown_count,
              if(observed_count = 0, NULL, mutual_count / observed_count) AS coverage
       FROM (
         -- Whole minutes from the rollup, the raw flows of the partial minutes at the range's ends.
         SELECT service, observed, mutual, plaintext, unknown
         FROM flow_mtls_rollup_1m
         WHERE tenant = {tenant:String}
           AND minute >= fromUnixTimestamp64Milli({minute_start:Int64}, 'UTC')
           AND minute < fromUnixTimestamp64Milli({minute_end:Int64}, 'UTC')
         UNION ALL
         SELECT service, toUInt64(mtls IS NOT NULL), toUInt64(mtls = 'mutual'), toUInt64(mtls = 'plaintext'), toUInt64(mtls IS NULL)
         FROM flow_events
         WHERE tenant = {tenant:String}
           AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')
           AND ts <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')
           AND (ts < fromUnixTimestamp64Milli({minute_start:Int64}, 'UTC')
                OR ts >= fromUnixTimestamp64Milli({minute_end:Int64}, 'UTC'))
           AND NOT ifNull(is_reply, false) AND dst_identity != ''
       )
       GROUP BY service
       HAVING observed_count + unknown_count > 0
       ORDER BY coverage IS NULL, coverage, observed_count DESC, service
       LIMIT {limit:UInt32}`,
      {
        tenant: params.tenant,
        from: params.from,
        to: params.to,
        ...rollupTiers(params),
        limit: params.limit,
      },
    ).then((found) =>
      found.map(({ observed_count, mutual_count, plaintext_count, unknown_count, ...row }) => ({
        service: row.service ?? '',
        observed: observed_count ?? 0,
        mutual: mutual_count ?? 0,
        plaintext: plaintext_count ?? 0,
        unknown: unknown_count ?? 0,
        coverage: row.coverage ?? null,
      })),
    ),

  /**
   * Stale identities: principals that signed in during the 30 days before the range end and have
   * been silent for the last 7 of them (accounts and service credentials to review or revoke).
   * Whole hours from `principal_sign_in_rollup_1h`, the partial hours at the lookback's ends from
   * the raw sign-ins.
   */
  stale_identities: (client, params) => {
    const lookbackFrom = params.to - STALE_LOOKBACK_MS
    const { hour_start: hourStart, hour_end: hourEnd } = rollupTiers({ from: lookbackFrom, to: params.to })
    return rows(
      client,
      `SELECT principal, any(type) AS principal_type,
              toUnixTimestamp64Milli(max(seen)) AS last_seen_ms,
              sum(n) AS sign_ins,
              round((toUnixTimestamp64Milli(fromUnixTimestamp64Milli({to:Int64}, 'UTC')) - last_seen_ms) / 86400000, 1) AS silent_days
       FROM (
         SELECT principal, principal_type AS type, sign_ins AS n, last_seen AS seen
         FROM principal_sign_in_rollup_1h
         WHERE tenant = {tenant:String}
           AND hour >= fromUnixTimestamp64Milli({hour_start:Int64}, 'UTC')
           AND hour < fromUnixTimestamp64Milli({hour_end:Int64}, 'UTC')
         UNION ALL
         SELECT principal, toString(any(principal_type)), count(), max(ts)
         FROM auth_events
         WHERE tenant = {tenant:String}
           AND ts >= fromUnixTimestamp64Milli({lookback_from:Int64}, 'UTC')
           AND ts <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')
           AND (ts < fromUnixTimestamp64Milli({hour_start:Int64}, 'UTC')
                OR ts >= fromUnixTimestamp64Milli({hour_end:Int64}, 'UTC'))
           AND outcome = 'success'
         GROUP BY principal
       )
       GROUP BY principal
       HAVING last_seen_ms < {stale_before:Int64}
       ORDER BY last_seen_ms, principal
       LIMIT {limit:UInt32}`,
      {
        tenant: params.tenant,
        to: params.to,
        lookback_from: lookbackFrom,
        hour_start: hourStart,
        hour_end: hourEnd,
        stale_before: params.to - STALE_AFTER_MS,
        limit: params.limit,
      },
    )
  },

  /**
   * What every chart marks on its time axis: policy rollouts and changes (with their status, so a
   * failed rollout stands out) and incidents opening (the first notification of a dedup key in the
   * range), oldest first. Deployments appear when a source reports them as policy changes.
   */
  annotations: (client, params) =>
    rows(
      client,
      `SELECT ts_ms, kind, label, id FROM (
         SELECT toUnixTimestamp64Milli(ts) AS ts_ms, 'rollout' AS kind,
                concat(toString(change_type), ' ', policy_id, if(revision != '', concat(' → ', revision), ''),
                       if(enforcement_point != '', concat(' on ', toString(enforcement_point)), ''),
                       if(status NOT IN ('', 'succeeded', 'applied'), concat(' (', toString(status), ')'), '')) AS label,
                event_id AS id
         FROM policy_change_events
         WHERE tenant = {tenant:String}
           AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')
           AND ts <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')
         UNION ALL
         SELECT toUnixTimestamp64Milli(min(recorded_at)) AS ts_ms, 'incident' AS kind,
                concat(toString(argMin(alertname, recorded_at)), ': ', argMin(summary, recorded_at)) AS label,
                dedup_key AS id
         FROM alert_notifications
         WHERE tenant = {tenant:String}
           AND recorded_at >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')
           AND recorded_at <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')
           AND action = 'trigger'
         GROUP BY dedup_key
       )
       ORDER BY ts_ms, kind, id
       LIMIT {limit:UInt32}`,
      { tenant: params.tenant, from: params.from, to: params.to, limit: params.limit },
    ),
} satisfies Record<string, DashboardQuery>
