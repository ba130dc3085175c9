// Istio sidecar access logs in Istio's JSON encoding (meshConfig.accessLogEncoding: JSON) with the
// default keys (../shared/fixtures/istio-access-log/elastic-test-access-json-logs.log), plus what a
// mesh adds to see identities: the TLS operators (`downstream_peer_uri_san:
// %DOWNSTREAM_PEER_URI_SAN%`, `upstream_peer_uri_san`, ...), Istio's connection label
// `connection_security_policy` (`mutual_tls` / `none` where the server's sidecar logs, `unknown`
// on the client's side, which cannot know the server's policy: Istio's own definition) and the pod's
// name and namespace (`%ENVIRONMENT(POD_NAME)%`, `%ENVIRONMENT(POD_NAMESPACE)%`). Keys sorted, as
// Istio writes them; unset values are null or "-" as Envoy leaves them.
// Both sidecars of a request log it: the client's outbound view (`outbound|<port>||<host>`, from the
// app's ephemeral port to the service address, upstream the server pod) and the server's inbound
// view (`inbound|<port>||`, from the client sidecar's port, SNI `outbound_.<port>_._.<host>`).

/** The fields of one access log record. */
export interface EnvoyAccessLogInput {
  startTime: string
  /** HTTP request line; undefined for a TCP connection (the TCP proxy logs no request). */
  http?: { method: string; path: string; protocol: string; authority: string; userAgent: string }
  requestId?: string
  responseCode: number
  responseFlags: string
  responseCodeDetails: string
  connectionTerminationDetails?: string
  bytesReceived: number
  bytesSent: number
  duration: number
  upstreamServiceTime?: number
  upstreamHost?: string
  upstreamCluster: string
  upstreamLocalAddress?: string
  downstreamLocalAddress: string
  downstreamRemoteAddress: string
  requestedServerName?: string
  /** UPSTREAM_TRANSPORT_FAILURE_REASON: why the proxy's TLS connection to the upstream failed. */
  upstreamTransportFailureReason?: string
  downstreamPeerUriSan?: string
  downstreamLocalUriSan?: string
  upstreamPeerUriSan?: string
  upstreamLocalUriSan?: string
  connectionSecurityPolicy?: 'mutual_tls' | 'none' | 'unknown'
  podName: string
  podNamespace: string
}

/** One access log record (a JSON line). */
export function envoyAccessLogRecord(input: EnvoyAccessLogInput): string {
  const http = input.http
  return JSON.stringify({
    authority: http?.authority ?? null,
    bytes_received: input.bytesReceived,
    bytes_sent: input.bytesSent,
    connection_security_policy: input.connectionSecurityPolicy ?? null,
    connection_termination_details: input.connectionTerminationDetails ?? null,
    downstream_local_address: input.downstreamLocalAddress,
    downstream_local_uri_san: input.downstreamLocalUriSan ?? null,
    downstream_peer_uri_san: input.downstreamPeerUriSan ?? null,
    downstream_remote_address: input.downstreamRemoteAddress,
    duration: input.duration,
    method: http?.method ?? null,
    path: http?.path ?? null,
    pod_name: input.podName,
    pod_namespace: input.podNamespace,
    protocol: http?.protocol ?? null,
    request_id: input.requestId ?? null,
    requested_server_name: input.requestedServerName ?? null,
    response_code: input.responseCode,
    response_code_details: input.responseCodeDetails,
    response_flags: input.responseFlags,
    route_name: http ? 'default' : null,
    start_time: input.startTime,
    upstream_cluster: input.upstreamCluster,
    upstream_host: input.upstreamHost ?? null,
    upstream_local_address: input.upstreamLocalAddress ?? null,
    upstream_local_uri_san: input.upstreamLocalUriSan ?? null,
    upstream_peer_uri_san: input.upstreamPeerUriSan ?? null,
    upstream_service_time: input.upstreamServiceTime === undefined ? null : String(input.upstreamServiceTime),
    upstream_transport_failure_reason: input.upstreamTransportFailureReason ?? null,
    user_agent: http?.userAgent ?? null,
    x_forwarded_for: null,
  })
}
