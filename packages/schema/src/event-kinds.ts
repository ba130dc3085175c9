import { z } from 'zod'
import { commonFields, ipAddress, label, mtlsMode, port, workloadIdentity } from './fields.ts'

/** A network flow between two endpoints, as a flow log or a mesh proxy reports it. */
export const flowEvent = z.strictObject({
  ...commonFields,
  src_identity: workloadIdentity.optional().describe('Source workload (SPIFFE ID or namespace/name)'),
  dst_identity: workloadIdentity.optional().describe('Destination workload (SPIFFE ID or namespace/name)'),
  src_ip: ipAddress.optional().describe('Source IP address'),
  dst_ip: ipAddress.optional().describe('Destination IP address'),
  src_port: port.optional().describe('Source port'),
  dst_port: port.describe('Destination port'),
  protocol: z.enum(['tcp', 'udp', 'icmp', 'other']).default('tcp').describe('Transport protocol'),
  verdict: z
    .enum(['allowed', 'dropped', 'denied', 'error'])
    .default('allowed')
    .describe('What the enforcement point did with the flow'),
  bytes_sent: z.number().int().nonnegative().default(0).describe('Bytes from source to destination'),
  bytes_received: z.number().int().nonnegative().default(0).describe('Bytes from destination to source'),
  packets: z.number().int().nonnegative().default(0).describe('Packets in both directions'),
  duration_ms: z.number().nonnegative().default(0).describe('Flow duration in ms'),
  encrypted: z
    .boolean()
    .optional()
    .describe('Whether the flow was encrypted (Azure VNet encryption status, mTLS)'),
  is_reply: z
    .boolean()
    .optional()
    .describe(
      "The record shows the server's answer (src is the responder, dst the initiator): decided by the format (Hubble is_reply, TCP flags, ports); absent when the source cannot tell",
    ),
  server_port: port
    .optional()
    .describe(
      'The port the connection was opened to (dst_port of a request, src_port of a reply), decided by the format; absent when the source cannot tell',
    ),
  mtls: mtlsMode
    .optional()
    .describe(
      'How the connection was secured, as the record shows it (Istio connection_security_policy, peer SAN, SNI, Hubble auth_type)',
    ),
  src_pod: label.optional().describe('Source pod (`namespace/pod`), when the record names it'),
  dst_pod: label.optional().describe('Destination pod (`namespace/pod`), when the record names it'),
  src_app: label
    .optional()
    .describe("Source workload's app label (app, app.kubernetes.io/name), when the record carries it"),
  dst_app: label
    .optional()
    .describe("Destination workload's app label (app, app.kubernetes.io/name), when the record carries it"),
  dst_host: z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe(
      'The host name the client asked for (TLS SNI, the egress cluster or authority of an outbound proxy line), when the record carries it',
    ),
})

/** One authentication attempt at an identity provider or gateway. */
export const authEvent = z.strictObject({
  ...commonFields,
  principal: label.describe('Who authenticated: user e-mail, service account or SPIFFE ID'),
  principal_type: z.enum(['user', 'service']).default('user').describe('Human user or workload'),
  outcome: z.enum(['success', 'failure']).describe('Whether the attempt succeeded'),
  failure_kind: z
    .enum(['user', 'system'])
    .optional()
    .describe("On failure: 'user' (wrong password, unknown user: not bad for the SLO) or 'system'"),
  reason: z.string().max(1024).optional().describe('Why it failed, in the source words'),
  method: label.optional().describe('password, mfa_push, oidc, mtls, ...'),
  client_ip: ipAddress.optional().describe("The client's IP address"),
  country: z.string().max(64).optional().describe('Country of the client, from the IdP'),
  city: z.string().max(128).optional().describe('City of the client, from the IdP'),
  user_agent: z.string().max(1024).optional().describe('User agent'),
  latitude: z.number().min(-90).max(90).optional().describe("Client latitude, from the IdP's geolocation"),
  longitude: z
    .number()
    .min(-180)
    .max(180)
    .optional()
    .describe("Client longitude, from the IdP's geolocation"),
  asn: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe("Client network's autonomous system number, from the IdP"),
  is_proxy: z
    .boolean()
    .optional()
    .describe('Whether the IdP flagged the client address as a proxy or anonymiser'),
  session_id: z
    .string()
    .min(1)
    .max(256)
    .optional()
    .describe(
      "The IdP session the attempt belongs to (Okta's externalSessionId), to follow one session across networks",
    ),
})

