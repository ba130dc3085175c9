import type { ClickHouseClient } from '@palisade/clickhouse'

/** What {@link insertSyntheticEvents} generates. */
export interface SyntheticEventsOptions {
  tenant: string
  /** How many events in all; split 60 % flows, 25 % decisions, 10 % auth, 5 % mTLS. */
  events: number
  /** First and last event time, epoch ms; events are spread evenly between them, in time order. */
  from: number
  to: number
  /** Varies the shapes and the ids between calls (default 1). */
  seed?: number
  /** Rows per INSERT … SELECT (default 5,000,000): bounds the engine's memory per statement. */
  chunk?: number
}

/** How many events of each kind {@link insertSyntheticEvents} stored. */
export interface SyntheticEventCounts {
  flow: number
  decision: number
  auth: number
  mtls: number
}

/** Workloads in the generated mesh; each calls three others, so about 180 service edges. */
const WORKLOADS = 60

// Shared by every kind: `number` (the event's index), `h` (its hash: every choice below reads
// other bits of it), the client workload and the server it calls, and the event time.
const SOURCE_ROWS = `SELECT number, h,
    h % ${WORKLOADS} AS client,
    (client * 7 + bitShiftRight(h, 8) % 3 * 13 + 1) % ${WORKLOADS} AS server,
    [8080, 443, 5432, 9092][server % 4 + 1] AS port,
    concat('spiffe://', {tenant:String}, '.io/ns/', ['shop', 'edge', 'data', 'finance'][client % 4 + 1], '/sa/svc-', toString(client)) AS client_id,
    concat('spiffe://', {tenant:String}, '.io/ns/', ['shop', 'edge', 'data', 'finance'][server % 4 + 1], '/sa/svc-', toString(server)) AS server_id,
    fromUnixTimestamp64Milli({from:Int64} + toInt64(intDiv(number * {span:UInt64}, {total:UInt64})), 'UTC') AS t
  FROM (SELECT number, cityHash64(number, {seed:UInt32}) AS h FROM numbers({offset:UInt64}, {count:UInt64}))`

// Flows as the formats decide them: 30 % replies (the server's side, `server_port` set), 20 % from
// sources that cannot tell (`is_reply` and `server_port` NULL), 10 % with addresses only (no
// identity: egress to the internet); 2 % dropped, 0.5 % denied; mTLS mostly mutual, sometimes
// unknown.
const FLOW_INSERT = `INSERT INTO flow_events (tenant, event_id, ts, observed_at, source, service, src_identity,
    dst_identity, src_ip, dst_ip, src_port, dst_port, protocol, verdict, bytes_sent, bytes_received, packets,
    duration_ms, encrypted, is_reply, server_port, mtls, src_pod, dst_pod, src_app, dst_app)
  SELECT {tenant:String}, concat('syn-f-', toString({seed:UInt32}), '-', toString(number)), t,
    t + toIntervalMillisecond(h % 1500), ['hubble', 'vpc', 'zeek'][bitShiftRight(h, 28) % 3 + 1],
    concat('svc-', toString(server)),
    if(address_only, '', if(reply_class = 'reply', server_id, client_id)),
    if(address_only, '', if(reply_class = 'reply', client_id, server_id)),
    if(reply_class = 'reply', server_ip, client_ip), if(reply_class = 'reply', client_ip, server_ip),
    if(reply_class = 'reply', port, ephemeral), if(reply_class = 'reply', ephemeral, port), 'tcp',
    multiIf(bitShiftRight(h, 32) % 200 < 4, 'dropped', bitShiftRight(h, 32) % 200 = 4, 'denied', 'allowed'),
    bitShiftRight(h, 12) % 20000, bitShiftRight(h, 20) % 200000, 2 + bitShiftRight(h, 40) % 60, (bitShiftRight(h, 44) % 5000) / 10,
    mtls_mode = 'mutual' OR mtls_mode = 'tls',
    multiIf(reply_class = 'reply', true, reply_class = 'unknown', NULL, false),
    if(reply_class = 'unknown', NULL, toUInt16(port)),
    mtls_mode,
    concat('svc-', toString(client), '-', toString(bitShiftRight(h, 36) % 3)), concat('svc-', toString(server), '-0'),
    concat('svc-', toString(client)), concat('svc-', toString(server))
  FROM (
    SELECT *, bitShiftRight(h, 16) % 10 = 0 AS address_only,
      multiIf(bitShiftRight(h, 20) % 10 < 3, 'reply', bitShiftRight(h, 20) % 10 < 5, 'unknown', 'request') AS reply_class,
      concat('10.0.', toString(client), '.', toString(bitShiftRight(h, 24) % 4)) AS client_ip,
      if(address_only, concat('203.0.113.', toString(server % 32)), concat('10.1.', toString(server), '.1')) AS server_ip,
      toUInt16(32768 + bitShiftRight(h, 48) % 28000) AS ephemeral,
      CAST([NULL, 'mutual', 'mutual', 'mutual', 'mutual', 'mutual', 'mutual', 'tls', 'plaintext', NULL][bitShiftRight(h, 52) % 10 + 1]
        AS LowCardinality(Nullable(String))) AS mtls_mode
    FROM (${SOURCE_ROWS})
  )`

