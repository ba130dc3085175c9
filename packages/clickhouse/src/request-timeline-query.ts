import type { ClickHouseClient } from '@clickhouse/client'
import { rows } from './dashboard-queries.ts'

/** One record of a request's decision timeline. */
export interface RequestTimelineRow {
  ts_ms: number
  event_id: string
  source: string
  pdp: string
  enforcement_point: string
  decision: string
  dry_run: boolean
  subject: string
  src_identity: string
  dst_identity: string
  action: string
  resource: string
  policy_id: string
  policy_revision: string
  latency_ms: number | null
  cache_hit: boolean | null
  service: string
}

/**
 * Every decision recorded for one request, oldest first, across sources and enforcement points:
 * the id is the `x-request-id` that Envoy and Istio log and OPA's input carries (OPA's trace id
 * when the input has none), so the hops of one request line up. Reads the `request_id` bloom index.
 */
export function queryRequestTimeline(
  client: ClickHouseClient,
  params: { tenant: string; requestId: string; from: number; to: number; limit: number },
): Promise<RequestTimelineRow[]> {
  return rows<RequestTimelineRow>(
    client,
    `SELECT toUnixTimestamp64Milli(ts) AS ts_ms, event_id, toString(source) AS source, toString(pdp) AS pdp,
            toString(enforcement_point) AS enforcement_point, toString(decision) AS decision, dry_run,
            subject, src_identity, dst_identity, toString(action) AS action, resource,
            toString(policy_id) AS policy_id, toString(policy_revision) AS policy_revision,
            latency_ms, cache_hit, toString(service) AS service
     FROM decision_events
     WHERE tenant = {tenant:String}
       AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')
       AND ts <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')
       AND request_id = {request_id:String}
     ORDER BY ts, event_id
     LIMIT {limit:UInt32}`,
    {
      tenant: params.tenant,
      from: params.from,
      to: params.to,
      request_id: params.requestId,
      limit: params.limit,
    },
  )
}
