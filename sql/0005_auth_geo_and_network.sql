-- Where a sign-in came from, as the IdP saw it: coordinates (impossible travel), the client network's
-- AS number (corporate/VPN egress) and the IdP's proxy flag (credential stuffing through proxies).
ALTER TABLE auth_events ADD COLUMN IF NOT EXISTS latitude Nullable(Float64) AFTER user_agent;
ALTER TABLE auth_events ADD COLUMN IF NOT EXISTS longitude Nullable(Float64) AFTER latitude;
ALTER TABLE auth_events ADD COLUMN IF NOT EXISTS asn Nullable(UInt32) AFTER longitude;
ALTER TABLE auth_events ADD COLUMN IF NOT EXISTS is_proxy Nullable(Bool) AFTER asn;
