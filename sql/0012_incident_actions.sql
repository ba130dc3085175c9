-- What people did to incidents (acknowledge, resolve, silence, snooze) from the dashboard or the API,
-- append-only: the incident's timeline and audit trail, and the queue every alert router reads to
-- apply an action once (PagerDuty acknowledge/resolve, no repeats while acknowledged).
CREATE TABLE IF NOT EXISTS incident_actions
(
    tenant        LowCardinality(String),
    id            String,
    incident_key  String,
    kind          LowCardinality(String),
    actor         String,
    comment       String,
    at            DateTime64(3, 'UTC'),
    until         DateTime64(3, 'UTC'),
    matchers      String,
    silence_id    String
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (tenant, incident_key, at, id)
TTL toDateTime(at) + INTERVAL 400 DAY;
