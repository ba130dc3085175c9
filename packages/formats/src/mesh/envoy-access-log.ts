// Envoy and Istio access logs, as the proxies write them to stdout, one record a line:
//
//   line    = json / text / cri / docker
//   json    = "{" ... "}"              ; JSON encoding: Istio's default keys (start_time, method,
//                                       ; path, protocol, response_code, response_flags,
//                                       ; response_code_details, connection_termination_details,
//                                       ; bytes_received, bytes_sent, duration, request_id, authority,
//                                       ; upstream_host, upstream_cluster, upstream_local_address,
//                                       ; downstream_local_address, downstream_remote_address,
//                                       ; requested_server_name, route_name, ...), values a string,
//                                       ; a number, null or "-"; plus, when configured, the TLS
//                                       ; operators (downstream_peer_uri_san, downstream_local_uri_san,
//                                       ; upstream_peer_uri_san, upstream_local_uri_san,
//                                       ; downstream_peer_subject) and RBAC dynamic metadata
//   text    = Istio >= 1.9 default (22 fields), Istio 1.3-1.8 default (21), or Envoy's default (13):
//     "[" START_TIME "]" SP DQ METHOD SP PATH SP PROTOCOL DQ SP RESPONSE_CODE SP RESPONSE_FLAGS
//     SP RESPONSE_CODE_DETAILS SP CONNECTION_TERMINATION_DETAILS        ; >= 1.9 only
//     SP DQ DYNAMIC_METADATA(istio.mixer:status) DQ                     ; 1.3-1.8 only
//     SP DQ UPSTREAM_TRANSPORT_FAILURE_REASON DQ                        ; Istio only
//     SP BYTES_RECEIVED SP BYTES_SENT SP DURATION SP UPSTREAM_SERVICE_TIME SP DQ X_FORWARDED_FOR DQ
//     SP DQ USER_AGENT DQ SP DQ REQUEST_ID DQ SP DQ AUTHORITY DQ SP DQ UPSTREAM_HOST DQ
//     SP UPSTREAM_CLUSTER SP UPSTREAM_LOCAL_ADDRESS SP DOWNSTREAM_LOCAL_ADDRESS                  ; Istio only
//     SP DOWNSTREAM_REMOTE_ADDRESS SP REQUESTED_SERVER_NAME SP ROUTE_NAME                        ; Istio only
//   (istio/istio pilot/pkg/model/telemetry_logging.go EnvoyTextLogFormat; Envoy's default format
//   in its access log docs). "-" is Envoy's "not set"; details never hold spaces (Envoy writes "_").
//   cri     = RFC3339NANO SP ("stdout" / "stderr") SP ("F" / "P") SP (json / text) ; kubelet's file;
//             "P" lines are the parts of a long line, joined up to the next "F"
//   docker  = {"log": json / text, "stream", "time"}                  ; Docker's json-file driver
// A body starting "[{" or "[]" is one JSON array of json records (a text line starts "[<time>]").
// Custom TEXT formats cannot be read by position: configure the JSON encoding instead.
//
// What a record becomes, and why:
//   - a flow for every request or connection: from DOWNSTREAM_REMOTE_ADDRESS to UPSTREAM_HOST (the
//     endpoint the proxy reached) or, when none was reached, DOWNSTREAM_LOCAL_ADDRESS (the
//     address the client called); identities from the peer certificates when logged (client:
//     downstream peer or upstream local URI SAN; server: upstream peer or downstream local URI SAN),
//     each SPIFFE ID validated (an invalid one rejects the record, naming it). Verdict: denied or
//     error when an authorization filter said so, else allowed: a 503 UH or a DC is an availability
//     failure, not an enforcement one. Bytes from the client are BYTES_RECEIVED. Always the request
//     side (is_reply false, server_port the upstream's). The pod the proxy runs in (pod_namespace,
//     pod_name, service_account / workload / app keys from %ENVIRONMENT(...)%) is the server of an
//     inbound record (`inbound|` cluster) and the client of an outbound one, named when no
//     certificate did; else, at an inbound listener, the Service the client called
//     (`<svc>.<ns>.svc…` in Istio's mTLS SNI or the authority → `ns/svc`). `dst_host`: a TLS SNI
//     that is not Istio's (PassthroughCluster egress), else an outbound line's cluster host or
//     authority. Addresses are not joined to workloads here (one record at a time): the collector's
//     workload directory does that from the records that name both. `mtls`: Istio's connection_security_policy (mutual_tls / none) when logged;
//     else, inbound, a peer SAN or Istio's mTLS SNI is mutual and neither (the SNI logged, unset)
//     plaintext; an outbound record says nothing (the app talks to its own sidecar in plaintext).
//   - a decision only when an authorization filter clearly decided (nothing else is invented):
//       RESPONSE_CODE_DETAILS or CONNECTION_TERMINATION_DETAILS `rbac_access_denied_matched_policy[<id>]`
//         (HTTP and network RBAC filters) → deny, policy_id <id> (`none`: no ALLOW policy matched),
//         pdp istio_rbac for Istio's `ns[..]-policy[..]-rule[..]` ids, else envoy_rbac;
//       `ext_authz_denied` → deny; `ext_authz_error` / `ext_authz_invalid` → error (fail-closed
//         on a PDP failure is not a deny); flag UAEX with neither → deny (Envoy sets UAEX for both,
//         so without the details a fail-closed error cannot be told apart);
//       RBAC dynamic metadata in a JSON record (any key ending `enforced_engine_result` /
//         `shadow_engine_result`, with its `*_effective_policy_id`, at any depth, so
//         `%DYNAMIC_METADATA(envoy.filters.http.rbac)%` under any key works): enforced results give
//         allow/deny, shadow results (Envoy shadow rules, Istio `istio.io/dry-run` policies with
//         their `istio_dry_run_allow_` / `istio_dry_run_deny_` prefixes) give dry_run decisions.
//     Access logs carry no decision latency, so latency_ms is left to the schema's default.
//   - an mtls event (outcome failure) when UPSTREAM_TRANSPORT_FAILURE_REASON or
//     DOWNSTREAM_TRANSPORT_FAILURE_REASON names a TLS error: the client sidecar's UF line of a
//     request whose mTLS connection failed (certificate rotation gone wrong, unknown CA), seen the
//     moment it happens rather than at the next scrape of the listener's TLS stats. Reason: BoringSSL's
//     error name, in Envoy's TLS-stats words where one means the same (CERTIFICATE_VERIFY_FAILED is
//     fail_verify_error).
//   - service: the destination service host from Istio's mTLS SNI
//     (`outbound_.<port>_.<subset>_.<host>`) or the outbound cluster (`outbound|<port>|<subset>|<host>`),
//     else the authority without its port; options.service overrides it.
//   - ids: the x-request-id is shared by every hop of a request, so it is no record id: each event id
//     is derived from the record (the Envoy line, or the JSON object) and the kind, plus the
//     metadata prefix for dry-run decisions, so that flow and decision ids differ and a replay adds
//     nothing.

