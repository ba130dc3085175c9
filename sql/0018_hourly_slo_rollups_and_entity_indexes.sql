-- Panels and routes whose cost does not grow with history (issue 17 item 7, issue 18 item 4), part two.
--
-- 1. Hourly SLO rollups. An SLO's windows run to 30 days; summing 30 days of 1-minute rows per
--    service was the SLO routes' whole cost. Each 1-minute SLO rollup gets an hourly twin, fed from
--    it (a cascade, so every row counted per minute is counted per hour), with the first minute
--    stored in each hour (how much of a window the data covers). A window reads whole hours from
--    the hourly table and only the minutes at its ends from the minute table.
-- 2. Decisions per tenant and minute (no service): the decision latency and deny ratio charts merged
--    one t-digest state per service and minute; they now merge one per minute.
-- 3. Entity indexes: per raw kind, one narrow row per (entity kind, entity, event) sorted by
--    (tenant, entity kind, entity, time), so an entity page reads its own newest rows and fetches
--    those events by id, instead of scanning every event of its range for the entity's columns. A
--    workload (the `service` column) needs none: the raw tables are sorted by service already.
--    Each index keeps its kind's retention (applyEventRetention sets both).
--
-- Upgrading: run with writers stopped (as every migration); the INSERT … SELECT statements below
-- fill the new tables from what is stored (the hourly and per-tenant rollups from the minute
-- rollups, the entity indexes from the raw tables, as long as those are kept), and the views keep
-- them filled from then on.

