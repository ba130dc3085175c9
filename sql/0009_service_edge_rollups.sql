-- Panels whose cost does not grow with history (issue 17 item 7, issue 18 item 4). The service graph
-- read every flow of its range; it now reads edges already counted per minute and per hour, and
-- only the partial minutes at the ends of a range from the raw table. The newest-denies table read
-- every decision of its range to keep the denies; it now reads a table of enforced denies sorted
-- by time, so that "the newest 200" reads the last few granules whatever the history holds.
--
-- An edge is `client → server:port` as the format decided it: a reply (`is_reply`) counts for the
-- connection it answers (its destination is the client, its source the server, `server_port` the
-- port), and a workload is its identity, else its IP. Requests (decision logs) count on the edge
-- `caller identity → callee identity` with port 0: a decision names no port.
--
-- Run with writers stopped (as every migration): the backfill at the end of this file reads the rows
-- stored before the views existed, and a row written between the view's creation and the backfill
-- would be counted twice.

CREATE TABLE IF NOT EXISTS service_edge_rollup_1m
(
    tenant           LowCardinality(String),
    minute           DateTime('UTC'),
    src              String CODEC(ZSTD(1)),
    dst              String CODEC(ZSTD(1)),
    dst_port         UInt16,
    flows            SimpleAggregateFunction(sum, UInt64),
    blocked          SimpleAggregateFunction(sum, UInt64),
    bytes            SimpleAggregateFunction(sum, UInt64),
    -- mTLS share of an edge = mutual_flows / mtls_known_flows (flows whose source said how they ran).
    mutual_flows     SimpleAggregateFunction(sum, UInt64),
    plaintext_flows  SimpleAggregateFunction(sum, UInt64),
    mtls_known_flows SimpleAggregateFunction(sum, UInt64),
    requests         SimpleAggregateFunction(sum, UInt64),
    -- Enforced denies only: dry-run denies were not enforced.
    request_denies   SimpleAggregateFunction(sum, UInt64),
    -- First and last flow on the edge; NULL on request rows, which min/max skip.
    first_seen       SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    last_seen        SimpleAggregateFunction(max, Nullable(DateTime64(3, 'UTC')))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (tenant, minute, src, dst, dst_port)
TTL minute + INTERVAL 400 DAY;

-- The same edges per hour: a day's graph merges 24 rows per edge instead of 1,440.
CREATE TABLE IF NOT EXISTS service_edge_rollup_1h
(
    tenant           LowCardinality(String),
    hour             DateTime('UTC'),
    src              String CODEC(ZSTD(1)),
    dst              String CODEC(ZSTD(1)),
    dst_port         UInt16,
    flows            SimpleAggregateFunction(sum, UInt64),
    blocked          SimpleAggregateFunction(sum, UInt64),
    bytes            SimpleAggregateFunction(sum, UInt64),
    mutual_flows     SimpleAggregateFunction(sum, UInt64),
    plaintext_flows  SimpleAggregateFunction(sum, UInt64),
    mtls_known_flows SimpleAggregateFunction(sum, UInt64),
    requests         SimpleAggregateFunction(sum, UInt64),
    request_denies   SimpleAggregateFunction(sum, UInt64),
    first_seen       SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    last_seen        SimpleAggregateFunction(max, Nullable(DateTime64(3, 'UTC')))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (tenant, hour, src, dst, dst_port)
TTL hour + INTERVAL 400 DAY;

-- Edges without a name on either side (no identity, no address) are not drawn: they are dropped here.
CREATE MATERIALIZED VIEW IF NOT EXISTS service_edge_rollup_1m_flow_mv TO service_edge_rollup_1m AS
SELECT
    tenant,
    toStartOfMinute(ts) AS minute,
    if(ifNull(is_reply, false), if(dst_identity != '', dst_identity, dst_ip), if(src_identity != '', src_identity, src_ip)) AS src,
    if(ifNull(is_reply, false), if(src_identity != '', src_identity, src_ip), if(dst_identity != '', dst_identity, dst_ip)) AS dst,
    ifNull(server_port, flow_events.dst_port) AS dst_port,
    count() AS flows,
    countIf(verdict IN ('dropped', 'denied')) AS blocked,
    sum(bytes_sent + bytes_received) AS bytes,
    countIf(mtls = 'mutual') AS mutual_flows,
    countIf(mtls = 'plaintext') AS plaintext_flows,
    countIf(mtls IS NOT NULL) AS mtls_known_flows,
    toUInt64(0) AS requests,
    toUInt64(0) AS request_denies,
    CAST(min(ts) AS Nullable(DateTime64(3, 'UTC'))) AS first_seen,
    CAST(max(ts) AS Nullable(DateTime64(3, 'UTC'))) AS last_seen
FROM flow_events
WHERE src != '' AND dst != ''
GROUP BY tenant, minute, src, dst, dst_port;

CREATE MATERIALIZED VIEW IF NOT EXISTS service_edge_rollup_1m_request_mv TO service_edge_rollup_1m AS
SELECT
    tenant,
    toStartOfMinute(ts) AS minute,
    src_identity AS src,
    dst_identity AS dst,
    toUInt16(0) AS dst_port,
    toUInt64(0) AS flows,
    toUInt64(0) AS blocked,
    toUInt64(0) AS bytes,
    toUInt64(0) AS mutual_flows,
    toUInt64(0) AS plaintext_flows,
    toUInt64(0) AS mtls_known_flows,
    count() AS requests,
    countIf(decision = 'deny' AND NOT dry_run) AS request_denies,
    CAST(NULL AS Nullable(DateTime64(3, 'UTC'))) AS first_seen,
    CAST(NULL AS Nullable(DateTime64(3, 'UTC'))) AS last_seen
FROM decision_events
WHERE src_identity != '' AND dst_identity != ''
GROUP BY tenant, minute, src, dst;

-- Fed from the minute table (a cascade), so that every row counted per minute is counted per hour.
CREATE MATERIALIZED VIEW IF NOT EXISTS service_edge_rollup_1h_mv TO service_edge_rollup_1h AS
SELECT
    tenant,
    toStartOfHour(minute) AS hour,
    src,
    dst,
    dst_port,
    sum(flows) AS flows,
    sum(blocked) AS blocked,
    sum(bytes) AS bytes,
    sum(mutual_flows) AS mutual_flows,
    sum(plaintext_flows) AS plaintext_flows,
    sum(mtls_known_flows) AS mtls_known_flows,
    sum(requests) AS requests,
    sum(request_denies) AS request_denies,
    min(first_seen) AS first_seen,
    max(last_seen) AS last_seen
FROM service_edge_rollup_1m
GROUP BY tenant, hour, src, dst, dst_port;

-- Enforced denies with what the on-call table shows, newest read first. Its retention follows the
-- decision events' (applyEventRetention sets both).
CREATE TABLE IF NOT EXISTS decision_denies
(
    tenant            LowCardinality(String),
    ts                DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
    event_id          String,
    service           LowCardinality(String),
    request_id        String CODEC(ZSTD(1)),
    subject           String CODEC(ZSTD(1)),
    src_identity      String CODEC(ZSTD(1)),
    dst_identity      String CODEC(ZSTD(1)),
    action            LowCardinality(String),
    resource          String CODEC(ZSTD(1)),
    policy_id         LowCardinality(String),
    policy_revision   LowCardinality(String),
    pdp               LowCardinality(String),
    enforcement_point LowCardinality(String),
    latency_ms        Nullable(Float64)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, ts, event_id)
TTL ts + INTERVAL 30 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS decision_denies_mv TO decision_denies AS
SELECT tenant, ts, event_id, service, request_id, subject, src_identity, dst_identity, action, resource,
       policy_id, policy_revision, pdp, enforcement_point, latency_ms
FROM decision_events
WHERE decision = 'deny' AND NOT dry_run;

-- Backfill: what was stored before this migration, through the same expressions as the views.
INSERT INTO service_edge_rollup_1m
SELECT
    tenant,
    toStartOfMinute(ts) AS minute,
    if(ifNull(is_reply, false), if(dst_identity != '', dst_identity, dst_ip), if(src_identity != '', src_identity, src_ip)) AS src,
    if(ifNull(is_reply, false), if(src_identity != '', src_identity, src_ip), if(dst_identity != '', dst_identity, dst_ip)) AS dst,
    ifNull(server_port, flow_events.dst_port) AS dst_port,
    count() AS flows,
    countIf(verdict IN ('dropped', 'denied')) AS blocked,
    sum(bytes_sent + bytes_received) AS bytes,
    countIf(mtls = 'mutual') AS mutual_flows,
    countIf(mtls = 'plaintext') AS plaintext_flows,
    countIf(mtls IS NOT NULL) AS mtls_known_flows,
    toUInt64(0) AS requests,
    toUInt64(0) AS request_denies,
    CAST(min(ts) AS Nullable(DateTime64(3, 'UTC'))) AS first_seen,
    CAST(max(ts) AS Nullable(DateTime64(3, 'UTC'))) AS last_seen
FROM flow_events
WHERE src != '' AND dst != ''
GROUP BY tenant, minute, src, dst, dst_port;

INSERT INTO service_edge_rollup_1m
SELECT
    tenant,
    toStartOfMinute(ts) AS minute,
    src_identity AS src,
    dst_identity AS dst,
    toUInt16(0) AS dst_port,
    toUInt64(0) AS flows,
    toUInt64(0) AS blocked,
    toUInt64(0) AS bytes,
    toUInt64(0) AS mutual_flows,
    toUInt64(0) AS plaintext_flows,
    toUInt64(0) AS mtls_known_flows,
    count() AS requests,
    countIf(decision = 'deny' AND NOT dry_run) AS request_denies,
    CAST(NULL AS Nullable(DateTime64(3, 'UTC'))) AS first_seen,
    CAST(NULL AS Nullable(DateTime64(3, 'UTC'))) AS last_seen
FROM decision_events
WHERE src_identity != '' AND dst_identity != ''
GROUP BY tenant, minute, src, dst;

INSERT INTO decision_denies
SELECT tenant, ts, event_id, service, request_id, subject, src_identity, dst_identity, action, resource,
       policy_id, policy_revision, pdp, enforcement_point, latency_ms
FROM decision_events
WHERE decision = 'deny' AND NOT dry_run;
