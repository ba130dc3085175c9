-- Saved hunts: an analyst's query with its name and range, shared by a link to its id. Scoped by
-- tenant like everything else; the newest save of an id wins (a rename or an edit is a new row).
CREATE TABLE IF NOT EXISTS saved_hunts
(
    tenant        LowCardinality(String),
    hunt_id       String,
    saved_at      DateTime64(3, 'UTC'),
    name          String,
    query         String CODEC(ZSTD(3)),
    -- The range as the hunt was saved: a relative window ('24h') or empty with from/to set.
    range         LowCardinality(String),
    from_ms       Nullable(Int64),
    to_ms         Nullable(Int64),
    saved_by      String
)
ENGINE = ReplacingMergeTree(saved_at)
ORDER BY (tenant, hunt_id);
