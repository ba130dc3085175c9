-- Silences created through the alert router's Alertmanager API (`POST /api/v2/silences`), so that
-- they outlive a restart. Expiring or changing a silence writes a newer version of its row; the
-- router reads the newest version per (tenant, id). Matchers are Alertmanager's JSON matchers.
CREATE TABLE IF NOT EXISTS alert_silences
(
    tenant       LowCardinality(String),
    id           String,
    matchers     String,
    starts_at    DateTime64(3, 'UTC'),
    ends_at      DateTime64(3, 'UTC'),
    created_by   String,
    comment      String,
    updated_at   DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (tenant, id)
TTL toDateTime(ends_at) + INTERVAL 30 DAY;
