-- A connection decided once, in the format layer (issue 15): which side of it a flow record shows
-- (`is_reply`: the server answering), the port it was opened to (`server_port`), whether it was
-- mutual TLS (`mtls`), and the workload's pod and app label beside its identity, so that analysts
-- can pivot from a finding to the pods and addresses the records name.
ALTER TABLE flow_events ADD COLUMN IF NOT EXISTS is_reply Nullable(Bool) AFTER encrypted;
ALTER TABLE flow_events ADD COLUMN IF NOT EXISTS server_port Nullable(UInt16) AFTER is_reply;
ALTER TABLE flow_events ADD COLUMN IF NOT EXISTS mtls LowCardinality(Nullable(String)) AFTER server_port;
ALTER TABLE flow_events ADD COLUMN IF NOT EXISTS src_pod String DEFAULT '' CODEC(ZSTD(1)) AFTER mtls;
ALTER TABLE flow_events ADD COLUMN IF NOT EXISTS dst_pod String DEFAULT '' CODEC(ZSTD(1)) AFTER src_pod;
ALTER TABLE flow_events ADD COLUMN IF NOT EXISTS src_app LowCardinality(String) DEFAULT '' AFTER dst_pod;
ALTER TABLE flow_events ADD COLUMN IF NOT EXISTS dst_app LowCardinality(String) DEFAULT '' AFTER src_app;