import { deriveEventId } from '@palisade/schema'
import type {
  FormatParser,
  ParsedRecord,
  ParseOptions,
  ParseResult,
  RejectedRecord,
} from '../format-parser.ts'
import { splitAtLines, splitJsonRecords } from '../native-ndjson.ts'
import { workloadOfPod } from './pod-workload.ts'
import { identityFromUriSans } from './spiffe-id.ts'

const formatName = 'envoy-access-log'

/** The fields this parser reads, by their Istio JSON key. */
const fieldNames = [
  'start_time',
  'method',
  'path',
  'protocol',
  'response_code',
  'response_flags',
  'response_code_details',
  'connection_termination_details',
  'upstream_transport_failure_reason',
  'downstream_transport_failure_reason',
  'bytes_received',
  'bytes_sent',
  'duration',
  'request_id',
  'authority',
  'upstream_host',
  'upstream_cluster',
  'downstream_local_address',
  'downstream_remote_address',
  'requested_server_name',
  'downstream_peer_uri_san',
  'downstream_local_uri_san',
  'upstream_peer_uri_san',
  'upstream_local_uri_san',
  'downstream_peer_subject',
  'pod_name',
  'pod_namespace',
  'service_account',
  'workload',
  'app',
  'connection_security_policy',
] as const
type Field = (typeof fieldNames)[number]
type AccessLogFields = Partial<Record<Field, string>>

/** Other JSON keys for the same operators (Envoy Gateway's default JSON format names headers). */
const jsonAliases: Partial<Record<Field, readonly string[]>> = {
  path: ['x-envoy-origin-path'],
  request_id: ['x-request-id'],
  authority: [':authority'],
  // The sidecar's own environment (`%ENVIRONMENT(SERVICE_ACCOUNT)%`, ISTIO_META_WORKLOAD_NAME).
  service_account: ['pod_service_account', 'serviceaccount'],
  workload: ['workload_name', 'istio_meta_workload_name'],
}

/** A TEXT layout: the field each position holds (undefined: read but not used) and which are quoted. */
interface TextLayout {
  name: string
  fields: readonly (Field | 'request' | undefined)[]
  quoted: ReadonlySet<number>
}

const istioTail = [
  'bytes_received',
  'bytes_sent',
  'duration',
  undefined, // upstream service time
  undefined, // x-forwarded-for
  undefined, // user agent
  'request_id',
  'authority',
  'upstream_host',
  'upstream_cluster',
  undefined, // upstream local address
  'downstream_local_address',
  'downstream_remote_address',
  'requested_server_name',
  undefined, // route name
] as const

