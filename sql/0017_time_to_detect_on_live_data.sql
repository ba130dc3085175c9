-- Time to detect counts findings on live data only. A backfill, a replay or a shipper catching up
-- delivers events hours or days after they happened; measured as detection − event time, every
-- finding on them was "late" and the SLO paged SRE for a burn the detectors did not cause (an
-- independent replay paged "Time to detect burning 100× its budget"). The detector records when
-- the triggering event reached Palisade (`evidence.arrived_at`, the event's observed_at); a finding
-- whose triggering event arrived more than 15 minutes after it happened is late data and is left
-- out of the SLI (neither good nor bad). Findings without `arrived_at` (older rows, risk scores)
-- count as before. The delay of sources in delivering is measured by telemetry completeness.
DROP VIEW IF EXISTS finding_rollup_1m_mv;

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
            - least(toUnixTimestamp64Milli(ts), ifNull(JSONExtract(evidence, 'first_ts', 'Nullable(Int64)'), toUnixTimestamp64Milli(ts))) AS detect_ms,
        JSONExtract(evidence, 'arrived_at', 'Nullable(Int64)') - toUnixTimestamp64Milli(ts) AS arrival_delay_ms
    FROM findings
)
WHERE ifNull(arrival_delay_ms, 0) <= 900000
GROUP BY tenant, service, minute;
