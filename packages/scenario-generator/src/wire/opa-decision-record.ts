// OPA decision log events as the opa-envoy-plugin's decision logger uploads them (a JSON array per
// upload; one event each here):
//   {decision_id, labels: {id, version, service}, bundles: {authz: {revision}}, path, input, result,
//    requested_by, timestamp, metrics: {timer_rego_query_eval_ns, timer_server_handler_ns}}
// The input is Envoy's CheckRequest (ext_authz v3) with the peers' SPIFFE principals.

/** The fields of one decision. */
export interface OpaDecisionInput {
  decisionId: string
  /** RFC 3339 with microseconds. */
  timestamp: string
  /** The enforcement point (`labels.id`, the OPA instance id configured per sidecar). */
  enforcementPoint: string
  /** Destination service host (`labels.service`). */
  service: string
  revision: string
  source: { ip: string; port: number; principal: string | undefined }
  destination: { ip: string; port: number; principal: string }
  http: { id: string; method: string; path: string; host: string; requestId: string; userAgent: string }
  allowed: boolean
  evalNs: number
}

/** One decision log event (a JSON value). */
export function opaDecisionRecord(input: OpaDecisionInput): string {
  const segments = input.http.path
    .split('?')[0]!
    .split('/')
    .filter((segment) => segment !== '')
  return JSON.stringify({
    decision_id: input.decisionId,
    labels: { id: input.enforcementPoint, service: input.service, version: '0.70.0-envoy' },
    bundles: { authz: { revision: input.revision } },
    path: 'envoy/authz/allow',
    input: {
      attributes: {
        source: {
          address: { socketAddress: { address: input.source.ip, portValue: input.source.port } },
          ...(input.source.principal ? { principal: input.source.principal } : {}),
        },
        destination: {
          address: { socketAddress: { address: input.destination.ip, portValue: input.destination.port } },
          principal: input.destination.principal,
        },
        request: {
          http: {
            id: input.http.id,
            method: input.http.method,
            headers: {
              ':authority': input.http.host,
              ':method': input.http.method,
              ':path': input.http.path,
              'user-agent': input.http.userAgent,
              'x-request-id': input.http.requestId,
            },
            path: input.http.path,
            host: input.http.host,
            protocol: 'HTTP/1.1',
          },
        },
      },
      parsed_path: segments,
      parsed_query: {},
    },
    result: input.allowed,
    requested_by: '',
    timestamp: input.timestamp,
    metrics: {
      timer_rego_query_eval_ns: input.evalNs,
      timer_server_handler_ns: input.evalNs + 38_000,
    },
  })
}