const textLayouts: readonly TextLayout[] = [
  {
    name: 'Istio >= 1.9 default',
    fields: [
      'start_time',
      'request',
      'response_code',
      'response_flags',
      'response_code_details',
      'connection_termination_details',
      'upstream_transport_failure_reason',
      ...istioTail,
    ],
    quoted: new Set([1, 6, 11, 12, 13, 14, 15]),
  },
  {
    name: 'Istio 1.3-1.8 default',
    fields: [
      'start_time',
      'request',
      'response_code',
      'response_flags',
      undefined, // istio.mixer:status
      'upstream_transport_failure_reason',
      ...istioTail,
    ],
    quoted: new Set([1, 4, 5, 10, 11, 12, 13, 14]),
  },
  {
    name: "Envoy's default",
    fields: [
      'start_time',
      'request',
      'response_code',
      'response_flags',
      'bytes_received',
      'bytes_sent',
      'duration',
      undefined,
      undefined,
      undefined,
      'request_id',
      'authority',
      'upstream_host',
    ],
    quoted: new Set([1, 8, 9, 10, 11, 12]),
  },
]

/** An event a record becomes. */
type AccessLogEvent = { kind: 'flow' | 'decision' | 'mtls'; event: Record<string, unknown> }

/** Why one record cannot be read: internal, it becomes that record's RejectedRecord and goes no further. */
class AccessLogRecordUnreadableError extends Error {}

/** Envoy's "not set" values. */
function unset(value: string | undefined): boolean {
  return value === undefined || value === '' || value === '-'
}

/** One token of a TEXT line: its text and whether it was quoted. */
interface Token {
  text: string
  quoted: boolean
}

/**
 * Split a TEXT line into tokens. Envoy does not escape quotes inside quoted fields (a user agent
 * may hold one), so a quoted token ends at the first quote followed by a space or the end.
 */
function tokenize(line: string): Token[] {
  const tokens: Token[] = []
  let at = 0
  while (at < line.length) {
    const char = line[at]
    if (char === ' ') {
      at++
      continue
    }
    // Only START_TIME is bracketed: later fields start with "[" too (`[2a02:cf40::7]:3000`).
    const close = char === '"' ? '"' : char === '[' && tokens.length === 0 ? ']' : undefined
    if (close !== undefined) {
      let end = at + 1
      for (;;) {
        end = line.indexOf(close, end)
        if (end === -1)
          throw new AccessLogRecordUnreadableError(
            `a field opened with ${char} at column ${at + 1} is not closed`,
          )
        if (end + 1 === line.length || line[end + 1] === ' ') break
        end++
      }
      tokens.push({ text: line.slice(at + 1, end), quoted: char === '"' })
      at = end + 1
    } else {
      const end = line.indexOf(' ', at)
      const stop = end === -1 ? line.length : end
      tokens.push({ text: line.slice(at, stop), quoted: false })
      at = stop
    }
  }
  return tokens
}

function readText(line: string): AccessLogFields {
  const tokens = tokenize(line)
  const layout = textLayouts.find(
    (candidate) =>
      candidate.fields.length === tokens.length &&
      tokens.every((token, index) => token.quoted === candidate.quoted.has(index)),
  )
  if (layout === undefined) {
    throw new AccessLogRecordUnreadableError(
      `${tokens.length} fields in a layout that is not ${textLayouts.map((known) => `${known.name} (${known.fields.length})`).join(', ')}: use the JSON encoding for custom formats`,
    )
  }
  const fields: AccessLogFields = {}
  layout.fields.forEach((field, index) => {
    const text = tokens[index]!.text
    if (field === 'request') {
      // "METHOD PATH PROTOCOL"; a path never holds a space (Envoy logs it as sent, percent-encoded).
      const [method, path, protocol] = text.split(' ')
      fields.method = method
      fields.path = path
      fields.protocol = protocol
    } else if (field !== undefined) fields[field] = text
  })
  return fields
}

function jsonText(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return undefined
}

function readJson(record: Record<string, unknown>): AccessLogFields {
  const fields: AccessLogFields = {}
  for (const field of fieldNames) {
    for (const key of [field, ...(jsonAliases[field] ?? [])]) {
      // null is how the JSON encoding writes "not set": kept as "-", so that a field the format logs
      // but the request lacked (no SNI) differs from one the format does not log at all.
      const text = record[key] === null ? '-' : jsonText(record[key])
      if (text !== undefined) {
        fields[field] = text
        break
      }
    }
  }
  return fields
}

/** RBAC engine results found in a JSON record, by metadata key prefix and mode. */
interface RbacResult {
  prefix: string
  mode: 'enforced' | 'shadow'
  result: string
  policyId?: string
}

const rbacKey = /^(.*?)(enforced|shadow)_(engine_result|effective_policy_id)$/

