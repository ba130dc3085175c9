-- The alert router's notification ledger: one row per state change of a notification, append-only.
-- A restart reads the newest row per (tenant, dedup_key, receiver, action) to know what was already
-- delivered (never repeat a page) and what was still pending (never lose one).
CREATE TABLE IF NOT EXISTS alert_notifications
(
    tenant        LowCardinality(String),
    dedup_key     String,
    receiver      LowCardinality(String),
    action        LowCardinality(String),
    status        LowCardinality(String),
    alertname     LowCardinality(String),
    severity      LowCardinality(String),
    summary       String,
    labels        Map(String, String),
    payload       String CODEC(ZSTD(3)),
    attempts      UInt32,
    detail        String,
    recorded_at   DateTime64(3, 'UTC')
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(recorded_at)
ORDER BY (tenant, dedup_key, receiver, recorded_at)
TTL toDateTime(recorded_at) + INTERVAL 400 DAY;
