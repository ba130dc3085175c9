-- What a web application firewall adds to a decision: the client's address (a WAF's caller, with no
-- user or workload identity), the reason in the source's words (rule message and what it matched),
-- and every rule that matched the request with what it did (`rule_actions`: the rule that decided,
-- and those in count mode or only adding to an anomaly score). Empty for sources without them.
ALTER TABLE decision_events ADD COLUMN IF NOT EXISTS client_ip String DEFAULT '' CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS reason String DEFAULT '' CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS rule_actions Map(String, LowCardinality(String));

-- The on-call table of enforced denies shows the caller and the reason: the copy keeps them too.
ALTER TABLE decision_denies ADD COLUMN IF NOT EXISTS client_ip String DEFAULT '' CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS reason String DEFAULT '' CODEC(ZSTD(1));

DROP VIEW IF EXISTS decision_denies_mv;

CREATE MATERIALIZED VIEW IF NOT EXISTS decision_denies_mv TO decision_denies AS
SELECT tenant, ts, event_id, service, request_id, subject, src_identity, dst_identity, action, resource,
       policy_id, policy_revision, pdp, enforcement_point, latency_ms, client_ip, reason
FROM decision_events
WHERE decision = 'deny' AND NOT dry_run;

-- Rule hits per minute, enforcement point, rule and action, with the clients that triggered each
-- most (topK states, merged by the panel): "top triggered WAF rules" reads these rows, never the
-- decisions, so its cost follows the range and the number of rules, not the traffic.
CREATE TABLE IF NOT EXISTS waf_rule_hits_1m
(
    tenant            LowCardinality(String),
    minute            DateTime('UTC'),
    enforcement_point LowCardinality(String),
    rule_id           String,
    rule_action       LowCardinality(String),
    hits              SimpleAggregateFunction(sum, UInt64),
    denied_hits       SimpleAggregateFunction(sum, UInt64),
    client_ips        AggregateFunction(topKIf(5), String, UInt8)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (tenant, minute, enforcement_point, rule_id, rule_action)
TTL minute + INTERVAL 400 DAY;

-- `denied_hits`: hits on requests that were denied and enforced (a counted rule on a blocked request).
CREATE MATERIALIZED VIEW IF NOT EXISTS waf_rule_hits_1m_mv TO waf_rule_hits_1m AS
SELECT
    tenant,
    toStartOfMinute(ts) AS minute,
    enforcement_point,
    rule_id,
    rule_action,
    count() AS hits,
    countIf(decision = 'deny' AND NOT dry_run) AS denied_hits,
    topKIfState(5)(client_ip, toUInt8(client_ip != '')) AS client_ips
FROM decision_events
ARRAY JOIN mapKeys(rule_actions) AS rule_id, mapValues(rule_actions) AS rule_action
WHERE length(rule_actions) > 0
GROUP BY tenant, minute, enforcement_point, rule_id, rule_action;