function findRbacResults(record: Record<string, unknown>): RbacResult[] {
  const found = new Map<
    string,
    { prefix: string; mode: 'enforced' | 'shadow'; result?: string; policyId?: string }
  >()
  const walk = (value: unknown, depth: number): void => {
    if (depth > 4 || value === null || typeof value !== 'object') return
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      const match = rbacKey.exec(key)
      if (match !== null && typeof inner === 'string') {
        const [, prefix = '', mode, part] = match
        const id = `${prefix}${mode}`
        const entry = found.get(id) ?? { prefix, mode: mode as 'enforced' | 'shadow' }
        if (part === 'engine_result') entry.result = inner
        else entry.policyId = inner
        found.set(id, entry)
      } else walk(inner, depth + 1)
    }
  }
  walk(record, 0)
  return [...found.values()].flatMap((entry) =>
    entry.result === undefined || unset(entry.result)
      ? []
      : [
          {
            prefix: entry.prefix,
            mode: entry.mode,
            result: entry.result,
            ...optional('policyId', entry.policyId),
          },
        ],
  )
}

function optional<K extends string, V>(key: K, value: V | undefined | null): { [P in K]?: V } {
  return value === undefined || value === null || value === '' || value === '-'
    ? {}
    : ({ [key]: value } as { [P in K]: V })
}

/** An `ip:port` or `[ipv6]:port` address; undefined for "-", a Unix socket or an internal listener. */
function readAddress(text: string | undefined, name: string): { ip?: string; port: number } | undefined {
  if (unset(text)) return undefined
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(text!)
  if (match === null) {
    // Unix sockets (`/path`, `@abstract`) and Envoy internal listeners have no port to report.
    if (/^[/@]|^envoy:\/\//.test(text!)) return undefined
    throw new AccessLogRecordUnreadableError(`${name} "${text}" is not an ip:port address`)
  }
  const port = Number(match[3])
  if (port > 65535) throw new AccessLogRecordUnreadableError(`${name} "${text}": port out of range`)
  const ip = match[1] ?? match[2]!
  const valid = match[1] !== undefined ? isIpv6(ip) : isIpv4(ip)
  if (!valid) throw new AccessLogRecordUnreadableError(`${name} "${text}" is not an IP address`)
  return { ip, port }
}

function isIpv4(text: string): boolean {
  const parts = text.split('.')
  return parts.length === 4 && parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255)
}

function isIpv6(text: string): boolean {
  try {
    // The WHATWG URL parser accepts exactly the valid IPv6 literals, with no I/O.
    new URL(`http://[${text}]/`)
    return true
  } catch {
    return false
  }
}

/** A whole non-negative number field; undefined when unset. */
function readCount(text: string | undefined, name: string): number | undefined {
  if (unset(text)) return undefined
  if (!/^\d+$/.test(text!))
    throw new AccessLogRecordUnreadableError(`${name} "${text}" is not a whole number`)
  return Number(text)
}

const isoTime = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)$/i

/** START_TIME: ISO-8601 with a zone (Envoy's default), or epoch seconds / ms (`%START_TIME(%s)%`). */
function readStartTime(text: string | undefined): number {
  if (unset(text)) throw new AccessLogRecordUnreadableError('no start_time')
  if (isoTime.test(text!)) {
    const ts = Date.parse(text!)
    if (!Number.isNaN(ts)) return ts
  }
  if (/^\d+(?:\.\d+)?$/.test(text!)) {
    const value = Number(text)
    return Math.round(value < 1e11 ? value * 1000 : value)
  }
  throw new AccessLogRecordUnreadableError(`start_time "${text}" is not ISO-8601 with a time zone`)
}

function identity(sans: string | undefined, name: string): string | undefined {
  const read = identityFromUriSans(sans)
  if (!read.ok) throw new AccessLogRecordUnreadableError(`${name}: ${read.reason}`)
  return read.identity
}

const istioSni = /^outbound_\.\d+_\.[^_]*_\.(.+)$/
const istioCluster = /^outbound\|\d+\|[^|]*\|(.+)$/
const istioPolicyId = /^ns\[.*\]-policy\[.*\]-rule\[.*\]$/

