-- Findings: what the detectors concluded, with the evidence that explains each one. The id is
-- derived from content (rule, tenant, entity, triggering event), so a replay adds nothing.
CREATE TABLE IF NOT EXISTS findings
(
    tenant        LowCardinality(String),
    finding_id    String,
    ts            DateTime64(3, 'UTC'),
    detected_at   DateTime64(3, 'UTC'),
    rule          LowCardinality(String),
    severity      LowCardinality(String),
    title         String,
    summary       String,
    entities      String CODEC(ZSTD(3)),
    evidence      String CODEC(ZSTD(3)),
    INDEX idx_finding_id finding_id TYPE bloom_filter(0.001) GRANULARITY 1
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, ts, rule)
TTL toDateTime(ts) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 10000;

-- Records that could not be read or validated, kept with their raw text and the reason, so that
-- nothing a client sent is lost and a fixed parser can replay them.
CREATE TABLE IF NOT EXISTS quarantine
(
    tenant        LowCardinality(String),
    received_at   DateTime64(3, 'UTC'),
    kind          LowCardinality(String),
    line          UInt32,
    raw           String CODEC(ZSTD(3)),
    reason        String,
    request_id    String,
    -- sha-256 of (tenant, kind, raw): the same record sent again is kept once, whatever batch
    -- or request it came in.
    record_id     String,
    INDEX idx_record_id record_id TYPE bloom_filter(0.001) GRANULARITY 1
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(received_at)
ORDER BY (tenant, received_at)
TTL toDateTime(received_at) + INTERVAL 30 DAY
SETTINGS non_replicated_deduplication_window = 10000;

-- Detector state (learned baselines), checkpointed so that a restart keeps what was learned and
-- a consumer that takes a partition over finds the state of its keys. One row per detector and
-- state key (an event's partition key); the newest checkpoint wins.
CREATE TABLE IF NOT EXISTS detector_checkpoints
(
    detector      LowCardinality(String),
    tenant        LowCardinality(String),
    key           String,
    saved_at      DateTime64(3, 'UTC'),
    state         String CODEC(ZSTD(3))
)
ENGINE = ReplacingMergeTree(saved_at)
ORDER BY (detector, tenant, key);
