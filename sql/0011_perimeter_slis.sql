-- The rest of the perimeter SLI catalogue (issue 19): two new raw kinds (token events, posture
-- checks) and 1-minute rollups of counters for the SLIs the first rollups cannot express. As in
-- 0002, rollups keep counters, never ratios or percentiles: every SLO window is
-- sum(bad) / sum(total) over rows, and a threshold SLI ("decisions under 50 ms") is a counter of
-- its own, so a window's p95 target is checked without averaging per-minute percentiles.

CREATE TABLE IF NOT EXISTS token_events
(
    tenant          LowCardinality(String),
    event_id        String,
    ts              DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
    observed_at     DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
    source          LowCardinality(String),
    service         LowCardinality(String),
    action          LowCardinality(String),
    outcome         LowCardinality(String),
    principal       String CODEC(ZSTD(1)),
    client_id       LowCardinality(String),
    credential_id   String CODEC(ZSTD(1)),
    grant_type      LowCardinality(String),
    reason          String CODEC(ZSTD(1)),
    client_ip       String CODEC(ZSTD(1)),
    INDEX idx_event_id event_id TYPE bloom_filter(0.001) GRANULARITY 2,
    INDEX idx_credential_id credential_id TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, service, ts)
TTL ts + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS posture_events
(
    tenant          LowCardinality(String),
    event_id        String,
    ts              DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
    observed_at     DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
    source          LowCardinality(String),
    service         LowCardinality(String),
    device          String CODEC(ZSTD(1)),
    principal       String CODEC(ZSTD(1)),
    check           LowCardinality(String),
    outcome         LowCardinality(String),
    reason          String CODEC(ZSTD(1)),
    agent           LowCardinality(String),
    INDEX idx_event_id event_id TYPE bloom_filter(0.001) GRANULARITY 2
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, service, ts)
TTL ts + INTERVAL 30 DAY
SETTINGS non_replicated_deduplication_window = 10000;

