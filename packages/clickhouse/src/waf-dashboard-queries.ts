import type { DashboardQuery } from './dashboard-queries.ts'
import { rows } from './dashboard-queries.ts'

// "Top triggered WAF rules" (issue 17): rule hits from `waf_rule_hits_1m` (sql/0014), filled by a
// view from the rules each WAF decision lists. The read follows the range and the number of rules.

const ROLLUP_RANGE = `tenant = {tenant:String}
  AND minute >= toStartOfMinute(fromUnixTimestamp64Milli({from:Int64}, 'UTC'))
  AND minute <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')`

/** Named queries of the WAF panels; spread into `dashboardQueries`. */
export const wafDashboardQueries = {
  /**
   * The rules that matched most requests over the range, by rule, what it did (block, count,
   * match, ...) and the web ACL or WAF that ran it; with the hits on requests that were denied and
   * the clients that triggered it most (approximate top 5, merged from per-minute states).
   */
  top_waf_rules: (client, params) =>
    rows(
      client,
      `SELECT rule_id,
              rule_action,
              enforcement_point,
              sum(hits) AS hit_count,
              sum(denied_hits) AS denied_count,
              topKIfMerge(5)(client_ips) AS top_client_ips
       FROM waf_rule_hits_1m
       WHERE ${ROLLUP_RANGE}
       GROUP BY rule_id, rule_action, enforcement_point
       ORDER BY hit_count DESC, rule_id, rule_action, enforcement_point
       LIMIT {limit:UInt32}`,
      { tenant: params.tenant, from: params.from, to: params.to, limit: params.limit },
    ),
} satisfies Record<string, DashboardQuery>
