/**
 * Decision-log events of opa-envoy-plugin (OPA as Envoy's ext_authz server), as the agent uploads
 * them (a JSON array per upload, ../shared/fixtures/opa-decision and OPA's "Decision Logs" docs): the
 * input is the plugin's rendering of Envoy's CheckRequest (`attributes.source/destination` with
 * socket addresses and SPIFFE principals, `attributes.request.http`), plus `parsed_path`,
 * `parsed_query`, `truncated_body` and `version`; the result is the policy's value at
 * `envoy/authz/allow`, here the object form (`allowed`, `headers`, `http_status`).
 */

/** What one decision says. */
export interface OpaDecision {
  ms: number
  decisionId: string
  /** opa-envoy-plugin instance: the pod it runs beside. */
  instanceId: string
  bundleRevision: string
  sourceIp: string
  sourcePort: number
  sourcePrincipal: string | null
  destinationIp: string
  destinationPort: number
  destinationPrincipal: string
  requestId: string
  method: string
  path: string
  host: string
  userAgent: string
  allowed: boolean
  /** Rego evaluation time, ns. */
  evalNs: number
}

/** One decision-log event, key order as OPA writes it. */
export function opaDecisionEvent(decision: OpaDecision): string {
  const [pathOnly, query = ''] = decision.path.split('?')
  const headers: Record<string, string> = {
    ':authority': decision.host,
    ':method': decision.method,
    ':path': decision.path,
    ':scheme': 'http',
    'user-agent': decision.userAgent,
    'x-forwarded-proto': 'http',
    'x-request-id': decision.requestId,
  }
  if (decision.sourcePrincipal)
    headers['x-forwarded-client-cert'] =
      `By=${decision.destinationPrincipal};Hash=${decision.decisionId.replace(/-/g, '')};Subject="";URI=${decision.sourcePrincipal}`
  const source: Record<string, unknown> = {
    address: { socketAddress: { address: decision.sourceIp, portValue: decision.sourcePort } },
  }
  if (decision.sourcePrincipal) source.principal = decision.sourcePrincipal
  return JSON.stringify({
    labels: { id: decision.instanceId, version: '0.68.0-envoy-2' },
    decision_id: decision.decisionId,
    bundles: { authz: { revision: decision.bundleRevision } },
    path: 'envoy/authz/allow',
    input: {
      attributes: {
        destination: {
          address: {
            socketAddress: { address: decision.destinationIp, portValue: decision.destinationPort },
          },
          principal: decision.destinationPrincipal,
        },
        metadataContext: {},
        request: {
          http: {
            headers,
            host: decision.host,
            id: String(Math.floor(decision.ms * 7919) % 10_000_000_000),
            method: decision.method,
            path: decision.path,
            protocol: 'HTTP/1.1',
            scheme: 'http',
          },
          time: new Date(decision.ms).toISOString(),
        },
        source,
      },
      parsed_body: null,
      parsed_path: pathOnly!.split('/').filter(Boolean),
      parsed_query: Object.fromEntries(
        query
          .split('&')
          .filter(Boolean)
          .map((pair) => {
            const [key, value = ''] = pair.split('=')
            return [key!, [value]]
          }),
      ),
      truncated_body: false,
      version: { encoding: 'protojson', ext_authz: 'v3' },
    },
    result: decision.allowed
      ? { allowed: true, headers: { 'x-ext-auth-allow': 'yes' } }
      : { allowed: false, headers: { 'x-ext-auth-allow': 'no' }, http_status: 403 },
    requested_by: '',
    timestamp: new Date(decision.ms)
      .toISOString()
      .replace('Z', `${String(decision.evalNs % 1000).padStart(3, '0')}Z`),
    metrics: {
      timer_rego_query_eval_ns: decision.evalNs,
      timer_server_handler_ns: decision.evalNs + 41_000,
    },
    req_id: Math.floor(decision.ms / 13) % 1_000_000,
  })
}