-- Decision latency as cumulative buckets (Prometheus `le` style) of the decisions whose source
-- measured it (`timed`), the PDP cache (lookups: decisions whose source says hit or miss), and
-- decisions that carry a request id (the join key to access logs and traces).
CREATE TABLE IF NOT EXISTS decision_sli_rollup_1m
(
    tenant           LowCardinality(String),
    service          LowCardinality(String),
    minute           DateTime('UTC'),
    decisions        SimpleAggregateFunction(sum, UInt64),
    timed            SimpleAggregateFunction(sum, UInt64),
    under_10ms       SimpleAggregateFunction(sum, UInt64),
    under_25ms       SimpleAggregateFunction(sum, UInt64),
    under_50ms       SimpleAggregateFunction(sum, UInt64),
    under_100ms      SimpleAggregateFunction(sum, UInt64),
    under_250ms      SimpleAggregateFunction(sum, UInt64),
    under_1000ms     SimpleAggregateFunction(sum, UInt64),
    cache_lookups    SimpleAggregateFunction(sum, UInt64),
    cache_hits       SimpleAggregateFunction(sum, UInt64),
    with_request_id  SimpleAggregateFunction(sum, UInt64),
    allows           SimpleAggregateFunction(sum, UInt64),
    false_denies     SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (tenant, service, minute)
TTL minute + INTERVAL 400 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS decision_sli_rollup_1m_mv TO decision_sli_rollup_1m AS
SELECT
    tenant,
    service,
    toStartOfMinute(ts) AS minute,
    count() AS decisions,
    countIf(latency_ms IS NOT NULL) AS timed,
    countIf(latency_ms <= 10) AS under_10ms,
    countIf(latency_ms <= 25) AS under_25ms,
    countIf(latency_ms <= 50) AS under_50ms,
    countIf(latency_ms <= 100) AS under_100ms,
    countIf(latency_ms <= 250) AS under_250ms,
    countIf(latency_ms <= 1000) AS under_1000ms,
    countIf(cache_hit IS NOT NULL) AS cache_lookups,
    countIf(cache_hit = true) AS cache_hits,
    countIf(request_id != '') AS with_request_id,
    countIf(decision = 'allow' AND NOT dry_run) AS allows
FROM decision_events
GROUP BY tenant, service, minute;

-- False denies, labelled by rollbacks. Per enforcement point and policy revision, the request pairs
-- (caller, callee, method, path with digits as *) that were allowed and denied. When a rollback
-- applies (change_type rollback: `revision` restored, `previous_revision` the one rolled back), the
-- denies the rolled-back revision made to pairs the restored revision allowed are false denies:
-- denied, then allowed again for the same pair after the rollback. Denies of pairs both revisions
-- deny (a scanner, say) are not. They are counted at the rollback's minute in
-- decision_sli_rollup_1m, beside the allows they are a rate of.
CREATE TABLE IF NOT EXISTS decision_pairs
(
    tenant            LowCardinality(String),
    enforcement_point LowCardinality(String),
    policy_revision   LowCardinality(String),
    pair              UInt64,
    allows            SimpleAggregateFunction(sum, UInt64),
    denies            SimpleAggregateFunction(sum, UInt64),
    last_seen         SimpleAggregateFunction(max, DateTime('UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (tenant, enforcement_point, policy_revision, pair)
TTL last_seen + INTERVAL 400 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS decision_pairs_mv TO decision_pairs AS
SELECT
    tenant,
    enforcement_point,
    policy_revision,
    cityHash64(
        if(src_identity != '', src_identity, subject),
        if(dst_identity != '', dst_identity, service),
        action,
        replaceRegexpAll(splitByChar('?', resource)[1], '[0-9]+', '*')
    ) AS pair,
    countIf(decision = 'allow') AS allows,
    countIf(decision = 'deny') AS denies,
    toDateTime(max(ts)) AS last_seen
FROM decision_events
WHERE NOT dry_run AND decision IN ('allow', 'deny') AND policy_revision != ''
GROUP BY tenant, enforcement_point, policy_revision, pair;

CREATE MATERIALIZED VIEW IF NOT EXISTS false_deny_rollup_mv TO decision_sli_rollup_1m AS
SELECT
    rollback.tenant AS tenant,
    rollback.service AS service,
    toStartOfMinute(rollback.ts) AS minute,
    sum(denied.denies) AS false_denies
FROM policy_change_events AS rollback
INNER JOIN
(
    SELECT tenant, enforcement_point, policy_revision, pair, sum(denies) AS denies
    FROM decision_pairs
    GROUP BY tenant, enforcement_point, policy_revision, pair
    HAVING denies > 0
) AS denied
    ON denied.tenant = rollback.tenant
    AND denied.enforcement_point = rollback.enforcement_point
    AND denied.policy_revision = rollback.previous_revision
INNER JOIN
(
    SELECT tenant, enforcement_point, policy_revision, pair, sum(allows) AS allows
    FROM decision_pairs
    GROUP BY tenant, enforcement_point, policy_revision, pair
    HAVING allows > 0
) AS allowed
    ON allowed.tenant = rollback.tenant
    AND allowed.enforcement_point = rollback.enforcement_point
    AND allowed.policy_revision = rollback.revision
    AND allowed.pair = denied.pair
WHERE rollback.change_type = 'rollback' AND rollback.status = 'applied' AND NOT rollback.dry_run
GROUP BY tenant, service, minute;

-- Policy rollouts: enforced rollouts and rollbacks (a dry-run stage is not a rollout yet), those
-- that failed, and out-of-band changes (`config`: made at the enforcement point, not through a
-- rollout), the policy drift SLI's bad events.
CREATE TABLE IF NOT EXISTS policy_change_rollup_1m
(
    tenant           LowCardinality(String),
    service          LowCardinality(String),
    minute           DateTime('UTC'),
    changes          SimpleAggregateFunction(sum, UInt64),
    rollouts         SimpleAggregateFunction(sum, UInt64),
    failed_rollouts  SimpleAggregateFunction(sum, UInt64),
    rollbacks        SimpleAggregateFunction(sum, UInt64),
    out_of_band      SimpleAggregateFunction(sum, UInt64),
    dry_runs         SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (tenant, service, minute)
TTL minute + INTERVAL 400 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS policy_change_rollup_1m_mv TO policy_change_rollup_1m AS
SELECT
    tenant,
    service,
    toStartOfMinute(ts) AS minute,
    count() AS changes,
    countIf(change_type IN ('rollout', 'rollback') AND NOT dry_run) AS rollouts,
    countIf(change_type IN ('rollout', 'rollback') AND NOT dry_run AND status = 'failed') AS failed_rollouts,
    countIf(change_type = 'rollback' AND NOT dry_run) AS rollbacks,
    countIf(change_type = 'config' AND NOT dry_run) AS out_of_band,
    countIf(dry_run) AS dry_runs
FROM policy_change_events
GROUP BY tenant, service, minute;

-- Flow telemetry completeness: flows attributed to a workload on at least one side (a flow with no
-- identity at all is a blind spot; Cilium's reserved identities such as `reserved:world` name no
-- workload), and egress (to an address outside the private ranges, with no
-- workload identity at the far end, not a server's reply) with what was blocked of it.
CREATE TABLE IF NOT EXISTS flow_sli_rollup_1m
(
    tenant           LowCardinality(String),
    service          LowCardinality(String),
    minute           DateTime('UTC'),
    flows            SimpleAggregateFunction(sum, UInt64),
    with_identity    SimpleAggregateFunction(sum, UInt64),
    egress           SimpleAggregateFunction(sum, UInt64),
    egress_blocked   SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (tenant, service, minute)
TTL minute + INTERVAL 400 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS flow_sli_rollup_1m_mv TO flow_sli_rollup_1m AS
SELECT
    tenant,
    service,
    toStartOfMinute(ts) AS minute,
    count() AS flows,
    countIf(src_workload OR dst_workload) AS with_identity,
    countIf(is_egress) AS egress,
    countIf(is_egress AND verdict IN ('dropped', 'denied')) AS egress_blocked
FROM
(
    SELECT
        *,
        src_identity != '' AND NOT startsWith(src_identity, 'reserved:') AS src_workload,
        dst_identity != '' AND NOT startsWith(dst_identity, 'reserved:') AS dst_workload,
        NOT dst_workload AND dst_ip != '' AND NOT ifNull(is_reply, false)
            AND NOT isIPAddressInRange(dst_ip, if(position(dst_ip, ':') > 0, 'fc00::/7', '10.0.0.0/8'))
            AND NOT isIPAddressInRange(dst_ip, if(position(dst_ip, ':') > 0, 'fe80::/10', '172.16.0.0/12'))
            AND NOT isIPAddressInRange(dst_ip, if(position(dst_ip, ':') > 0, '::1/128', '192.168.0.0/16'))
            AND NOT isIPAddressInRange(dst_ip, if(position(dst_ip, ':') > 0, '::1/128', '127.0.0.0/8')) AS is_egress
    FROM flow_events
)
GROUP BY tenant, service, minute;

-- Egress by destination: attempts (flows leaving the private ranges to no workload, not replies)
-- and blocked ones per destination address and server port, so that the egress block rate SLI can
-- leave out, at query time, the destinations intent declares (they are meant to be reached), and a
-- change of the declarations applies to the whole history.
CREATE TABLE IF NOT EXISTS egress_rollup_1m
(
    tenant           LowCardinality(String),
    service          LowCardinality(String),
    minute           DateTime('UTC'),
    dst_ip           String,
    server_port      UInt16,
    attempts         SimpleAggregateFunction(sum, UInt64),
    blocked          SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (tenant, service, minute, dst_ip, server_port)
TTL minute + INTERVAL 400 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS egress_rollup_1m_mv TO egress_rollup_1m AS
SELECT
    tenant,
    service,
    toStartOfMinute(ts) AS minute,
    dst_ip,
    ifNull(server_port, dst_port) AS server_port,
    count() AS attempts,
    countIf(verdict IN ('dropped', 'denied')) AS blocked
FROM flow_events
WHERE NOT (dst_identity != '' AND NOT startsWith(dst_identity, 'reserved:'))
    AND dst_ip != '' AND NOT ifNull(is_reply, false)
    AND NOT isIPAddressInRange(dst_ip, if(position(dst_ip, ':') > 0, 'fc00::/7', '10.0.0.0/8'))
    AND NOT isIPAddressInRange(dst_ip, if(position(dst_ip, ':') > 0, 'fe80::/10', '172.16.0.0/12'))
    AND NOT isIPAddressInRange(dst_ip, if(position(dst_ip, ':') > 0, '::1/128', '192.168.0.0/16'))
    AND NOT isIPAddressInRange(dst_ip, if(position(dst_ip, ':') > 0, '::1/128', '127.0.0.0/8'))
GROUP BY tenant, service, minute, dst_ip, server_port;

-- Time to detect: per finding, detection time minus the first event of its evidence
-- (`evidence.first_ts` when the detector records one, else the triggering event), counted under
-- thresholds. Findings have no service: the rollup's `service` is the rule, so an SLO can watch
-- one detector or all of them.
CREATE TABLE IF NOT EXISTS finding_rollup_1m
(
    tenant           LowCardinality(String),
    service          LowCardinality(String),
    minute           DateTime('UTC'),
    findings         SimpleAggregateFunction(sum, UInt64),
    within_10s       SimpleAggregateFunction(sum, UInt64),
    within_60s       SimpleAggregateFunction(sum, UInt64),
    within_5m        SimpleAggregateFunction(sum, UInt64),
    within_15m       SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (tenant, service, minute)
TTL minute + INTERVAL 400 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS finding_rollup_1m_mv TO finding_rollup_1m AS
SELECT
    tenant,
    rule AS service,
    toStartOfMinute(detected_at) AS minute,
    count() AS findings,
    countIf(detect_ms <= 10000) AS within_10s,
    countIf(detect_ms <= 60000) AS within_60s,
    countIf(detect_ms <= 300000) AS within_5m,
    countIf(detect_ms <= 900000) AS within_15m
FROM
(
    SELECT
        tenant,
        rule,
        detected_at,
        toUnixTimestamp64Milli(detected_at)
            - least(toUnixTimestamp64Milli(ts), ifNull(JSONExtract(evidence, 'first_ts', 'Nullable(Int64)'), toUnixTimestamp64Milli(ts))) AS detect_ms
    FROM findings
)
GROUP BY tenant, service, minute;

-- Token events per application (`service`): grants, refreshes (the refresh-rate panel and storm
-- baseline), revocations, and uses of a credential accepted after its revocation was recorded
-- (time to revoke's bad events: a revoked credential that still works).
CREATE TABLE IF NOT EXISTS token_rollup_1m
(
    tenant                LowCardinality(String),
    service               LowCardinality(String),
    minute                DateTime('UTC'),
    token_events          SimpleAggregateFunction(sum, UInt64),
    grants                SimpleAggregateFunction(sum, UInt64),
    refreshes             SimpleAggregateFunction(sum, UInt64),
    failed_refreshes      SimpleAggregateFunction(sum, UInt64),
    revocations           SimpleAggregateFunction(sum, UInt64),
    accepted_uses         SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (tenant, service, minute)
TTL minute + INTERVAL 400 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS token_rollup_1m_mv TO token_rollup_1m AS
SELECT
    tenant,
    service,
    toStartOfMinute(ts) AS minute,
    count() AS token_events,
    countIf(action = 'grant' AND outcome = 'success') AS grants,
    countIf(action = 'refresh') AS refreshes,
    countIf(action = 'refresh' AND outcome = 'failure') AS failed_refreshes,
    countIf(action IN ('revoke', 'logout') AND outcome = 'success') AS revocations,
    countIf(action = 'use' AND outcome = 'success') AS accepted_uses
FROM token_events
GROUP BY tenant, service, minute;

-- Time to revoke. The first revocation (revoke or logout) of each credential, kept small (one row
-- per revoked credential, 400 days as the rollups, for audits); then every accepted use of a
-- credential after its revocation is counted at the use's minute, and apart those later than
-- 5 minutes (the guides' target) and 30 seconds (critical credentials) after it. A revocation enforced in time leaves no late use; a long-lived
-- token that resource servers keep accepting does. The join reads the revocations stored before
-- the uses' insert: a revocation and uses of it in one batch are not joined.
CREATE TABLE IF NOT EXISTS token_revocations
(
    tenant           LowCardinality(String),
    credential_id    String,
    revoked_at       SimpleAggregateFunction(min, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (tenant, credential_id)
TTL toDateTime(revoked_at) + INTERVAL 400 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS token_revocations_mv TO token_revocations AS
SELECT tenant, credential_id, min(ts) AS revoked_at
FROM token_events
WHERE action IN ('revoke', 'logout') AND outcome = 'success' AND credential_id != ''
GROUP BY tenant, credential_id;

CREATE TABLE IF NOT EXISTS revoked_use_rollup_1m
(
    tenant           LowCardinality(String),
    service          LowCardinality(String),
    minute           DateTime('UTC'),
    uses_after_revoke       SimpleAggregateFunction(sum, UInt64),
    uses_after_30s          SimpleAggregateFunction(sum, UInt64),
    uses_after_5m           SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (tenant, service, minute)
TTL minute + INTERVAL 400 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS revoked_use_rollup_1m_mv TO revoked_use_rollup_1m AS
SELECT
    u.tenant AS tenant,
    u.service AS service,
    toStartOfMinute(u.ts) AS minute,
    count() AS uses_after_revoke,
    countIf(u.ts > r.revoked_at + INTERVAL 30 SECOND) AS uses_after_30s,
    countIf(u.ts > r.revoked_at + INTERVAL 5 MINUTE) AS uses_after_5m
FROM token_events AS u
INNER JOIN
(
    SELECT tenant, credential_id, min(revoked_at) AS revoked_at
    FROM token_revocations
    GROUP BY tenant, credential_id
) AS r ON r.tenant = u.tenant AND r.credential_id = u.credential_id
WHERE u.action = 'use' AND u.outcome = 'success' AND u.credential_id != '' AND u.ts > r.revoked_at
GROUP BY tenant, service, minute;

-- Posture: checks with a verdict (pass or fail) and failures; `unknown` (the agent could not tell,
-- or reported stale data) is counted apart, so agent telemetry drift is visible without reading as
-- non-compliant devices.
CREATE TABLE IF NOT EXISTS posture_rollup_1m
(
    tenant           LowCardinality(String),
    service          LowCardinality(String),
    minute           DateTime('UTC'),
    checks           SimpleAggregateFunction(sum, UInt64),
    passes           SimpleAggregateFunction(sum, UInt64),
    failures         SimpleAggregateFunction(sum, UInt64),
    unknown          SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (tenant, service, minute)
TTL minute + INTERVAL 400 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS posture_rollup_1m_mv TO posture_rollup_1m AS
SELECT
    tenant,
    service,
    toStartOfMinute(ts) AS minute,
    countIf(outcome IN ('pass', 'fail')) AS checks,
    countIf(outcome = 'pass') AS passes,
    countIf(outcome = 'fail') AS failures,
    countIf(outcome = 'unknown') AS unknown
FROM posture_events
GROUP BY tenant, service, minute;