/** `<service>.<namespace>.svc` or `<service>.<namespace>.svc.<cluster domain>`: a Kubernetes Service's DNS name. */
const serviceDnsName =
  /^([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\.([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\.svc(?:\.[a-z0-9.-]+)?$/

/** An IPv4 address or a bracketed / bare IPv6 one (an authority that names no host). */
const addressLiteral = /^(?:\d{1,3}(?:\.\d{1,3}){3}|\[?[0-9a-f:]*:[0-9a-f:.]*\]?)$/i

/**
 * The workload a Kubernetes Service name stands for at an inbound listener (`<svc>.<ns>.svc…` →
 * `ns/svc`), from Istio's mTLS SNI or the authority the client called. An inbound line is the
 * sidecar of a pod behind that Service, so the name is the server's even when the record logs no
 * certificate or pod. A bare `<svc>` or `<svc>.<ns>` is not read: the namespace is unknown, or the
 * name cannot be told from a public domain (`shop.example`).
 */
function inboundServiceWorkload(fields: AccessLogFields): string | undefined {
  const sni = unset(fields.requested_server_name)
    ? undefined
    : istioSni.exec(fields.requested_server_name!)?.[1]
  const authority = unset(fields.authority) ? undefined : fields.authority!.replace(/:\d+$/, '')
  for (const host of [sni, authority]) {
    const match = host === undefined ? null : serviceDnsName.exec(host.toLowerCase())
    if (match !== null) return `${match[2]}/${match[1]}`
  }
  return undefined
}

/**
 * The host name the client asked for: a TLS SNI that is not Istio's own mTLS SNI (an egress
 * through the PassthroughCluster or a TLS origination names the real host only there); else, on an
 * outbound line, the host of the outbound cluster (`outbound|443||api.example.com`) or the
 * authority, when it names a host and not an address.
 */
function destinationHostOf(
  fields: AccessLogFields,
  side: 'inbound' | 'outbound' | undefined,
): string | undefined {
  const sni = fields.requested_server_name
  if (!unset(sni) && !istioSni.test(sni!)) return sni!.toLowerCase()
  if (side !== 'outbound') return undefined
  const cluster = fields.upstream_cluster && istioCluster.exec(fields.upstream_cluster)?.[1]
  if (cluster) return cluster.toLowerCase()
  if (unset(fields.authority)) return undefined
  const host = fields.authority!.replace(/:\d+$/, '')
  return addressLiteral.test(host) ? undefined : host.toLowerCase()
}

function serviceOf(fields: AccessLogFields): string | undefined {
  const sni = fields.requested_server_name && istioSni.exec(fields.requested_server_name)?.[1]
  if (sni) return sni
  const cluster = fields.upstream_cluster && istioCluster.exec(fields.upstream_cluster)?.[1]
  if (cluster) return cluster
  if (unset(fields.authority)) return undefined
  return fields.authority!.replace(/:\d+$/, '')
}

/** An authorization outcome read from the record. */
interface Outcome {
  idSuffix: string
  pdp: string
  decision: 'allow' | 'deny' | 'error'
  policyId?: string
  dryRun: boolean
}

function rbacPdp(policyId: string | undefined, prefix = ''): string {
  return prefix.startsWith('istio_') || (policyId !== undefined && istioPolicyId.test(policyId))
    ? 'istio_rbac'
    : 'envoy_rbac'
}

/** The authorization outcomes the record shows, enforced first; empty when no filter decided. */
function outcomesOf(fields: AccessLogFields, rbac: readonly RbacResult[]): Outcome[] {
  const outcomes: Outcome[] = []
  const details = [fields.response_code_details, fields.connection_termination_details]
  for (const detail of details) {
    if (detail === undefined) continue
    const matched = /^rbac_access_denied_matched_policy\[(.*)\]$/.exec(detail)
    if (matched !== null || detail === 'rbac_access_denied') {
      const policyId = matched?.[1] || undefined
      outcomes.push({
        idSuffix: 'decision',
        pdp: rbacPdp(policyId),
        decision: 'deny',
        ...optional('policyId', policyId),
        dryRun: false,
      })
      break
    }
  }
  if (outcomes.length === 0) {
    const flags = (fields.response_flags ?? '').split(',')
    const detail = fields.response_code_details
    if (detail === 'ext_authz_error' || detail === 'ext_authz_invalid') {
      outcomes.push({ idSuffix: 'decision', pdp: 'envoy_ext_authz', decision: 'error', dryRun: false })
    } else if (
      detail === 'ext_authz_denied' ||
      flags.includes('UAEX') ||
      flags.includes('UnauthorizedExternalService')
    ) {
      outcomes.push({ idSuffix: 'decision', pdp: 'envoy_ext_authz', decision: 'deny', dryRun: false })
    }
  }
  const deniedByRbac = outcomes.some((outcome) => outcome.pdp.endsWith('_rbac'))
  const enforcedFirst = [...rbac].sort((a, b) => (a.mode === b.mode ? 0 : a.mode === 'enforced' ? -1 : 1))
  for (const result of enforcedFirst) {
    const decision = result.result === 'allowed' ? 'allow' : result.result === 'denied' ? 'deny' : undefined
    if (decision === undefined) {
      throw new AccessLogRecordUnreadableError(
        `RBAC ${result.prefix}${result.mode}_engine_result "${result.result}" is not allowed or denied`,
      )
    }
    // The enforced metadata of a deny repeats what the details already said: one decision.
    if (result.mode === 'enforced' && decision === 'deny' && deniedByRbac) continue
    outcomes.push({
      idSuffix: `decision/${result.prefix}${result.mode}`,
      pdp: rbacPdp(result.policyId, result.prefix),
      decision,
      ...optional('policyId', result.policyId),
      dryRun: result.mode === 'shadow',
    })
  }
  return outcomes
}

/** Which listener logged the record: `inbound` (the pod is the server) or `outbound` (the pod is the client). */
function listenerSide(cluster: string | undefined): 'inbound' | 'outbound' | undefined {
  if (unset(cluster)) return undefined
  if (cluster!.startsWith('inbound|')) return 'inbound'
  if (cluster!.startsWith('outbound|') || cluster === 'PassthroughCluster') return 'outbound'
  return undefined
}

/**
 * The workload of the pod whose proxy wrote the record, from what the log format adds
 * (`%ENVIRONMENT(POD_NAMESPACE)%`, `%ENVIRONMENT(POD_NAME)%`, the service account, the workload or
 * app name): `namespace/<service account>` (the name its SPIFFE ID and Hubble give it), else the
 * workload name, else the Deployment or StatefulSet a pod name encodes, else the pod.
 */
function ownWorkload(fields: AccessLogFields): { identity?: string; pod?: string; app?: string } {
  if (unset(fields.pod_namespace)) return {}
  const namespace = fields.pod_namespace!
  const pod = unset(fields.pod_name) ? undefined : fields.pod_name!
  const app = unset(fields.app) ? undefined : fields.app
  const serviceAccount =
    unset(fields.service_account) || fields.service_account === 'default' ? undefined : fields.service_account
  const name =
    serviceAccount ??
    (unset(fields.workload) ? undefined : fields.workload) ??
    app ??
    (pod === undefined ? undefined : workloadOfPod(pod))
  return {
    ...optional('identity', name === undefined ? undefined : `${namespace}/${name}`),
    ...optional('pod', pod === undefined ? undefined : `${namespace}/${pod}`),
    ...optional('app', app),
  }
}

/** Istio's connection_security_policy label values. */
const securityPolicies: Readonly<Record<string, 'mutual' | 'plaintext'>> = {
  mutual_tls: 'mutual',
  none: 'plaintext',
}

/**
 * Whether the connection was mutual TLS, as the record shows it: Istio's
 * `connection_security_policy` when logged; else, at an inbound listener (where the mesh's mTLS
 * ends), a peer certificate (`downstream_peer_uri_san`) or Istio's mTLS SNI
 * (`outbound_.<port>_.<subset>_.<host>`, set only by a sidecar's mTLS client) is mutual, and neither
 * is plaintext. An outbound record shows the app talking to its own sidecar: nothing to tell.
 */
function mtlsOf(
  fields: AccessLogFields,
  side: 'inbound' | 'outbound' | undefined,
): 'mutual' | 'plaintext' | undefined {
  const policy = fields.connection_security_policy
  if (!unset(policy) && securityPolicies[policy!] !== undefined) return securityPolicies[policy!]
  if (side !== 'inbound') return undefined
  if (!unset(fields.downstream_peer_uri_san)) return 'mutual'
  if (!unset(fields.requested_server_name) && istioSni.test(fields.requested_server_name!)) return 'mutual'
  // Neither: plaintext, but only when the format logs the SNI at all.
  return fields.requested_server_name !== undefined && unset(fields.requested_server_name)
    ? 'plaintext'
    : undefined
}

/** The reasons Envoy's TLS stats and our schema name, for BoringSSL's error names that mean the same. */
const tlsReasons: Readonly<Record<string, string>> = {
  CERTIFICATE_VERIFY_FAILED: 'fail_verify_error',
  SSLV3_ALERT_CERTIFICATE_EXPIRED: 'expired_cert',
  CERTIFICATE_EXPIRED: 'expired_cert',
  TLSV1_ALERT_UNKNOWN_CA: 'unknown_ca',
  SSLV3_ALERT_BAD_CERTIFICATE: 'bad_certificate',
  PEER_DID_NOT_RETURN_A_CERTIFICATE: 'fail_verify_no_cert',
  TLSV13_ALERT_CERTIFICATE_REQUIRED: 'fail_verify_no_cert',
}

/**
 * A failed TLS handshake the record shows: UPSTREAM_TRANSPORT_FAILURE_REASON (the proxy's own TLS
 * connection to the upstream failed, logged with flag UF by the client's sidecar, e.g. `TLS error:
 * 268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED`, or since Envoy 1.27
 * `TLS_error:|268435581:SSL_routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED:TLS_error_end`) or
 * DOWNSTREAM_TRANSPORT_FAILURE_REASON (a client's handshake with this listener failed). Only TLS
 * failures count (a refused TCP connect also fills the field). The reason is BoringSSL's last
 * upper-case error name, in Envoy's TLS-stats words where one means the same.
 */
function handshakeFailureOf(
  fields: AccessLogFields,
): { direction: 'upstream' | 'downstream'; reason: string } | undefined {
  for (const direction of ['upstream', 'downstream'] as const) {
    const text = fields[`${direction}_transport_failure_reason`]
    if (unset(text) || !/TLS|SSL/.test(text!)) continue
    const names = text!.match(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g) ?? []
    const name = names[names.length - 1]
    return { direction, reason: name === undefined ? 'tls_error' : (tlsReasons[name] ?? name.toLowerCase()) }
  }
  return undefined
}

/** Map one access log record (read into fields) to its events. */
function mapRecord(
  fields: AccessLogFields,
  rbac: readonly RbacResult[],
  canonical: unknown,
  options: ParseOptions | undefined,
): AccessLogEvent[] {
  const ts = readStartTime(fields.start_time)
  const client = readAddress(fields.downstream_remote_address, 'downstream_remote_address')
  const server =
    readAddress(fields.upstream_host, 'upstream_host') ??
    readAddress(fields.downstream_local_address, 'downstream_local_address')
  const srcIdentity =
    identity(fields.downstream_peer_uri_san, 'downstream_peer_uri_san') ??
    identity(fields.upstream_local_uri_san, 'upstream_local_uri_san')
  const dstIdentity =
    identity(fields.upstream_peer_uri_san, 'upstream_peer_uri_san') ??
    identity(fields.downstream_local_uri_san, 'downstream_local_uri_san')
  const side = listenerSide(fields.upstream_cluster)
  const own = ownWorkload(fields)
  const bytesIn = readCount(fields.bytes_received, 'bytes_received')
  const bytesOut = readCount(fields.bytes_sent, 'bytes_sent')
  const duration = readCount(fields.duration, 'duration')
  const outcomes = outcomesOf(fields, rbac)
  const common = {
    ts,
    source: 'envoy',
    ...optional('service', options?.service || serviceOf(fields)),
  }
  const events: AccessLogEvent[] = []
  const enforced = outcomes.filter((outcome) => !outcome.dryRun)
  if (server !== undefined) {
    const verdict = enforced.some((o) => o.decision === 'deny')
      ? 'denied'
      : enforced.some((o) => o.decision === 'error')
        ? 'error'
        : 'allowed'
    events.push({
      kind: 'flow',
      event: {
        event_id: deriveEventId(`${formatName}/flow`, canonical),
        ...common,
        // The proxy logs the pod it runs in: the server of an inbound record, the client of an
        // outbound one; named so when the certificates did not name it.
        ...optional('src_identity', srcIdentity ?? (side === 'outbound' ? own.identity : undefined)),
        ...optional(
          'dst_identity',
          dstIdentity ?? (side === 'inbound' ? (own.identity ?? inboundServiceWorkload(fields)) : undefined),
        ),
        ...optional('src_pod', side === 'outbound' ? own.pod : undefined),
        ...optional('dst_pod', side === 'inbound' ? own.pod : undefined),
        ...optional('src_app', side === 'outbound' ? own.app : undefined),
        ...optional('dst_app', side === 'inbound' ? own.app : undefined),
        ...optional('dst_host', destinationHostOf(fields, side)),
        ...optional('src_ip', client?.ip),
        ...optional('src_port', client?.port),
        ...optional('dst_ip', server.ip),
        dst_port: server.port,
        protocol: fields.protocol?.startsWith('HTTP/3') ? 'udp' : 'tcp',
        verdict,
        // A proxy logs a request (or a TCP connection) from the client that opened it.
        is_reply: false,
        server_port: server.port,
        ...optional('mtls', mtlsOf(fields, side)),
        ...optional('bytes_sent', bytesIn),
        ...optional('bytes_received', bytesOut),
        ...optional('duration_ms', duration),
      },
    })
  }
  const failure = handshakeFailureOf(fields)
  if (failure !== undefined) {
    // The proxy's side of the failed handshake: the client of an upstream failure (outbound), the
    // server of a downstream one (inbound). The peer presented no certificate that was accepted, so
    // the other side is named by its service (the cluster or SNI) or not at all.
    const client = failure.direction === 'upstream' ? (srcIdentity ?? own.identity) : srcIdentity
    const serverIdentity = failure.direction === 'downstream' ? (dstIdentity ?? own.identity) : dstIdentity
    events.push({
      kind: 'mtls',
      event: {
        event_id: deriveEventId(`${formatName}/mtls`, canonical),
        ...common,
        ...optional('src_identity', client),
        ...optional('dst_identity', serverIdentity),
        ...optional('dst_port', server?.port),
        // Istio's own clusters speak its mutual TLS; any other TLS the proxy originates or ends is
        // server-only as far as the record tells.
        mode: side !== undefined && fields.upstream_cluster !== 'PassthroughCluster' ? 'mutual' : 'tls',
        outcome: 'failure',
        reason: failure.reason,
      },
    })
  }
  const pod = unset(fields.pod_name)
    ? undefined
    : unset(fields.pod_namespace)
      ? fields.pod_name
      : `${fields.pod_namespace}/${fields.pod_name}`
  for (const outcome of outcomes) {
    events.push({
      kind: 'decision',
      event: {
        event_id: deriveEventId(`${formatName}/${outcome.idSuffix}`, canonical),
        ...common,
        ...optional('request_id', fields.request_id),
        pdp: outcome.pdp,
        ...optional('enforcement_point', pod),
        ...optional(
          'subject',
          srcIdentity ?? (unset(fields.downstream_peer_subject) ? undefined : fields.downstream_peer_subject),
        ),
        ...optional('src_identity', srcIdentity),
        ...optional('dst_identity', dstIdentity),
        ...optional('action', fields.method),
        ...optional('resource', fields.path),
        decision: outcome.decision,
        ...optional('policy_id', outcome.policyId),
        dry_run: outcome.dryRun,
      },
    })
  }
  if (events.length === 0) {
    throw new AccessLogRecordUnreadableError(
      'no destination address (upstream_host or downstream_local_address) and no decision',
    )
  }
  return events
}

/** Read one line (already unwrapped from CRI) or JSON value into events. */
function mapLine(text: string, value: unknown, options: ParseOptions | undefined): AccessLogEvent[] {
  if (value !== undefined) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new AccessLogRecordUnreadableError('not an access log record (a JSON object)')
    }
    const record = value as Record<string, unknown>
    // Docker's json-file driver and log shippers wrap the proxy's line in {"log": "..."}.
    if (typeof record.log === 'string' && record.start_time === undefined) {
      return mapText(record.log.replace(/\r?\n$/, ''), options)
    }
    return mapRecord(readJson(record), findRbacResults(record), record, options)
  }
  return mapText(text, options)
}

function mapText(text: string, options: ParseOptions | undefined) {
  const trimmed = text.trim()
  if (trimmed.startsWith('{')) {
    let value: unknown
    try {
      value = JSON.parse(trimmed)
    } catch (error) {
      throw new AccessLogRecordUnreadableError(`not valid JSON: ${(error as Error).message}`)
    }
    return mapLine(trimmed, value, options)
  }
  if (!trimmed.startsWith('['))
    throw new AccessLogRecordUnreadableError(
      'not an Envoy access log line (JSON, or TEXT starting "[<time>]")',
    )
  return mapRecord(readText(trimmed), [], trimmed, options)
}

const criLine = /^(\d{4}-\d\d-\d\dT\S+) (stdout|stderr) ([FP]) ?(.*)$/

function parse(input: string, options?: ParseOptions): ParseResult {
  const result: ParseResult = { records: [], rejected: [] }
  const add = (line: number, raw: string, read: () => AccessLogEvent[]) => {
    try {
      for (const { kind, event } of read())
        result.records.push({ line, raw, kind, event } satisfies ParsedRecord)
    } catch (error) {
      if (!(error instanceof AccessLogRecordUnreadableError)) throw error
      result.rejected.push({ line, raw, reason: error.message } satisfies RejectedRecord)
    }
  }
  if (/^\s*\[\s*[{\]]/.test(input)) {
    for (const record of splitJsonRecords(input)) {
      add(record.line, record.raw, () => {
        if (record.reason !== undefined) throw new AccessLogRecordUnreadableError(record.reason)
        return mapLine(record.raw, record.value, options)
      })
    }
    return result
  }
  const lines = input.split('\n')
  let partial: { line: number; raw: string[]; text: string } | undefined
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index]!.replace(/\r$/, '')
    if (raw.trim() === '') continue
    const cri = criLine.exec(raw)
    if (cri === null && partial !== undefined) {
      result.rejected.push({
        line: partial.line,
        raw: partial.raw.join('\n'),
        reason: 'CRI partial line (P) never completed by an F line',
      })
      partial = undefined
    }
    if (cri === null) {
      add(index + 1, raw, () => mapText(raw, options))
      continue
    }
    const text = (partial?.text ?? '') + cri[4]
    if (cri[3] === 'P') {
      partial = { line: partial?.line ?? index + 1, raw: [...(partial?.raw ?? []), raw], text }
      continue
    }
    const line = partial?.line ?? index + 1
    const rawLines = [...(partial?.raw ?? []), raw].join('\n')
    partial = undefined
    add(line, rawLines, () => mapText(text, options))
  }
  if (partial !== undefined) {
    result.rejected.push({
      line: partial.line,
      raw: partial.raw.join('\n'),
      reason: 'CRI partial line (P) never completed by an F line',
    })
  }
  return result
}

/**
 * Split a large log on line boundaries into parts of about `maxChars` (a JSON array stays whole).
 * `splitLines` cannot be used: it keeps any body starting with "[" whole, and TEXT lines do.
 */
function splitLogLines(input: string, maxChars: number): { text: string; firstLine: number }[] {
  if (/^\s*\[\s*[{\]]/.test(input)) return [{ text: input, firstLine: 1 }]
  return splitAtLines(input, maxChars)
}

/** Envoy/Istio access logs (JSON, Istio or Envoy default TEXT, in CRI or Docker wrappers) → flows and authz decisions. */
export const envoyAccessLogParser: FormatParser = {
  name: formatName,
  description:
    'Envoy/Istio access logs (JSON or default TEXT, raw or CRI/Docker-wrapped): flows, RBAC/ext_authz decisions and failed TLS handshakes',
  kinds: ['flow', 'decision', 'mtls'],
  options: ['service'],
  parse,
  splitInput: splitLogLines,
}

/** The same parser under the name Istio users look for. */
export const istioAccessLogParser: FormatParser = {
  ...envoyAccessLogParser,
  name: 'istio-access-log',
  description: 'Alias of envoy-access-log (Istio sidecar and gateway access logs)',
}
