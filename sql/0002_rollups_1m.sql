-- 1-minute rollups per tenant and service, filled by materialized views at insert time. They keep
-- counters (good, bad, total) and latency quantile states, never ratios: an SLO window is
-- sum(bad) / sum(total) over the rows, and percentiles merge from states.

CREATE TABLE IF NOT EXISTS auth_rollup_1m
(
    tenant           LowCardinality(String),
    service          LowCardinality(String),
    minute           DateTime('UTC'),
    attempts         SimpleAggregateFunction(sum, UInt64),
    successes        SimpleAggregateFunction(sum, UInt64),
    user_failures    SimpleAggregateFunction(sum, UInt64),
    system_failures  SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (tenant, service, minute)
TTL minute + INTERVAL 400 DAY;

-- A failure the source did not classify counts as a system failure: better a false alarm than a
-- hidden outage.
CREATE MATERIALIZED VIEW IF NOT EXISTS auth_rollup_1m_mv TO auth_rollup_1m AS
SELECT
    tenant,
    service,
    toStartOfMinute(ts) AS minute,
    count() AS attempts,
    countIf(outcome = 'success') AS successes,
    countIf(outcome = 'failure' AND failure_kind = 'user') AS user_failures,
    countIf(outcome = 'failure' AND failure_kind != 'user') AS system_failures
FROM auth_events
GROUP BY tenant, service, minute;

CREATE TABLE IF NOT EXISTS decision_rollup_1m
(
    tenant           LowCardinality(String),
    service          LowCardinality(String),
    minute           DateTime('UTC'),
    decisions        SimpleAggregateFunction(sum, UInt64),
    allows           SimpleAggregateFunction(sum, UInt64),
    denies           SimpleAggregateFunction(sum, UInt64),
    errors           SimpleAggregateFunction(sum, UInt64),
    dry_run_denies   SimpleAggregateFunction(sum, UInt64),
    latency_ms       AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (tenant, service, minute)
TTL minute + INTERVAL 400 DAY;

-- Dry-run denies are not enforced, so they are counted apart and never in `denies`. Decisions
-- whose source did not measure latency (access logs) stay out of the percentiles.
CREATE MATERIALIZED VIEW IF NOT EXISTS decision_rollup_1m_mv TO decision_rollup_1m AS
SELECT
    tenant,
    service,
    toStartOfMinute(ts) AS minute,
    count() AS decisions,
    countIf(decision = 'allow') AS allows,
    countIf(decision = 'deny' AND NOT dry_run) AS denies,
    countIf(decision = 'error') AS errors,
    countIf(decision = 'deny' AND dry_run) AS dry_run_denies,
    quantilesTDigestStateIf(0.5, 0.95, 0.99)(assumeNotNull(latency_ms), latency_ms IS NOT NULL) AS latency_ms
FROM decision_events
GROUP BY tenant, service, minute;

CREATE TABLE IF NOT EXISTS mtls_rollup_1m
(
    tenant           LowCardinality(String),
    service          LowCardinality(String),
    minute           DateTime('UTC'),
    handshakes       SimpleAggregateFunction(sum, UInt64),
    successes        SimpleAggregateFunction(sum, UInt64),
    failures         SimpleAggregateFunction(sum, UInt64),
    plaintext        SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (tenant, service, minute)
TTL minute + INTERVAL 400 DAY;

-- A record can stand for many handshakes (`count`, from metrics); a single handshake has count 1.
CREATE MATERIALIZED VIEW IF NOT EXISTS mtls_rollup_1m_mv TO mtls_rollup_1m AS
SELECT
    tenant,
    service,
    toStartOfMinute(ts) AS minute,
    sum(count) AS handshakes,
    sumIf(count, outcome = 'success') AS successes,
    sumIf(count, outcome = 'failure') AS failures,
    sumIf(count, mode = 'plaintext') AS plaintext
FROM mtls_events
GROUP BY tenant, service, minute;

CREATE TABLE IF NOT EXISTS flow_rollup_1m
(
    tenant           LowCardinality(String),
    service          LowCardinality(String),
    minute           DateTime('UTC'),
    flows            SimpleAggregateFunction(sum, UInt64),
    blocked          SimpleAggregateFunction(sum, UInt64),
    bytes            SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (tenant, service, minute)
TTL minute + INTERVAL 400 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS flow_rollup_1m_mv TO flow_rollup_1m AS
SELECT
    tenant,
    service,
    toStartOfMinute(ts) AS minute,
    count() AS flows,
    countIf(verdict IN ('dropped', 'denied')) AS blocked,
    sum(bytes_sent + bytes_received) AS bytes
FROM flow_events
GROUP BY tenant, service, minute;