/** One mTLS handshake between two workloads. */
export const mtlsEvent = z.strictObject({
  ...commonFields,
  src_identity: workloadIdentity.optional().describe('Client workload identity (SPIFFE ID)'),
  dst_identity: workloadIdentity.optional().describe('Server workload identity (SPIFFE ID)'),
  dst_port: port.optional().describe('Server port'),
  mode: mtlsMode.default('mutual').describe('mutual TLS, server-only TLS, or plaintext'),
  outcome: z.enum(['success', 'failure']).describe('Whether the handshake succeeded'),
  reason: z.string().max(1024).optional().describe('Failure reason: expired_cert, unknown_ca, ...'),
  tls_version: z.string().max(32).optional().describe('TLS version negotiated'),
  handshake_ms: z.number().nonnegative().optional().describe('Handshake duration in ms'),
  cert_not_after: z.number().int().optional().describe('Peer certificate expiry, epoch ms'),
  count: z
    .number()
    .int()
    .min(1)
    .default(1)
    .describe('Handshakes this record stands for (records derived from metrics aggregate many)'),
})

/** What a matched rule did: decided (`block`, `allow`, `captcha`, `challenge`) or only matched (`count`, `match`). */
export const ruleAction = z.enum(['block', 'allow', 'captcha', 'challenge', 'count', 'match'])

/** Most rules one decision lists (a WAF request rarely matches more than a dozen). */
export const maxRuleActions = 64

// Checked by zod (refine) and by the fast validator (maxProperties), so both refuse the same records.
const ruleActions = z
  .record(z.string().min(1).max(256), ruleAction)
  .refine((rules) => Object.keys(rules).length <= maxRuleActions, {
    message: `at most ${maxRuleActions} rules`,
  })
  .meta({ maxProperties: maxRuleActions })

/** One allow/deny decision by a policy decision point (OPA, Envoy ext_authz, Istio RBAC). */
export const decisionEvent = z.strictObject({
  ...commonFields,
  request_id: z.string().max(256).optional().describe('Request id, to join with access logs and traces'),
  pdp: label.default('opa').describe('Decision point: opa, envoy_ext_authz, istio_rbac, ...'),
  enforcement_point: label.optional().describe('The proxy or gateway that asked'),
  subject: z.string().max(1024).optional().describe('Who asked: user or workload identity'),
  src_identity: workloadIdentity.optional().describe('Calling workload identity'),
  dst_identity: workloadIdentity.optional().describe('Called workload identity'),
  action: z.string().max(256).optional().describe('Method or verb'),
  resource: z.string().max(2048).optional().describe('Path or resource'),
  decision: z.enum(['allow', 'deny', 'error']).describe("'error' when the PDP failed (not a deny)"),
  policy_id: z.string().max(256).optional().describe('Policy or rule that decided'),
  policy_revision: z.string().max(256).optional().describe('Policy bundle revision'),
  latency_ms: z
    .number()
    .nonnegative()
    .optional()
    .describe('Decision latency in ms, when the source measured it (absent: not in the percentiles)'),
  dry_run: z.boolean().default(false).describe('Decision from a dry-run (not enforced) policy'),
  cache_hit: z.boolean().optional().describe('Whether the decision came from a cache'),
  client_ip: ipAddress
    .optional()
    .describe("The client's IP address as the enforcement point saw it (a WAF's caller)"),
  reason: z
    .string()
    .max(1024)
    .optional()
    .describe('Why, in the source words: the WAF rule message and what it matched'),
  rule_actions: ruleActions
    .optional()
    .describe(
      'Every rule that matched the request, by id, with what it did (a WAF logs counted rules beside the one that decided)',
    ),
})

