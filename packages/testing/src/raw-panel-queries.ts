/**
 * The panels that read raw rows before migration 0009 (every flow, every decision of the range),
 * as they were: the reference the rollup panels must answer exactly (tests), and the baseline
 * `bench:query` prints beside them. Parameters: tenant, from, to (epoch ms), limit.
 */
export const rawPanelQueries = {
  service_graph: `SELECT src, dst, port AS dst_port,
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
   WHERE tenant = {tenant:String}
     AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')
     AND ts <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')
 )
 GROUP BY src, dst, dst_port
 HAVING src != '' AND dst != ''
 ORDER BY flows DESC, src, dst, dst_port
 LIMIT {limit:UInt32}`,

  top_denied: `SELECT toUnixTimestamp64Milli(ts) AS ts_ms, service, request_id, subject, src_identity, dst_identity,
        action, resource, policy_id, policy_revision, pdp, enforcement_point, latency_ms,
        multiIf(subject != '', subject, src_identity != '', src_identity, '') AS caller,
        if(policy_id != '', concat('denied by ', policy_id), 'denied') AS reason
 FROM decision_events
 WHERE tenant = {tenant:String}
   AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')
   AND ts <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')
   AND decision = 'deny' AND NOT dry_run
 ORDER BY ts DESC, event_id
 LIMIT {limit:UInt32}`,
} as const
