/**
 * Istio sidecar and gateway access logs in Istio's JSON encoding (`meshConfig.accessLogEncoding:
 * JSON`): the default keys (Istio's EnvoyFilter default JSON format, as the Elastic test log in
 * ../shared/fixtures/istio-access-log shows them, nulls for unset values) plus two Envoy command
 * operators this mesh's Telemetry config adds, `%DOWNSTREAM_PEER_URI_SAN%` and
 * `%UPSTREAM_PEER_URI_SAN%` (the SPIFFE IDs of the mTLS peers; null on plaintext).
 *
 * One request shows twice: the client sidecar's outbound line (`upstream_cluster
 * outbound|<port>||<host>`, the ClusterIP as `downstream_local_address`) and the server sidecar's
 * inbound line (`inbound|<port>||`, the client's address as `downstream_remote_address`, the mTLS
 * SNI `outbound_.<port>_._.<host>` as `requested_server_name`). A TCP proxy line (databases, TLS
 * egress) has no HTTP fields: `response_code` 0, method/path/protocol null.
 */

/** The fields of one access-log line. */
export interface EnvoyLine {
  startMs: number
  authority: string | null
  method: string | null
  path: string | null
  protocol: string | null
  responseCode: number
  responseCodeDetails: string | null
  responseFlags: string
  bytesReceived: number
  bytesSent: number
  durationMs: number
  upstreamServiceTimeMs: number | null
  requestId: string | null
  userAgent: string | null
  xForwardedFor: string | null
  upstreamCluster: string | null
  upstreamHost: string | null
  upstreamLocalAddress: string | null
  downstreamLocalAddress: string
  downstreamRemoteAddress: string
  requestedServerName: string | null
  routeName: string | null
  upstreamTransportFailureReason: string | null
  connectionTerminationDetails: string | null
  downstreamPeerUriSan: string | null
  upstreamPeerUriSan: string | null
}

/** One JSON access-log line, keys in Istio's default order. */
export function envoyAccessLogLine(line: EnvoyLine): string {
  return JSON.stringify({
    authority: line.authority,
    bytes_received: line.bytesReceived,
    bytes_sent: line.bytesSent,
    connection_termination_details: line.connectionTerminationDetails,
    downstream_local_address: line.downstreamLocalAddress,
    downstream_remote_address: line.downstreamRemoteAddress,
    duration: Math.round(line.durationMs),
    method: line.method,
    path: line.path,
    protocol: line.protocol,
    request_id: line.requestId,
    requested_server_name: line.requestedServerName,
    response_code: line.responseCode,
    response_code_details: line.responseCodeDetails,
    response_flags: line.responseFlags,
    route_name: line.routeName,
    start_time: new Date(line.startMs).toISOString(),
    upstream_cluster: line.upstreamCluster,
    upstream_host: line.upstreamHost,
    upstream_local_address: line.upstreamLocalAddress,
    upstream_service_time:
      line.upstreamServiceTimeMs === null ? null : String(Math.round(line.upstreamServiceTimeMs)),
    upstream_transport_failure_reason: line.upstreamTransportFailureReason,
    user_agent: line.userAgent,
    x_forwarded_for: line.xForwardedFor,
    downstream_peer_uri_san: line.downstreamPeerUriSan,
    upstream_peer_uri_san: line.upstreamPeerUriSan,
  })
}