/** A change of policy or configuration at an enforcement point: rollouts, rollbacks, drift. */
export const policyChangeEvent = z.strictObject({
  ...commonFields,
  policy_id: label.describe('Which policy or bundle changed'),
  revision: z.string().min(1).max(256).describe('The new revision'),
  previous_revision: z.string().max(256).optional().describe('The revision it replaced'),
  change_type: z.enum(['rollout', 'rollback', 'config']).default('rollout').describe('Kind of change'),
  status: z.enum(['applied', 'failed']).default('applied').describe('Whether it took effect'),
  enforcement_point: label.optional().describe('Where it was applied'),
  actor: z.string().max(256).optional().describe('Who or what made the change'),
  dry_run: z.boolean().default(false).describe('Staged in dry-run mode'),
})

/**
 * One step in a credential's life at an identity provider or resource server: issued (`grant`),
 * refreshed, revoked, ended by a logout, or presented and accepted or refused (`use`, as OIDC
 * introspection logs and gateways show it). Token refresh rate and time to revoke read these.
 */
export const tokenEvent = z.strictObject({
  ...commonFields,
  action: z
    .enum(['grant', 'refresh', 'revoke', 'logout', 'use'])
    .describe('What happened to the credential: issued, refreshed, revoked, session ended, or presented'),
  outcome: z
    .enum(['success', 'failure'])
    .default('success')
    .describe('Whether the step succeeded (for `use`: accepted)'),
  principal: label.optional().describe('Whose credential: user e-mail, service account'),
  client_id: label.optional().describe('The OAuth client (application) the token was issued to'),
  credential_id: z
    .string()
    .min(1)
    .max(512)
    .optional()
    .describe('Which credential: token id (jti), session or grant id; joins a revoke to later uses'),
  grant_type: label
    .optional()
    .describe('OAuth grant type: authorization_code, refresh_token, client_credentials, ...'),
  reason: z.string().max(1024).optional().describe('Why it failed, in the source words'),
  client_ip: ipAddress.optional().describe("The client's IP address"),
})

/**
 * One device or workload posture check (disk encryption, OS patch level, EDR running, ...), as an
 * agent (osquery) or an IdP's device context reports it. `unknown`: the agent could not tell (not a
 * failure: agent telemetry drift must not read as non-compliant devices).
 */
export const postureEvent = z.strictObject({
  ...commonFields,
  device: label.describe('The device or workload checked: host identifier, device id, SPIFFE ID'),
  principal: label.optional().describe('The user or workload using the device, when known'),
  check: label.describe('What was checked: disk_encryption, os_version, firewall, edr_running, ...'),
  outcome: z.enum(['pass', 'fail', 'unknown']).describe("Result; 'unknown' when the agent could not tell"),
  reason: z.string().max(1024).optional().describe('Why it failed or is unknown, in the source words'),
  agent: label.optional().describe('What reported it: osquery, okta-device-context, ...'),
})

/** Every kind of event, by the name used in URLs, topics and tables. */
export const eventSchemas = {
  flow: flowEvent,
  auth: authEvent,
  mtls: mtlsEvent,
  decision: decisionEvent,
  policy_change: policyChangeEvent,
  token: tokenEvent,
  posture: postureEvent,
} as const

export type EventKind = keyof typeof eventSchemas
export const eventKinds = Object.keys(eventSchemas) as EventKind[]

type Normalised<T> = Omit<T, 'event_id' | 'tenant'> & {
  event_id: string
  tenant: string
  observed_at: number
}
export type FlowEvent = Normalised<z.output<typeof flowEvent>>
export type AuthEvent = Normalised<z.output<typeof authEvent>>
export type MtlsEvent = Normalised<z.output<typeof mtlsEvent>>
export type DecisionEvent = Normalised<z.output<typeof decisionEvent>>
export type PolicyChangeEvent = Normalised<z.output<typeof policyChangeEvent>>
export type TokenEvent = Normalised<z.output<typeof tokenEvent>>
export type PostureEvent = Normalised<z.output<typeof postureEvent>>

/** A validated event of one kind, with its id, tenant and receive time filled in. */
export interface EventByKind {
  flow: FlowEvent
  auth: AuthEvent
  mtls: MtlsEvent
  decision: DecisionEvent
  policy_change: PolicyChangeEvent
  token: TokenEvent
  posture: PostureEvent
}
export type AnyEvent = EventByKind[EventKind]

export function isEventKind(value: string): value is EventKind {
  return Object.hasOwn(eventSchemas, value)
}
