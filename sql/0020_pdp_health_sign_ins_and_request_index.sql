-- Panels and routes whose cost does not grow with history (issue 17 item 7), part three.
--
-- 1. PDP health per enforcement point, PDP and minute: the debug dashboard's `pdp_health` read
--    every decision of its range (1 to 2.4 s over 24 h at 50 M stored events); it now merges one
--    row per enforcement point, PDP and minute, and reads the raw decisions of the partial minutes
--    at the range's ends only.
-- 2. Successful sign-ins per principal and hour: `stale_identities` read 30 days of sign-ins to find
--    who went quiet; it now reads one row per principal and hour, and the raw sign-ins of the
--    partial hours at the lookback's ends only.
-- 3. Decision records by request id: request timelines read the records of the requests they show
--    by key, not through a bloom filter over every decision of the range.
--
-- Upgrading: run with writers stopped (as every migration); the INSERT … SELECT statements below
-- fill the new tables from the raw events stored (as long as those are kept: 30 days of decisions,
-- 90 of sign-ins by default), and the views keep them filled from then on.

CREATE TABLE IF NOT EXISTS pdp_health_rollup_1m
(
    tenant            LowCardinality(String),
    minute            DateTime('UTC'),
    enforcement_point LowCardinality(String),
    pdp               LowCardinality(String),
    decisions         SimpleAggregateFunction(sum, UInt64),
    errors            SimpleAggregateFunction(sum, UInt64),
    -- Decisions that report an evaluation time only (a null latency is not a fast one).
    latency_ms        AggregateFunction(quantileTDigest(0.95), Float64),
    revisions         AggregateFunction(uniqExact, String),
    current_revision  AggregateFunction(argMax, String, DateTime64(3, 'UTC')),
    last_seen         SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (tenant, minute, enforcement_point, pdp)
TTL minute + INTERVAL 400 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS pdp_health_rollup_1m_mv TO pdp_health_rollup_1m AS
SELECT
    tenant,
    toStartOfMinute(ts) AS minute,
    enforcement_point,
    pdp,
    count() AS decisions,
    countIf(decision = 'error') AS errors,
    quantileTDigestStateIf(0.95)(assumeNotNull(latency_ms), latency_ms IS NOT NULL) AS latency_ms,
    uniqExactState(toString(policy_revision)) AS revisions,
    argMaxState(toString(policy_revision), ts) AS current_revision,
    max(ts) AS last_seen
FROM decision_events
GROUP BY tenant, minute, enforcement_point, pdp;

INSERT INTO pdp_health_rollup_1m
SELECT
    tenant,
    toStartOfMinute(ts) AS minute,
    enforcement_point,
    pdp,
    count() AS decisions,
    countIf(decision = 'error') AS errors,
    quantileTDigestStateIf(0.95)(assumeNotNull(latency_ms), latency_ms IS NOT NULL) AS latency_ms,
    uniqExactState(toString(policy_revision)) AS revisions,
    argMaxState(toString(policy_revision), ts) AS current_revision,
    max(ts) AS last_seen
FROM decision_events
GROUP BY tenant, minute, enforcement_point, pdp;

-- Principals name people: kept as long as the sign-ins they count (the default retention of auth
-- events), not as long as the service rollups.
CREATE TABLE IF NOT EXISTS principal_sign_in_rollup_1h
(
    tenant            LowCardinality(String),
    hour              DateTime('UTC'),
    principal         String CODEC(ZSTD(1)),
    principal_type    SimpleAggregateFunction(any, String),
    sign_ins          SimpleAggregateFunction(sum, UInt64),
    last_seen         SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (tenant, hour, principal)
TTL hour + INTERVAL 90 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS principal_sign_in_rollup_1h_mv TO principal_sign_in_rollup_1h AS
SELECT
    tenant,
    toStartOfHour(ts) AS hour,
    principal,
    any(toString(principal_type)) AS principal_type,
    count() AS sign_ins,
    max(ts) AS last_seen
FROM auth_events
WHERE outcome = 'success'
GROUP BY tenant, hour, principal;

INSERT INTO principal_sign_in_rollup_1h
SELECT
    tenant,
    toStartOfHour(ts) AS hour,
    principal,
    any(toString(principal_type)) AS principal_type,
    count() AS sign_ins,
    max(ts) AS last_seen
FROM auth_events
WHERE outcome = 'success'
GROUP BY tenant, hour, principal;

-- The records of each request id, sorted by it: the debug dashboard's request timelines name their
-- newest failed requests (`decision_failed_requests`) and read every record of those ids here, by
-- key, instead of checking the `request_id` bloom filter of every decision granule in the range.
-- Kept as long as the decisions (applyEventRetention sets both).
CREATE TABLE IF NOT EXISTS decision_request_index
(
    tenant            LowCardinality(String),
    request_id        String CODEC(ZSTD(1)),
    ts                DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
    source            LowCardinality(String),
    enforcement_point LowCardinality(String),
    decision          LowCardinality(String)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, request_id, ts)
TTL ts + INTERVAL 30 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS decision_request_index_mv TO decision_request_index AS
SELECT tenant, request_id, ts, source, enforcement_point, decision
FROM decision_events
WHERE request_id != '';

INSERT INTO decision_request_index
SELECT tenant, request_id, ts, source, enforcement_point, decision
FROM decision_events
WHERE request_id != '';
