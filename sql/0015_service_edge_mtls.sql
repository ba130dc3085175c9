-- mTLS per edge of the service graph (issue 17 item 6), from everything the store knows about how a
-- connection ran, beside what 0009 already counts (flows whose `mtls` the format decided: mutual or
-- plaintext):
--   * flows the format saw as server-only TLS (`mtls = 'tls'`), or as encrypted without saying how
--     (`encrypted`, e.g. Azure VNet flow logs' encryption status): `tls_flows`;
--   * flows the source saw unencrypted without naming a mode: `unencrypted_flows`;
--   * handshakes (`mtls_events`: mesh TLS stats, access-log handshake failures) on the edge
--     `client identity → server identity:port`: mutual, server-only, plaintext, and failed.
--
-- Views are added, none replaced (the cluster rewrite knows CREATE and ALTER ADD COLUMN, and a view
-- dropped and made again would miss rows inserted in between): the new views write rows that carry
-- only the new counters, zero elsewhere, and only when one of them is non-zero, so the flow and
-- request counts of 0009 stay as they are and most minutes gain no row at all. Sums over the rows
-- are what every reader takes, so the extra rows add up with the old ones.
--
-- Run with writers stopped (as every migration): the backfill at the end reads the rows stored
-- before the views existed.

ALTER TABLE service_edge_rollup_1m ADD COLUMN IF NOT EXISTS tls_flows SimpleAggregateFunction(sum, UInt64) DEFAULT 0;
ALTER TABLE service_edge_rollup_1m ADD COLUMN IF NOT EXISTS unencrypted_flows SimpleAggregateFunction(sum, UInt64) DEFAULT 0;
ALTER TABLE service_edge_rollup_1m ADD COLUMN IF NOT EXISTS mutual_handshakes SimpleAggregateFunction(sum, UInt64) DEFAULT 0;
ALTER TABLE service_edge_rollup_1m ADD COLUMN IF NOT EXISTS tls_handshakes SimpleAggregateFunction(sum, UInt64) DEFAULT 0;
ALTER TABLE service_edge_rollup_1m ADD COLUMN IF NOT EXISTS plaintext_handshakes SimpleAggregateFunction(sum, UInt64) DEFAULT 0;
ALTER TABLE service_edge_rollup_1m ADD COLUMN IF NOT EXISTS failed_handshakes SimpleAggregateFunction(sum, UInt64) DEFAULT 0;

ALTER TABLE service_edge_rollup_1h ADD COLUMN IF NOT EXISTS tls_flows SimpleAggregateFunction(sum, UInt64) DEFAULT 0;
ALTER TABLE service_edge_rollup_1h ADD COLUMN IF NOT EXISTS unencrypted_flows SimpleAggregateFunction(sum, UInt64) DEFAULT 0;
ALTER TABLE service_edge_rollup_1h ADD COLUMN IF NOT EXISTS mutual_handshakes SimpleAggregateFunction(sum, UInt64) DEFAULT 0;
ALTER TABLE service_edge_rollup_1h ADD COLUMN IF NOT EXISTS tls_handshakes SimpleAggregateFunction(sum, UInt64) DEFAULT 0;
ALTER TABLE service_edge_rollup_1h ADD COLUMN IF NOT EXISTS plaintext_handshakes SimpleAggregateFunction(sum, UInt64) DEFAULT 0;
ALTER TABLE service_edge_rollup_1h ADD COLUMN IF NOT EXISTS failed_handshakes SimpleAggregateFunction(sum, UInt64) DEFAULT 0;

-- The edge as 0009's flow view names it (a reply counts for the connection it answers).
CREATE MATERIALIZED VIEW IF NOT EXISTS service_edge_rollup_1m_flow_tls_mv TO service_edge_rollup_1m AS
SELECT
    tenant,
    toStartOfMinute(ts) AS minute,
    if(ifNull(is_reply, false), if(dst_identity != '', dst_identity, dst_ip), if(src_identity != '', src_identity, src_ip)) AS src,
    if(ifNull(is_reply, false), if(src_identity != '', src_identity, src_ip), if(dst_identity != '', dst_identity, dst_ip)) AS dst,
    ifNull(server_port, flow_events.dst_port) AS dst_port,
    countIf(mtls = 'tls' OR (mtls IS NULL AND encrypted = true)) AS tls_flows,
    countIf(mtls IS NULL AND encrypted = false) AS unencrypted_flows
FROM flow_events
WHERE src != '' AND dst != ''
GROUP BY tenant, minute, src, dst, dst_port
HAVING tls_flows + unencrypted_flows > 0;

-- A record may stand for many handshakes (`count`, from metrics).
CREATE MATERIALIZED VIEW IF NOT EXISTS service_edge_rollup_1m_handshake_mv TO service_edge_rollup_1m AS
SELECT
    tenant,
    toStartOfMinute(ts) AS minute,
    src_identity AS src,
    dst_identity AS dst,
    mtls_events.dst_port AS dst_port,
    sumIf(count, mode = 'mutual' AND outcome = 'success') AS mutual_handshakes,
    sumIf(count, mode = 'tls' AND outcome = 'success') AS tls_handshakes,
    sumIf(count, mode = 'plaintext') AS plaintext_handshakes,
    sumIf(count, outcome = 'failure') AS failed_handshakes
FROM mtls_events
WHERE src_identity != '' AND dst_identity != ''
GROUP BY tenant, minute, src, dst, dst_port;

-- The new counters per hour (0009's hourly view carries the old ones), from the minute table.
CREATE MATERIALIZED VIEW IF NOT EXISTS service_edge_rollup_1h_mtls_mv TO service_edge_rollup_1h AS
SELECT
    tenant,
    toStartOfHour(minute) AS hour,
    src,
    dst,
    dst_port,
    sum(tls_flows) AS tls_flows,
    sum(unencrypted_flows) AS unencrypted_flows,
    sum(mutual_handshakes) AS mutual_handshakes,
    sum(tls_handshakes) AS tls_handshakes,
    sum(plaintext_handshakes) AS plaintext_handshakes,
    sum(failed_handshakes) AS failed_handshakes
FROM service_edge_rollup_1m
GROUP BY tenant, hour, src, dst, dst_port
HAVING tls_flows + unencrypted_flows + mutual_handshakes + tls_handshakes + plaintext_handshakes + failed_handshakes > 0;

-- Backfill: what was stored before this migration, through the same expressions as the views (the
-- hourly view above counts these rows as they arrive in the minute table).
INSERT INTO service_edge_rollup_1m
SELECT
    tenant,
    toStartOfMinute(ts) AS minute,
    if(ifNull(is_reply, false), if(dst_identity != '', dst_identity, dst_ip), if(src_identity != '', src_identity, src_ip)) AS src,
    if(ifNull(is_reply, false), if(src_identity != '', src_identity, src_ip), if(dst_identity != '', dst_identity, dst_ip)) AS dst,
    ifNull(server_port, flow_events.dst_port) AS dst_port,
    toUInt64(0) AS flows,
    toUInt64(0) AS blocked,
    toUInt64(0) AS bytes,
    toUInt64(0) AS mutual_flows,
    toUInt64(0) AS plaintext_flows,
    toUInt64(0) AS mtls_known_flows,
    toUInt64(0) AS requests,
    toUInt64(0) AS request_denies,
    CAST(NULL AS Nullable(DateTime64(3, 'UTC'))) AS first_seen,
    CAST(NULL AS Nullable(DateTime64(3, 'UTC'))) AS last_seen,
    countIf(mtls = 'tls' OR (mtls IS NULL AND encrypted = true)) AS tls_flows,
    countIf(mtls IS NULL AND encrypted = false) AS unencrypted_flows,
    toUInt64(0) AS mutual_handshakes,
    toUInt64(0) AS tls_handshakes,
    toUInt64(0) AS plaintext_handshakes,
    toUInt64(0) AS failed_handshakes
FROM flow_events
WHERE src != '' AND dst != ''
GROUP BY tenant, minute, src, dst, dst_port
HAVING tls_flows + unencrypted_flows > 0;

INSERT INTO service_edge_rollup_1m
SELECT
    tenant,
    toStartOfMinute(ts) AS minute,
    src_identity AS src,
    dst_identity AS dst,
    mtls_events.dst_port AS dst_port,
    toUInt64(0) AS flows,
    toUInt64(0) AS blocked,
    toUInt64(0) AS bytes,
    toUInt64(0) AS mutual_flows,
    toUInt64(0) AS plaintext_flows,
    toUInt64(0) AS mtls_known_flows,
    toUInt64(0) AS requests,
    toUInt64(0) AS request_denies,
    CAST(NULL AS Nullable(DateTime64(3, 'UTC'))) AS first_seen,
    CAST(NULL AS Nullable(DateTime64(3, 'UTC'))) AS last_seen,
    toUInt64(0) AS tls_flows,
    toUInt64(0) AS unencrypted_flows,
    toUInt64(sumIf(count, mode = 'mutual' AND outcome = 'success')) AS mutual_handshakes,
    toUInt64(sumIf(count, mode = 'tls' AND outcome = 'success')) AS tls_handshakes,
    toUInt64(sumIf(count, mode = 'plaintext')) AS plaintext_handshakes,
    toUInt64(sumIf(count, outcome = 'failure')) AS failed_handshakes
FROM mtls_events
WHERE src_identity != '' AND dst_identity != ''
GROUP BY tenant, minute, src, dst, dst_port;
