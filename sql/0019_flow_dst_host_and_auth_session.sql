-- What egress and session detections need in one event (issue 15): the host name a client asked for
-- (TLS SNI, an egress cluster or authority), so an upload names where it went beside the workload and
-- the bytes; and the IdP session an authentication belongs to, so one session used from a second
-- network is visible as such.
ALTER TABLE flow_events ADD COLUMN IF NOT EXISTS dst_host String DEFAULT '' CODEC(ZSTD(1)) AFTER dst_app;
ALTER TABLE auth_events ADD COLUMN IF NOT EXISTS session_id String DEFAULT '' CODEC(ZSTD(1)) AFTER is_proxy;
