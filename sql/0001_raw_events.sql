-- Raw events, one table per kind. Queries filter by tenant and time and group by service, so the
-- sort key leads with tenant and service; event_id gets a bloom filter because the writer looks
-- ids up to drop client retries. Low-cardinality labels are LowCardinality; times are
-- DateTime64(3, 'UTC') so that results never come back in the host's zone.
-- Monthly partitions: a backfill batch may span months, and ClickHouse refuses an insert block that
-- touches more than 100 partitions; TTL removes expired rows in merges.

CREATE TABLE IF NOT EXISTS flow_events
(
    tenant          LowCardinality(String),
    event_id        String,
    ts              DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
    observed_at     DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
    source          LowCardinality(String),
    service         LowCardinality(String),
    src_identity    String CODEC(ZSTD(1)),
    dst_identity    String CODEC(ZSTD(1)),
    src_ip          String CODEC(ZSTD(1)),
    dst_ip          String CODEC(ZSTD(1)),
    src_port        UInt16,
    dst_port        UInt16,
    protocol        LowCardinality(String),
    verdict         LowCardinality(String),
    bytes_sent      UInt64 CODEC(T64, ZSTD(1)),
    bytes_received  UInt64 CODEC(T64, ZSTD(1)),
    packets         UInt64 CODEC(T64, ZSTD(1)),
    duration_ms     Float64 CODEC(Gorilla, ZSTD(1)),
    encrypted       Nullable(Bool),
    INDEX idx_event_id event_id TYPE bloom_filter(0.001) GRANULARITY 2
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, service, ts)
TTL toDateTime(ts) + INTERVAL 30 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS auth_events
(
    tenant          LowCardinality(String),
    event_id        String,
    ts              DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
    observed_at     DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
    source          LowCardinality(String),
    service         LowCardinality(String),
    principal       String CODEC(ZSTD(1)),
    principal_type  LowCardinality(String),
    outcome         LowCardinality(String),
    failure_kind    LowCardinality(String),
    reason          String CODEC(ZSTD(1)),
    method          LowCardinality(String),
    client_ip       String CODEC(ZSTD(1)),
    country         LowCardinality(String),
    city            LowCardinality(String),
    user_agent      String CODEC(ZSTD(3)),
    INDEX idx_event_id event_id TYPE bloom_filter(0.001) GRANULARITY 2,
    INDEX idx_principal principal TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, service, ts)
TTL toDateTime(ts) + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS mtls_events
(
    tenant          LowCardinality(String),
    event_id        String,
    ts              DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
    observed_at     DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
    source          LowCardinality(String),
    service         LowCardinality(String),
    src_identity    String CODEC(ZSTD(1)),
    dst_identity    String CODEC(ZSTD(1)),
    dst_port        UInt16,
    mode            LowCardinality(String),
    outcome         LowCardinality(String),
    reason          LowCardinality(String),
    tls_version     LowCardinality(String),
    handshake_ms    Nullable(Float64),
    cert_not_after  Nullable(DateTime64(3, 'UTC')),
    count           UInt32 DEFAULT 1,
    INDEX idx_event_id event_id TYPE bloom_filter(0.001) GRANULARITY 2
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, service, ts)
TTL toDateTime(ts) + INTERVAL 30 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS decision_events
(
    tenant            LowCardinality(String),
    event_id          String,
    ts                DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
    observed_at       DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
    source            LowCardinality(String),
    service           LowCardinality(String),
    request_id        String CODEC(ZSTD(1)),
    pdp               LowCardinality(String),
    enforcement_point LowCardinality(String),
    subject           String CODEC(ZSTD(1)),
    src_identity      String CODEC(ZSTD(1)),
    dst_identity      String CODEC(ZSTD(1)),
    action            LowCardinality(String),
    resource          String CODEC(ZSTD(1)),
    decision          LowCardinality(String),
    policy_id         LowCardinality(String),
    policy_revision   LowCardinality(String),
    latency_ms        Nullable(Float64),
    dry_run           Bool,
    cache_hit         Nullable(Bool),
    INDEX idx_event_id event_id TYPE bloom_filter(0.001) GRANULARITY 2,
    INDEX idx_request_id request_id TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, service, ts)
TTL toDateTime(ts) + INTERVAL 30 DAY
SETTINGS non_replicated_deduplication_window = 10000;

-- Policy changes are few and kept for audits: a year.
CREATE TABLE IF NOT EXISTS policy_change_events
(
    tenant            LowCardinality(String),
    event_id          String,
    ts                DateTime64(3, 'UTC'),
    observed_at       DateTime64(3, 'UTC'),
    source            LowCardinality(String),
    service           LowCardinality(String),
    policy_id         String,
    revision          String,
    previous_revision String,
    change_type       LowCardinality(String),
    status            LowCardinality(String),
    enforcement_point LowCardinality(String),
    actor             String,
    dry_run           Bool,
    INDEX idx_event_id event_id TYPE bloom_filter(0.001) GRANULARITY 1
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, ts, policy_id)
TTL toDateTime(ts) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 10000;
