-- API keys per tenant, each with a role. Only the SHA-256 of a key's secret is kept (the secret is
-- 32 random bytes, shown once at creation). Revoking or rotating writes a newer version of the row;
-- readers take the newest version per key id.
CREATE TABLE IF NOT EXISTS api_keys
(
    key_id         String,
    tenant         LowCardinality(String),
    role           LowCardinality(String),
    name           String,
    secret_sha256  String,
    created_at     DateTime64(3, 'UTC'),
    revoked_at     Nullable(DateTime64(3, 'UTC')),
    updated_at     DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY key_id;

-- The audit trail: who did what, when, from where. Append-only; each row carries the hash of the
-- one before it (`palisade audit verify` recomputes the chain and names the first row that breaks
-- it). No TTL: dropping old rows would break the chain's start.
CREATE TABLE IF NOT EXISTS audit_log
(
    seq        UInt64,
    ts         DateTime64(3, 'UTC'),
    tenant     LowCardinality(String),
    actor      String,
    action     LowCardinality(String),
    target     String,
    detail     String,
    source     String,
    prev_hash  String,
    hash       String
)
ENGINE = MergeTree
ORDER BY seq;

-- Dashboard sessions, so that a restart signs nobody out. Only the SHA-256 of a session id is kept
-- (the id is the cookie); ending a session writes a newer version with `ended` = 1.
CREATE TABLE IF NOT EXISTS dashboard_sessions
(
    id_sha256   String,
    tenant      LowCardinality(String),
    role        LowCardinality(String),
    subject     String,
    expires_at  DateTime64(3, 'UTC'),
    ended       UInt8,
    updated_at  DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY id_sha256
TTL toDateTime(expires_at) + INTERVAL 1 DAY;