CREATE TABLE IF NOT EXISTS auth_rollup_1h
(
    tenant          LowCardinality(String),
    service         LowCardinality(String),
    hour            DateTime('UTC'),
    attempts        SimpleAggregateFunction(sum, UInt64),
    successes       SimpleAggregateFunction(sum, UInt64),
    user_failures   SimpleAggregateFunction(sum, UInt64),
    system_failures SimpleAggregateFunction(sum, UInt64),
    first_minute    SimpleAggregateFunction(min, DateTime('UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (tenant, service, hour)
TTL hour + INTERVAL 400 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS auth_rollup_1h_mv TO auth_rollup_1h AS
SELECT
    tenant,
    service,
    toStartOfHour(minute) AS hour,
    sum(attempts) AS attempts,
    sum(successes) AS successes,
    sum(user_failures) AS user_failures,
    sum(system_failures) AS system_failures,
    min(minute) AS first_minute
FROM auth_rollup_1m
GROUP BY tenant, service, hour;

INSERT INTO auth_rollup_1h
SELECT
    tenant,
    service,
    toStartOfHour(minute) AS hour,
    sum(attempts) AS attempts,
    sum(successes) AS successes,
    sum(user_failures) AS user_failures,
    sum(system_failures) AS system_failures,
    min(minute) AS first_minute
FROM auth_rollup_1m
GROUP BY tenant, service, hour;

CREATE TABLE IF NOT EXISTS mtls_rollup_1h
(
    tenant       LowCardinality(String),
    service      LowCardinality(String),
    hour         DateTime('UTC'),
    handshakes   SimpleAggregateFunction(sum, UInt64),
    successes    SimpleAggregateFunction(sum, UInt64),
    failures     SimpleAggregateFunction(sum, UInt64),
    plaintext    SimpleAggregateFunction(sum, UInt64),
    first_minute SimpleAggregateFunction(min, DateTime('UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (tenant, service, hour)
TTL hour + INTERVAL 400 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS mtls_rollup_1h_mv TO mtls_rollup_1h AS
SELECT
    tenant,
    service,
    toStartOfHour(minute) AS hour,
    sum(handshakes) AS handshakes,
    sum(successes) AS successes,
    sum(failures) AS failures,
    sum(plaintext) AS plaintext,
    min(minute) AS first_minute
FROM mtls_rollup_1m
GROUP BY tenant, service, hour;

INSERT INTO mtls_rollup_1h
SELECT
    tenant,
    service,
    toStartOfHour(minute) AS hour,
    sum(handshakes) AS handshakes,
    sum(successes) AS successes,
    sum(failures) AS failures,
    sum(plaintext) AS plaintext,
    min(minute) AS first_minute
FROM mtls_rollup_1m
GROUP BY tenant, service, hour;

CREATE TABLE IF NOT EXISTS decision_rollup_1h
(
    tenant         LowCardinality(String),
    service        LowCardinality(String),
    hour           DateTime('UTC'),
    decisions      SimpleAggregateFunction(sum, UInt64),
    allows         SimpleAggregateFunction(sum, UInt64),
    denies         SimpleAggregateFunction(sum, UInt64),
    errors         SimpleAggregateFunction(sum, UInt64),
    dry_run_denies SimpleAggregateFunction(sum, UInt64),
    first_minute   SimpleAggregateFunction(min, DateTime('UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (tenant, service, hour)
TTL hour + INTERVAL 400 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS decision_rollup_1h_mv TO decision_rollup_1h AS
SELECT
    tenant,
    service,
    toStartOfHour(minute) AS hour,
    sum(decisions) AS decisions,
    sum(allows) AS allows,
    sum(denies) AS denies,
    sum(errors) AS errors,
    sum(dry_run_denies) AS dry_run_denies,
    min(minute) AS first_minute
FROM decision_rollup_1m
GROUP BY tenant, service, hour;

INSERT INTO decision_rollup_1h
SELECT
    tenant,
    service,
    toStartOfHour(minute) AS hour,
    sum(decisions) AS decisions,
    sum(allows) AS allows,
    sum(denies) AS denies,
    sum(errors) AS errors,
    sum(dry_run_denies) AS dry_run_denies,
    min(minute) AS first_minute
FROM decision_rollup_1m
GROUP BY tenant, service, hour;

CREATE TABLE IF NOT EXISTS flow_rollup_1h
(
    tenant       LowCardinality(String),
    service      LowCardinality(String),
    hour         DateTime('UTC'),
    flows        SimpleAggregateFunction(sum, UInt64),
    blocked      SimpleAggregateFunction(sum, UInt64),
    bytes        SimpleAggregateFunction(sum, UInt64),
    first_minute SimpleAggregateFunction(min, DateTime('UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (tenant, service, hour)
TTL hour + INTERVAL 400 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS flow_rollup_1h_mv TO flow_rollup_1h AS
SELECT
    tenant,
    service,
    toStartOfHour(minute) AS hour,
    sum(flows) AS flows,
    sum(blocked) AS blocked,
    sum(bytes) AS bytes,
    min(minute) AS first_minute
FROM flow_rollup_1m
GROUP BY tenant, service, hour;

INSERT INTO flow_rollup_1h
SELECT
    tenant,
    service,
    toStartOfHour(minute) AS hour,
    sum(flows) AS flows,
    sum(blocked) AS blocked,
    sum(bytes) AS bytes,
    min(minute) AS first_minute
FROM flow_rollup_1m
GROUP BY tenant, service, hour;

CREATE TABLE IF NOT EXISTS decision_sli_rollup_1h
(
    tenant          LowCardinality(String),
    service         LowCardinality(String),
    hour            DateTime('UTC'),
    decisions       SimpleAggregateFunction(sum, UInt64),
    timed           SimpleAggregateFunction(sum, UInt64),
    under_10ms      SimpleAggregateFunction(sum, UInt64),
    under_25ms      SimpleAggregateFunction(sum, UInt64),
    under_50ms      SimpleAggregateFunction(sum, UInt64),
    under_100ms     SimpleAggregateFunction(sum, UInt64),
    under_250ms     SimpleAggregateFunction(sum, UInt64),
    under_1000ms    SimpleAggregateFunction(sum, UInt64),
    cache_lookups   SimpleAggregateFunction(sum, UInt64),
    cache_hits      SimpleAggregateFunction(sum, UInt64),
    with_request_id SimpleAggregateFunction(sum, UInt64),
    allows          SimpleAggregateFunction(sum, UInt64),
    false_denies    SimpleAggregateFunction(sum, UInt64),
    first_minute    SimpleAggregateFunction(min, DateTime('UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (tenant, service, hour)
TTL hour + INTERVAL 400 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS decision_sli_rollup_1h_mv TO decision_sli_rollup_1h AS
SELECT
    tenant,
    service,
    toStartOfHour(minute) AS hour,
    sum(decisions) AS decisions,
    sum(timed) AS timed,
    sum(under_10ms) AS under_10ms,
    sum(under_25ms) AS under_25ms,
    sum(under_50ms) AS under_50ms,
    sum(under_100ms) AS under_100ms,
    sum(under_250ms) AS under_250ms,
    sum(under_1000ms) AS under_1000ms,
    sum(cache_lookups) AS cache_lookups,
    sum(cache_hits) AS cache_hits,
    sum(with_request_id) AS with_request_id,
    sum(allows) AS allows,
    sum(false_denies) AS false_denies,
    min(minute) AS first_minute
FROM decision_sli_rollup_1m
GROUP BY tenant, service, hour;

INSERT INTO decision_sli_rollup_1h
SELECT
    tenant,
    service,
    toStartOfHour(minute) AS hour,
    sum(decisions) AS decisions,
    sum(timed) AS timed,
    sum(under_10ms) AS under_10ms,
    sum(under_25ms) AS under_25ms,
    sum(under_50ms) AS under_50ms,
    sum(under_100ms) AS under_100ms,
    sum(under_250ms) AS under_250ms,
    sum(under_1000ms) AS under_1000ms,
    sum(cache_lookups) AS cache_lookups,
    sum(cache_hits) AS cache_hits,
    sum(with_request_id) AS with_request_id,
    sum(allows) AS allows,
    sum(false_denies) AS false_denies,
    min(minute) AS first_minute
FROM decision_sli_rollup_1m
GROUP BY tenant, service, hour;

CREATE TABLE IF NOT EXISTS policy_change_rollup_1h
(
    tenant          LowCardinality(String),
    service         LowCardinality(String),
    hour            DateTime('UTC'),
    changes         SimpleAggregateFunction(sum, UInt64),
    rollouts        SimpleAggregateFunction(sum, UInt64),
    failed_rollouts SimpleAggregateFunction(sum, UInt64),
    rollbacks       SimpleAggregateFunction(sum, UInt64),
    out_of_band     SimpleAggregateFunction(sum, UInt64),
    dry_runs        SimpleAggregateFunction(sum, UInt64),
    first_minute    SimpleAggregateFunction(min, DateTime('UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (tenant, service, hour)
TTL hour + INTERVAL 400 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS policy_change_rollup_1h_mv TO policy_change_rollup_1h AS
SELECT
    tenant,
    service,
    toStartOfHour(minute) AS hour,
    sum(changes) AS changes,
    sum(rollouts) AS rollouts,
    sum(failed_rollouts) AS failed_rollouts,
    sum(rollbacks) AS rollbacks,
    sum(out_of_band) AS out_of_band,
    sum(dry_runs) AS dry_runs,
    min(minute) AS first_minute
FROM policy_change_rollup_1m
GROUP BY tenant, service, hour;

INSERT INTO policy_change_rollup_1h
SELECT
    tenant,
    service,
    toStartOfHour(minute) AS hour,
    sum(changes) AS changes,
    sum(rollouts) AS rollouts,
    sum(failed_rollouts) AS failed_rollouts,
    sum(rollbacks) AS rollbacks,
    sum(out_of_band) AS out_of_band,
    sum(dry_runs) AS dry_runs,
    min(minute) AS first_minute
FROM policy_change_rollup_1m
GROUP BY tenant, service, hour;

CREATE TABLE IF NOT EXISTS flow_sli_rollup_1h
(
    tenant         LowCardinality(String),
    service        LowCardinality(String),
    hour           DateTime('UTC'),
    flows          SimpleAggregateFunction(sum, UInt64),
    with_identity  SimpleAggregateFunction(sum, UInt64),
    egress         SimpleAggregateFunction(sum, UInt64),
    egress_blocked SimpleAggregateFunction(sum, UInt64),
    first_minute   SimpleAggregateFunction(min, DateTime('UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (tenant, service, hour)
TTL hour + INTERVAL 400 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS flow_sli_rollup_1h_mv TO flow_sli_rollup_1h AS
SELECT
    tenant,
    service,
    toStartOfHour(minute) AS hour,
    sum(flows) AS flows,
    sum(with_identity) AS with_identity,
    sum(egress) AS egress,
    sum(egress_blocked) AS egress_blocked,
    min(minute) AS first_minute
FROM flow_sli_rollup_1m
GROUP BY tenant, service, hour;

INSERT INTO flow_sli_rollup_1h
SELECT
    tenant,
    service,
    toStartOfHour(minute) AS hour,
    sum(flows) AS flows,
    sum(with_identity) AS with_identity,
    sum(egress) AS egress,
    sum(egress_blocked) AS egress_blocked,
    min(minute) AS first_minute
FROM flow_sli_rollup_1m
GROUP BY tenant, service, hour;

CREATE TABLE IF NOT EXISTS egress_rollup_1h
(
    tenant       LowCardinality(String),
    service      LowCardinality(String),
    hour         DateTime('UTC'),
    dst_ip       String,
    server_port  UInt16,
    attempts     SimpleAggregateFunction(sum, UInt64),
    blocked      SimpleAggregateFunction(sum, UInt64),
    first_minute SimpleAggregateFunction(min, DateTime('UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (tenant, service, hour, dst_ip, server_port)
TTL hour + INTERVAL 400 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS egress_rollup_1h_mv TO egress_rollup_1h AS
SELECT
    tenant,
    service,
    toStartOfHour(minute) AS hour,
    dst_ip,
    server_port,
    sum(attempts) AS attempts,
    sum(blocked) AS blocked,
    min(minute) AS first_minute
FROM egress_rollup_1m
GROUP BY tenant, service, hour, dst_ip, server_port;

INSERT INTO egress_rollup_1h
SELECT
    tenant,
    service,
    toStartOfHour(minute) AS hour,
    dst_ip,
    server_port,
    sum(attempts) AS attempts,
    sum(blocked) AS blocked,
    min(minute) AS first_minute
FROM egress_rollup_1m
GROUP BY tenant, service, hour, dst_ip, server_port;

CREATE TABLE IF NOT EXISTS finding_rollup_1h
(
    tenant       LowCardinality(String),
    service      LowCardinality(String),
    hour         DateTime('UTC'),
    findings     SimpleAggregateFunction(sum, UInt64),
    within_10s   SimpleAggregateFunction(sum, UInt64),
    within_60s   SimpleAggregateFunction(sum, UInt64),
    within_5m    SimpleAggregateFunction(sum, UInt64),
    within_15m   SimpleAggregateFunction(sum, UInt64),
    first_minute SimpleAggregateFunction(min, DateTime('UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (tenant, service, hour)
TTL hour + INTERVAL 400 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS finding_rollup_1h_mv TO finding_rollup_1h AS
SELECT
    tenant,
    service,
    toStartOfHour(minute) AS hour,
    sum(findings) AS findings,
    sum(within_10s) AS within_10s,
    sum(within_60s) AS within_60s,
    sum(within_5m) AS within_5m,
    sum(within_15m) AS within_15m,
    min(minute) AS first_minute
FROM finding_rollup_1m
GROUP BY tenant, service, hour;

INSERT INTO finding_rollup_1h
SELECT
    tenant,
    service,
    toStartOfHour(minute) AS hour,
    sum(findings) AS findings,
    sum(within_10s) AS within_10s,
    sum(within_60s) AS within_60s,
    sum(within_5m) AS within_5m,
    sum(within_15m) AS within_15m,
    min(minute) AS first_minute
FROM finding_rollup_1m
GROUP BY tenant, service, hour;

CREATE TABLE IF NOT EXISTS token_rollup_1h
(
    tenant           LowCardinality(String),
    service          LowCardinality(String),
    hour             DateTime('UTC'),
    token_events     SimpleAggregateFunction(sum, UInt64),
    grants           SimpleAggregateFunction(sum, UInt64),
    refreshes        SimpleAggregateFunction(sum, UInt64),
    failed_refreshes SimpleAggregateFunction(sum, UInt64),
    revocations      SimpleAggregateFunction(sum, UInt64),
    accepted_uses    SimpleAggregateFunction(sum, UInt64),
    first_minute     SimpleAggregateFunction(min, DateTime('UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (tenant, service, hour)
TTL hour + INTERVAL 400 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS token_rollup_1h_mv TO token_rollup_1h AS
SELECT
    tenant,
    service,
    toStartOfHour(minute) AS hour,
    sum(token_events) AS token_events,
    sum(grants) AS grants,
    sum(refreshes) AS refreshes,
    sum(failed_refreshes) AS failed_refreshes,
    sum(revocations) AS revocations,
    sum(accepted_uses) AS accepted_uses,
    min(minute) AS first_minute
FROM token_rollup_1m
GROUP BY tenant, service, hour;

INSERT INTO token_rollup_1h
SELECT
    tenant,
    service,
    toStartOfHour(minute) AS hour,
    sum(token_events) AS token_events,
    sum(grants) AS grants,
    sum(refreshes) AS refreshes,
    sum(failed_refreshes) AS failed_refreshes,
    sum(revocations) AS revocations,
    sum(accepted_uses) AS accepted_uses,
    min(minute) AS first_minute
FROM token_rollup_1m
GROUP BY tenant, service, hour;

CREATE TABLE IF NOT EXISTS revoked_use_rollup_1h
(
    tenant            LowCardinality(String),
    service           LowCardinality(String),
    hour              DateTime('UTC'),
    uses_after_revoke SimpleAggregateFunction(sum, UInt64),
    uses_after_30s    SimpleAggregateFunction(sum, UInt64),
    uses_after_5m     SimpleAggregateFunction(sum, UInt64),
    first_minute      SimpleAggregateFunction(min, DateTime('UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (tenant, service, hour)
TTL hour + INTERVAL 400 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS revoked_use_rollup_1h_mv TO revoked_use_rollup_1h AS
SELECT
    tenant,
    service,
    toStartOfHour(minute) AS hour,
    sum(uses_after_revoke) AS uses_after_revoke,
    sum(uses_after_30s) AS uses_after_30s,
    sum(uses_after_5m) AS uses_after_5m,
    min(minute) AS first_minute
FROM revoked_use_rollup_1m
GROUP BY tenant, service, hour;

INSERT INTO revoked_use_rollup_1h
SELECT
    tenant,
    service,
    toStartOfHour(minute) AS hour,
    sum(uses_after_revoke) AS uses_after_revoke,
    sum(uses_after_30s) AS uses_after_30s,
    sum(uses_after_5m) AS uses_after_5m,
    min(minute) AS first_minute
FROM revoked_use_rollup_1m
GROUP BY tenant, service, hour;

CREATE TABLE IF NOT EXISTS posture_rollup_1h
(
    tenant       LowCardinality(String),
    service      LowCardinality(String),
    hour         DateTime('UTC'),
    checks       SimpleAggregateFunction(sum, UInt64),
    passes       SimpleAggregateFunction(sum, UInt64),
    failures     SimpleAggregateFunction(sum, UInt64),
    unknown      SimpleAggregateFunction(sum, UInt64),
    first_minute SimpleAggregateFunction(min, DateTime('UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (tenant, service, hour)
TTL hour + INTERVAL 400 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS posture_rollup_1h_mv TO posture_rollup_1h AS
SELECT
    tenant,
    service,
    toStartOfHour(minute) AS hour,
    sum(checks) AS checks,
    sum(passes) AS passes,
    sum(failures) AS failures,
    sum(unknown) AS unknown,
    min(minute) AS first_minute
FROM posture_rollup_1m
GROUP BY tenant, service, hour;

INSERT INTO posture_rollup_1h
SELECT
    tenant,
    service,
    toStartOfHour(minute) AS hour,
    sum(checks) AS checks,
    sum(passes) AS passes,
    sum(failures) AS failures,
    sum(unknown) AS unknown,
    min(minute) AS first_minute
FROM posture_rollup_1m
GROUP BY tenant, service, hour;
-- Decisions per tenant and minute, for the series panels: counters and one latency state per
-- minute, merged from the per-service states of the minute rollup.
CREATE TABLE IF NOT EXISTS decision_tenant_rollup_1m
(
    tenant           LowCardinality(String),
    minute           DateTime('UTC'),
    decisions        SimpleAggregateFunction(sum, UInt64),
    denies           SimpleAggregateFunction(sum, UInt64),
    errors           SimpleAggregateFunction(sum, UInt64),
    dry_run_denies   SimpleAggregateFunction(sum, UInt64),
    latency_ms       AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (tenant, minute)
TTL minute + INTERVAL 400 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS decision_tenant_rollup_1m_mv TO decision_tenant_rollup_1m AS
SELECT
    tenant,
    minute,
    sum(decisions) AS decisions,
    sum(denies) AS denies,
    sum(errors) AS errors,
    sum(dry_run_denies) AS dry_run_denies,
    quantilesTDigestMergeState(0.5, 0.95, 0.99)(latency_ms) AS latency_ms
FROM decision_rollup_1m
GROUP BY tenant, minute;

INSERT INTO decision_tenant_rollup_1m
SELECT
    tenant,
    minute,
    sum(decisions) AS decisions,
    sum(denies) AS denies,
    sum(errors) AS errors,
    sum(dry_run_denies) AS dry_run_denies,
    quantilesTDigestMergeState(0.5, 0.95, 0.99)(latency_ms) AS latency_ms
FROM decision_rollup_1m
GROUP BY tenant, minute;

-- Entity indexes. `entity_kind` is one of the entity page's kinds (spiffe, ip, user, revision);
-- empty values are not indexed, and an event naming one entity in two columns is indexed once.
CREATE TABLE IF NOT EXISTS flow_entity_index
(
    tenant           LowCardinality(String),
    entity_kind      LowCardinality(String),
    entity           String CODEC(ZSTD(1)),
    ts               DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
    event_id         String CODEC(ZSTD(1))
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, entity_kind, entity, ts)
TTL ts + INTERVAL 30 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS flow_entity_index_mv TO flow_entity_index AS
SELECT tenant, named.1 AS entity_kind, named.2 AS entity, ts, event_id
FROM flow_events
ARRAY JOIN arrayDistinct(arrayFilter(e -> e.2 != '',
    [('spiffe', src_identity), ('spiffe', dst_identity), ('ip', src_ip), ('ip', dst_ip)])) AS named;

INSERT INTO flow_entity_index
SELECT tenant, named.1 AS entity_kind, named.2 AS entity, ts, event_id
FROM flow_events
ARRAY JOIN arrayDistinct(arrayFilter(e -> e.2 != '',
    [('spiffe', src_identity), ('spiffe', dst_identity), ('ip', src_ip), ('ip', dst_ip)])) AS named;

CREATE TABLE IF NOT EXISTS auth_entity_index
(
    tenant           LowCardinality(String),
    entity_kind      LowCardinality(String),
    entity           String CODEC(ZSTD(1)),
    ts               DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
    event_id         String CODEC(ZSTD(1))
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, entity_kind, entity, ts)
TTL ts + INTERVAL 90 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS auth_entity_index_mv TO auth_entity_index AS
SELECT tenant, named.1 AS entity_kind, named.2 AS entity, ts, event_id
FROM auth_events
ARRAY JOIN arrayDistinct(arrayFilter(e -> e.2 != '', [('user', principal), ('ip', client_ip)])) AS named;

INSERT INTO auth_entity_index
SELECT tenant, named.1 AS entity_kind, named.2 AS entity, ts, event_id
FROM auth_events
ARRAY JOIN arrayDistinct(arrayFilter(e -> e.2 != '', [('user', principal), ('ip', client_ip)])) AS named;

CREATE TABLE IF NOT EXISTS decision_entity_index
(
    tenant           LowCardinality(String),
    entity_kind      LowCardinality(String),
    entity           String CODEC(ZSTD(1)),
    ts               DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
    event_id         String CODEC(ZSTD(1))
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, entity_kind, entity, ts)
TTL ts + INTERVAL 30 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS decision_entity_index_mv TO decision_entity_index AS
SELECT tenant, named.1 AS entity_kind, named.2 AS entity, ts, event_id
FROM decision_events
ARRAY JOIN arrayDistinct(arrayFilter(e -> e.2 != '',
    [('spiffe', src_identity), ('spiffe', dst_identity), ('ip', client_ip), ('user', subject),
     ('revision', toString(policy_revision))])) AS named;

INSERT INTO decision_entity_index
SELECT tenant, named.1 AS entity_kind, named.2 AS entity, ts, event_id
FROM decision_events
ARRAY JOIN arrayDistinct(arrayFilter(e -> e.2 != '',
    [('spiffe', src_identity), ('spiffe', dst_identity), ('ip', client_ip), ('user', subject),
     ('revision', toString(policy_revision))])) AS named;

CREATE TABLE IF NOT EXISTS mtls_entity_index
(
    tenant           LowCardinality(String),
    entity_kind      LowCardinality(String),
    entity           String CODEC(ZSTD(1)),
    ts               DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
    event_id         String CODEC(ZSTD(1))
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, entity_kind, entity, ts)
TTL ts + INTERVAL 30 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS mtls_entity_index_mv TO mtls_entity_index AS
SELECT tenant, named.1 AS entity_kind, named.2 AS entity, ts, event_id
FROM mtls_events
ARRAY JOIN arrayDistinct(arrayFilter(e -> e.2 != '', [('spiffe', src_identity), ('spiffe', dst_identity)])) AS named;

INSERT INTO mtls_entity_index
SELECT tenant, named.1 AS entity_kind, named.2 AS entity, ts, event_id
FROM mtls_events
ARRAY JOIN arrayDistinct(arrayFilter(e -> e.2 != '', [('spiffe', src_identity), ('spiffe', dst_identity)])) AS named;

CREATE TABLE IF NOT EXISTS policy_change_entity_index
(
    tenant           LowCardinality(String),
    entity_kind      LowCardinality(String),
    entity           String CODEC(ZSTD(1)),
    ts               DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
    event_id         String CODEC(ZSTD(1))
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, entity_kind, entity, ts)
TTL ts + INTERVAL 400 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS policy_change_entity_index_mv TO policy_change_entity_index AS
SELECT tenant, named.1 AS entity_kind, named.2 AS entity, ts, event_id
FROM policy_change_events
ARRAY JOIN arrayDistinct(arrayFilter(e -> e.2 != '',
    [('revision', revision), ('revision', previous_revision), ('user', actor)])) AS named;

INSERT INTO policy_change_entity_index
SELECT tenant, named.1 AS entity_kind, named.2 AS entity, ts, event_id
FROM policy_change_events
ARRAY JOIN arrayDistinct(arrayFilter(e -> e.2 != '',
    [('revision', revision), ('revision', previous_revision), ('user', actor)])) AS named;

-- Requests that failed somewhere (a deny, dry-run or not, or a PDP error), newest first: the debug
-- dashboard's request timelines start from the newest of these instead of grouping every decision
-- of the range by request id. Kept as long as the decision events (applyEventRetention sets both).
CREATE TABLE IF NOT EXISTS decision_failed_requests
(
    tenant           LowCardinality(String),
    ts               DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
    request_id       String CODEC(ZSTD(1))
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, ts)
TTL ts + INTERVAL 30 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS decision_failed_requests_mv TO decision_failed_requests AS
SELECT tenant, ts, request_id
FROM decision_events
WHERE decision != 'allow' AND request_id != '';

INSERT INTO decision_failed_requests
SELECT tenant, ts, request_id
FROM decision_events
WHERE decision != 'allow' AND request_id != '';

-- The executive dashboard's mTLS coverage per destination service: connections between workloads
-- (requests, not replies, to a workload identity) by how their record says they were secured.
CREATE TABLE IF NOT EXISTS flow_mtls_rollup_1m
(
    tenant           LowCardinality(String),
    service          LowCardinality(String),
    minute           DateTime('UTC'),
    observed         SimpleAggregateFunction(sum, UInt64),
    mutual           SimpleAggregateFunction(sum, UInt64),
    plaintext        SimpleAggregateFunction(sum, UInt64),
    unknown          SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (tenant, service, minute)
TTL minute + INTERVAL 400 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS flow_mtls_rollup_1m_mv TO flow_mtls_rollup_1m AS
SELECT
    tenant,
    service,
    toStartOfMinute(ts) AS minute,
    countIf(mtls IS NOT NULL) AS observed,
    countIf(mtls = 'mutual') AS mutual,
    countIf(mtls = 'plaintext') AS plaintext,
    countIf(mtls IS NULL) AS unknown
FROM flow_events
WHERE NOT ifNull(is_reply, false) AND dst_identity != ''
GROUP BY tenant, service, minute;

INSERT INTO flow_mtls_rollup_1m
SELECT
    tenant,
    service,
    toStartOfMinute(ts) AS minute,
    countIf(mtls IS NOT NULL) AS observed,
    countIf(mtls = 'mutual') AS mutual,
    countIf(mtls = 'plaintext') AS plaintext,
    countIf(mtls IS NULL) AS unknown
FROM flow_events
WHERE NOT ifNull(is_reply, false) AND dst_identity != ''
GROUP BY tenant, service, minute;

-- The debug dashboard's egress by destination: connections (not replies) to an IPv4 address outside
-- private, loopback, link-local and carrier-grade NAT space with no workload at the far end, per
-- destination and port, with the distinct sources as an exact uniq state.
CREATE TABLE IF NOT EXISTS egress_destination_rollup_1m
(
    tenant           LowCardinality(String),
    minute           DateTime('UTC'),
    dst_ip           String,
    dst_port         UInt16,
    attempts         SimpleAggregateFunction(sum, UInt64),
    blocked          SimpleAggregateFunction(sum, UInt64),
    sources          AggregateFunction(uniqExact, String),
    example_source   SimpleAggregateFunction(any, String),
    bytes_sent       SimpleAggregateFunction(sum, UInt64),
    last_seen        SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (tenant, minute, dst_ip, dst_port)
TTL minute + INTERVAL 400 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS egress_destination_rollup_1m_mv TO egress_destination_rollup_1m AS
SELECT
    tenant,
    toStartOfMinute(ts) AS minute,
    dst_ip,
    dst_port,
    count() AS attempts,
    countIf(verdict != 'allowed') AS blocked,
    uniqExactState(if(src_identity != '', src_identity, src_ip)) AS sources,
    any(if(src_identity != '', src_identity, src_ip)) AS example_source,
    sum(bytes_sent) AS bytes_sent,
    max(ts) AS last_seen
FROM flow_events
WHERE dst_identity = '' AND NOT ifNull(is_reply, false) AND isIPv4String(dst_ip)
    AND NOT (isIPAddressInRange(dst_ip, '10.0.0.0/8') OR isIPAddressInRange(dst_ip, '172.16.0.0/12')
        OR isIPAddressInRange(dst_ip, '192.168.0.0/16') OR isIPAddressInRange(dst_ip, '127.0.0.0/8')
        OR isIPAddressInRange(dst_ip, '169.254.0.0/16') OR isIPAddressInRange(dst_ip, '100.64.0.0/10'))
GROUP BY tenant, minute, dst_ip, dst_port;

INSERT INTO egress_destination_rollup_1m
SELECT
    tenant,
    toStartOfMinute(ts) AS minute,
    dst_ip,
    dst_port,
    count() AS attempts,
    countIf(verdict != 'allowed') AS blocked,
    uniqExactState(if(src_identity != '', src_identity, src_ip)) AS sources,
    any(if(src_identity != '', src_identity, src_ip)) AS example_source,
    sum(bytes_sent) AS bytes_sent,
    max(ts) AS last_seen
FROM flow_events
WHERE dst_identity = '' AND NOT ifNull(is_reply, false) AND isIPv4String(dst_ip)
    AND NOT (isIPAddressInRange(dst_ip, '10.0.0.0/8') OR isIPAddressInRange(dst_ip, '172.16.0.0/12')
        OR isIPAddressInRange(dst_ip, '192.168.0.0/16') OR isIPAddressInRange(dst_ip, '127.0.0.0/8')
        OR isIPAddressInRange(dst_ip, '169.254.0.0/16') OR isIPAddressInRange(dst_ip, '100.64.0.0/10'))
GROUP BY tenant, minute, dst_ip, dst_port;
