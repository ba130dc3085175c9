-- The alert router's noise budget, spent: one row per notification a rule caused (per tenant, in
-- the event time of the news it carried), so that a restart keeps what each rule spent in its
-- current hour instead of letting a flood page again. Append-only; a restart reads, per (tenant,
-- rule), the spends within an hour of its newest. Routers sharing the store (cluster mode) record
-- the same spend alike: `incident` tells one spend from another, and the read takes them once.
CREATE TABLE IF NOT EXISTS alert_noise_budget
(
    tenant        LowCardinality(String),
    rule          LowCardinality(String),
    spent_at      DateTime64(3, 'UTC'),
    incident      String,
    recorded_at   DateTime64(3, 'UTC')
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(recorded_at)
ORDER BY (tenant, rule, spent_at)
TTL toDateTime(recorded_at) + INTERVAL 30 DAY;
