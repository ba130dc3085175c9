-- TTLs on the DateTime64 columns themselves. `toDateTime(ts)` is the 32-bit DateTime, which ends
-- 2106-02-07 and wraps: an event of 2106-06-01 expired at once and one of 2299-12-31 on 2027-10-17.
-- The raw tables get their default retention here; the process that writes events then sets the
-- configured one (`PALISADE_RETENTION_DAYS_<KIND>`, see applyEventRetention).
ALTER TABLE flow_events MODIFY TTL ts + INTERVAL 30 DAY;
ALTER TABLE auth_events MODIFY TTL ts + INTERVAL 90 DAY;
ALTER TABLE mtls_events MODIFY TTL ts + INTERVAL 30 DAY;
ALTER TABLE decision_events MODIFY TTL ts + INTERVAL 30 DAY;
ALTER TABLE policy_change_events MODIFY TTL ts + INTERVAL 400 DAY;
ALTER TABLE findings MODIFY TTL ts + INTERVAL 400 DAY;
ALTER TABLE quarantine MODIFY TTL received_at + INTERVAL 30 DAY;
ALTER TABLE alert_notifications MODIFY TTL recorded_at + INTERVAL 400 DAY;