// Decisions between the same workloads: 3 % enforced denies, 1 % dry-run denies, 0.5 % PDP errors.
const DECISION_INSERT = `INSERT INTO decision_events (tenant, event_id, ts, observed_at, source, service, request_id,
    pdp, enforcement_point, subject, src_identity, dst_identity, action, resource, decision, policy_id,
    policy_revision, latency_ms, dry_run, cache_hit)
  SELECT {tenant:String}, concat('syn-d-', toString({seed:UInt32}), '-', toString(number)), t,
    t + toIntervalMillisecond(h % 1500), ['opa', 'envoy'][bitShiftRight(h, 28) % 2 + 1], concat('svc-', toString(server)),
    lower(hex(h)), ['opa', 'ext_authz'][bitShiftRight(h, 28) % 2 + 1], ['envoy-sidecar', 'gateway'][bitShiftRight(h, 30) % 2 + 1],
    if(bitShiftRight(h, 16) % 4 = 0, concat('user-', toString(bitShiftRight(h, 18) % 500), '@', {tenant:String}, '.io'), ''),
    client_id, server_id, ['GET', 'POST', 'PUT', 'DELETE'][bitShiftRight(h, 34) % 4 + 1],
    concat('/api/v1/', ['orders', 'payments', 'users', 'items'][bitShiftRight(h, 36) % 4 + 1], '/', toString(bitShiftRight(h, 38) % 1000)),
    multiIf(roll < 30, 'deny', roll < 40, 'deny', roll < 45, 'error', 'allow'),
    concat('authz.svc_', toString(server)), concat('r', toString(1 + bitShiftRight(h, 44) % 5)),
    if(bitShiftRight(h, 46) % 5 = 0, NULL, (bitShiftRight(h, 48) % 4000) / 1000), roll >= 30 AND roll < 40, bitShiftRight(h, 47) % 2 = 0
  FROM (SELECT *, bitShiftRight(h, 52) % 1000 AS roll FROM (${SOURCE_ROWS}))`

const AUTH_INSERT = `INSERT INTO auth_events (tenant, event_id, ts, observed_at, source, service, principal,
    principal_type, outcome, failure_kind, reason, method, client_ip, country, city, user_agent)
  SELECT {tenant:String}, concat('syn-a-', toString({seed:UInt32}), '-', toString(number)), t,
    t + toIntervalMillisecond(h % 1500), 'okta', ['sso', 'vpn', 'admin'][bitShiftRight(h, 28) % 3 + 1],
    concat('user-', toString(bitShiftRight(h, 16) % 500), '@', {tenant:String}, '.io'), 'user',
    if(bitShiftRight(h, 32) % 100 < 6, 'failure', 'success'),
    if(bitShiftRight(h, 32) % 100 < 6, if(bitShiftRight(h, 32) % 100 < 5, 'user', 'system'), ''),
    if(bitShiftRight(h, 32) % 100 < 6, 'INVALID_CREDENTIALS', ''), ['password', 'mfa_push', 'oidc'][bitShiftRight(h, 36) % 3 + 1],
    concat('198.51.100.', toString(bitShiftRight(h, 40) % 200)), ['US', 'DE', 'FR', 'JP'][bitShiftRight(h, 48) % 4 + 1], '',
    'Mozilla/5.0'
  FROM (${SOURCE_ROWS})`

const MTLS_INSERT = `INSERT INTO mtls_events (tenant, event_id, ts, observed_at, source, service, src_identity,
    dst_identity, dst_port, mode, outcome, reason, tls_version, handshake_ms, cert_not_after, count)
  SELECT {tenant:String}, concat('syn-m-', toString({seed:UInt32}), '-', toString(number)), t,
    t + toIntervalMillisecond(h % 1500), 'istio', concat('svc-', toString(server)), client_id, server_id, port,
    ['mutual', 'mutual', 'mutual', 'tls', 'plaintext'][bitShiftRight(h, 16) % 5 + 1],
    if(bitShiftRight(h, 20) % 100 < 2, 'failure', 'success'), if(bitShiftRight(h, 20) % 100 < 2, 'cert_expired', ''), 'TLSv1.3',
    (bitShiftRight(h, 24) % 3000) / 100, NULL, 1
  FROM (${SOURCE_ROWS})`

/**
 * Insert `events` synthetic events of one tenant straight in the engine (`INSERT … SELECT` from
 * `numbers()`, so tens of millions load in minutes; the materialized views fill the rollups as on
 * any insert). The shapes are those the formats produce: a mesh of 60 workloads calling three
 * others each, replies, address-only egress, drops and denies, dry runs, unknown mTLS. For the
 * query bench and the tests that compare panel answers; deterministic for a given seed.
 */
export async function insertSyntheticEvents(
  client: ClickHouseClient,
  options: SyntheticEventsOptions,
): Promise<SyntheticEventCounts> {
  const chunk = options.chunk ?? 5_000_000
  const flow = Math.round(options.events * 0.6)
  const decision = Math.round(options.events * 0.25)
  const auth = Math.round(options.events * 0.1)
  const counts = { flow, decision, auth, mtls: options.events - flow - decision - auth }
  const statements: [keyof SyntheticEventCounts, string][] = [
    ['flow', FLOW_INSERT],
    ['decision', DECISION_INSERT],
    ['auth', AUTH_INSERT],
    ['mtls', MTLS_INSERT],
  ]
  for (const [kind, query] of statements) {
    const total = counts[kind]
    for (let offset = 0; offset < total; offset += chunk) {
      await client.command({
        query,
        query_params: {
          tenant: options.tenant,
          seed: options.seed ?? 1,
          from: options.from,
          span: Math.max(0, options.to - options.from),
          total: Math.max(1, total),
          offset,
          count: Math.min(chunk, total - offset),
        },
      })
    }
  }
  return counts
}
