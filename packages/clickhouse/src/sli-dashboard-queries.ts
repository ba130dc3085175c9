import type { DashboardQuery, DashboardQueryParams } from './dashboard-queries.ts'
import { rows } from './dashboard-queries.ts'

// Series of the catalogue SLIs (issue 19) for dashboard panels, from the rollups of
// sql/0011_perimeter_slis.sql: counters summed per bucket, ratios computed from the sums.

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

/** Named queries of the SLI panels; spread into `dashboardQueries`. */
export const sliDashboardQueries = {
  /**
   * Token refreshes per minute (all applications), failed refreshes and the busiest application's
   * rate: a refresh storm shows as a step in the rate and a burst of failures.
   */
  token_refresh_series: (client, params) =>
    rows(
      client,
      `SELECT ts_ms,
              sum(refreshes) AS refresh_count,
              sum(failed) AS failed_refresh_count,
              round(refresh_count / ({step_s:UInt32} / 60), 2) AS refreshes_per_min,
              round(max(refreshes) / ({step_s:UInt32} / 60), 2) AS busiest_app_per_min,
              argMax(service, refreshes) AS busiest_app,
              sum(grants) AS grant_count,
              sum(revocations) AS revocation_count
       FROM (
         SELECT ${BUCKET} AS ts_ms, service, sum(refreshes) AS refreshes, sum(failed_refreshes) AS failed,
                sum(grants) AS grants, sum(revocations) AS revocations
         FROM token_rollup_1m
         WHERE ${ROLLUP_RANGE}
         GROUP BY ts_ms, service
       )
       GROUP BY ts_ms ORDER BY ts_ms`,
      seriesParams(params),
    ),

  /** Share of timed decisions within 50 ms (the latency SLI) and PDP cache hits per bucket. */
  decision_sli_series: (client, params) =>
    rows(
      client,
      `SELECT ${BUCKET} AS ts_ms,
              sum(timed) AS timed_count,
              if(timed_count = 0, NULL, sum(under_50ms) / timed_count) AS within_50ms_ratio,
              sum(cache_lookups) AS cache_lookup_count,
              if(cache_lookup_count = 0, NULL, sum(cache_hits) / cache_lookup_count) AS cache_hit_ratio,
              sum(decisions) AS decision_count,
              if(decision_count = 0, NULL, sum(with_request_id) / decision_count) AS with_request_id_ratio
       FROM decision_sli_rollup_1m
       WHERE ${ROLLUP_RANGE}
       GROUP BY ts_ms ORDER BY ts_ms`,
      seriesParams(params),
    ),

  /** Findings per bucket and the share detected within 60 s of their first evidence. */
  detection_series: (client, params) =>
    rows(
      client,
      `SELECT ${BUCKET} AS ts_ms,
              sum(findings) AS finding_count,
              if(finding_count = 0, NULL, sum(within_60s) / finding_count) AS within_60s_ratio,
              if(finding_count = 0, NULL, sum(within_15m) / finding_count) AS within_15m_ratio
       FROM finding_rollup_1m
       WHERE ${ROLLUP_RANGE}
       GROUP BY ts_ms ORDER BY ts_ms`,
      seriesParams(params),
    ),

  /** Posture checks per bucket: failures, and checks the agents could not evaluate. */
  posture_series: (client, params) =>
    rows(
      client,
      `SELECT ${BUCKET} AS ts_ms,
              sum(checks) AS check_count,
              sum(failures) AS failure_count,
              sum(unknown) AS unknown_count,
              if(check_count = 0, NULL, failure_count / check_count) AS failure_ratio
       FROM posture_rollup_1m
       WHERE ${ROLLUP_RANGE}
       GROUP BY ts_ms ORDER BY ts_ms`,
      seriesParams(params),
    ),

  /** Policy rollouts, failed rollouts and out-of-band changes per bucket. */
  rollout_series: (client, params) =>
    rows(
      client,
      `SELECT ${BUCKET} AS ts_ms,
              sum(rollouts) AS rollout_count,
              sum(failed_rollouts) AS failed_rollout_count,
              sum(out_of_band) AS out_of_band_count
       FROM policy_change_rollup_1m
       WHERE ${ROLLUP_RANGE}
       GROUP BY ts_ms ORDER BY ts_ms`,
      seriesParams(params),
    ),

  /** Flows naming a workload, and egress attempts with what was blocked of them, per bucket. */
  flow_sli_series: (client, params) =>
    rows(
      client,
      `SELECT ${BUCKET} AS ts_ms,
              sum(flows) AS flow_count,
              if(flow_count = 0, NULL, sum(with_identity) / flow_count) AS with_identity_ratio,
              sum(egress) AS egress_count,
              sum(egress_blocked) AS egress_blocked_count
       FROM flow_sli_rollup_1m
       WHERE ${ROLLUP_RANGE}
       GROUP BY ts_ms ORDER BY ts_ms`,
      seriesParams(params),
    ),
} satisfies Record<string, DashboardQuery>
