// Cilium Hubble flows as `hubble observe -o json` prints them and the Hubble exporter writes them
// (events.log), one JSON object per line (a JSON array is read too):
//
//   line     = { "flow": flow, "node_name", "time" }     ; GetFlowsResponse, wrapped
//            / flow                                     ; bare flow objects
//            / { "lost_events" | "node_status" | ... }  ; other responses: not flows
//   flow     = { time (RFC 3339, ns), uuid?, verdict, drop_reason_desc?, drop_reason?,
//                IP: { source, destination, ipVersion },
//                l4: { TCP | UDP | SCTP: { source_port, destination_port } / ICMPv4 | ICMPv6: { type, code } },
//                source, destination: endpoint, destination_service?: { name, namespace },
//                Type (L3_L4 / L7), l7?, traffic_direction, trace_observation_point?,
//                is_reply? (BoolValue), reply? (deprecated bool), auth_type?, node_name, ... }
//   endpoint = { namespace?, pod_name?, workloads?: [ { name, kind } ], labels: [ "k8s:..." / "reserved:..." ], identity }
//   verdict  = FORWARDED / DROPPED / ERROR / AUDIT / REDIRECTED / TRACED / TRANSLATED
//
// Verdicts: FORWARDED, REDIRECTED (to a proxy), TRACED, TRANSLATED and AUDIT (a policy in audit
// mode would have denied it, but let it through) are allowed; ERROR is error. DROPPED is denied when
// a policy decided it: POLICY_DENIED (no allow rule matched, default deny), POLICY_DENY (an explicit
// deny rule) and AUTH_REQUIRED (mutual authentication missing); any other drop (INVALID_SOURCE_IP,
// CT_MAP_INSERTION_FAILED, ...) is dropped. The schema has no reason field for flows, so which of
// the three policy drops it was stays in the raw record only.
//
// A connection shows up as several flows (the policy verdict, trace events at each observation
// point in both directions, L7 requests and responses). `is_reply` says which side each shows: a
// SYN-ACK, a DNS answer, an HTTP response is the server's reply, not the server reaching out; it
// becomes the event's `is_reply` and its source port the `server_port`, so no detector mistakes
// the client's ephemeral port for a service.

import { deriveEventId } from '@palisade/schema'
import type { FormatParser, ParseResult } from '../format-parser.ts'
import { workloadOfPod } from '../mesh/pod-workload.ts'
import { splitLines } from '../native-ndjson.ts'
import { readField } from './field-readers.ts'
import { type FlowFields, parseJsonFlows } from './flow-record.ts'
import { FlowRecordUnreadableError } from './flow-record-error.ts'

const allowedVerdicts = new Set(['FORWARDED', 'REDIRECTED', 'TRACED', 'TRANSLATED', 'AUDIT'])
/** Drop reasons that are a policy's decision, by name and by number (flow.proto DropReason). */
const policyDrops = new Set<string | number>(['POLICY_DENIED', 'POLICY_DENY', 'AUTH_REQUIRED', 133, 181, 189])
/** Top-level keys of GetFlowsResponse lines that are not flows. */
const otherResponses = ['lost_events', 'node_status', 'agent_event', 'debug_event']

function asObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined
}

/** The value of a Kubernetes label among Cilium's endpoint labels (`k8s:<key>=<value>`). */
function labelValue(labels: readonly unknown[], key: string): string | undefined {
  const prefix = `k8s:${key}=`
  const found = labels.find((label): label is string => typeof label === 'string' && label.startsWith(prefix))
  const value = found?.slice(prefix.length)
  return value === undefined || value === '' ? undefined : value
}

/** What one endpoint of a Hubble flow says about its workload. */
interface EndpointIdentity {
  identity: string | undefined
  pod: string | undefined
  app: string | undefined
}

/**
 * The endpoint's workload, joined from what the endpoint carries so that every source names it
 * alike: `namespace/<service account>` (Cilium's `io.cilium.k8s.policy.serviceaccount` label), the
 * name Istio's SPIFFE IDs (`…/ns/<ns>/sa/<sa>`) and AuthorizationPolicy principals give the same
 * workload; else `namespace/workload` (a Deployment outlives its pods), else the Deployment or
 * StatefulSet the pod's generated name encodes (else the pod); else
 * Cilium's reserved identity (`reserved:world`, `reserved:host`, ...), which names what is outside
 * the cluster's pods. A namespace's shared `default` service account names no one workload, so it
 * is passed over. The pod and the app label (`app`, `app.kubernetes.io/name`) are kept beside it.
 */
function endpointIdentity(endpoint: Record<string, unknown> | undefined): EndpointIdentity {
  if (endpoint === undefined) return { identity: undefined, pod: undefined, app: undefined }
  const namespace =
    typeof endpoint.namespace === 'string' && endpoint.namespace !== '' ? endpoint.namespace : undefined
  const labels = Array.isArray(endpoint.labels) ? endpoint.labels : []
  const podName =
    typeof endpoint.pod_name === 'string' && endpoint.pod_name !== '' ? endpoint.pod_name : undefined
  const pod = namespace !== undefined && podName !== undefined ? `${namespace}/${podName}` : undefined
  const app = labelValue(labels, 'app') ?? labelValue(labels, 'app.kubernetes.io/name')
  if (namespace !== undefined) {
    const serviceAccount = labelValue(labels, 'io.cilium.k8s.policy.serviceaccount')
    const workload = asObject(Array.isArray(endpoint.workloads) ? endpoint.workloads[0] : undefined)
    const name =
      serviceAccount !== undefined && serviceAccount !== 'default'
        ? serviceAccount
        : typeof workload?.name === 'string' && workload.name !== ''
          ? workload.name
          : podName === undefined
            ? undefined
            : workloadOfPod(podName)
    if (name !== undefined) return { identity: `${namespace}/${name}`, pod, app }
  }
  const reserved = labels.find(
    (label): label is string => typeof label === 'string' && label.startsWith('reserved:'),
  )
  return { identity: reserved, pod, app }
}

/**
 * The side of the connection the flow shows: Hubble's `is_reply` (a BoolValue: absent when the
 * datapath could not tell), else the deprecated `reply` (a plain bool, left out when false, so only
 * `true` says something). Undefined (trace points such as TO_OVERLAY, older Hubble's requests)
 * leaves it to the ports.
 */
function isReplyOf(flow: Record<string, unknown>): boolean | undefined {
  if (typeof flow.is_reply === 'boolean') return flow.is_reply
  return flow.reply === true ? true : undefined
}

function verdictOf(flow: Record<string, unknown>): FlowFields['verdict'] {
  const verdict = flow.verdict
  if (typeof verdict === 'string' && allowedVerdicts.has(verdict)) return 'allowed'
  if (verdict === 'ERROR') return 'error'
  if (verdict === 'DROPPED') {
    const reason = flow.drop_reason_desc ?? flow.drop_reason
    return (typeof reason === 'string' || typeof reason === 'number') && policyDrops.has(reason)
      ? 'denied'
      : 'dropped'
  }
  throw new FlowRecordUnreadableError(
    'verdict: absent or not a Hubble verdict (FORWARDED, DROPPED, ERROR, ...)',
  )
}

function mapLine(value: unknown): FlowFields {
  const line = readField.object(value, 'record')
  const other = otherResponses.find((key) => key in line)
  if (line.flow === undefined && other !== undefined) {
    // lost_events says Hubble's buffer overflowed: flows were lost before they reached us.
    throw new FlowRecordUnreadableError(`not a flow: a ${other} response`)
  }
  const flow = line.flow === undefined ? line : readField.object(line.flow, 'flow')
  const ip = asObject(flow.IP)
  if (ip === undefined) throw new FlowRecordUnreadableError('IP: absent: not an IP flow (no addresses)')
  const l4 = asObject(flow.l4)
  const transport = asObject(l4?.TCP) ?? asObject(l4?.UDP) ?? asObject(l4?.SCTP)
  let protocol: FlowFields['protocol']
  let srcPort: number | undefined
  let dstPort: number
  if (transport !== undefined) {
    protocol = l4?.TCP !== undefined ? 'tcp' : l4?.UDP !== undefined ? 'udp' : 'other'
    // proto3 JSON leaves out zero values: a missing port is port 0.
    srcPort = readField.port(transport.source_port ?? 0, 'l4.source_port')
    dstPort = readField.port(transport.destination_port ?? 0, 'l4.destination_port')
  } else if (l4?.ICMPv4 !== undefined || l4?.ICMPv6 !== undefined) {
    // ICMP has no ports; dst_port is required, and 0 is what AWS writes for ICMP too.
    protocol = 'icmp'
    dstPort = 0
  } else {
    throw new FlowRecordUnreadableError(
      'l4: no TCP, UDP, SCTP or ICMP layer: a flow needs a destination port',
    )
  }
  const time = flow.time ?? line.time
  const service = asObject(flow.destination_service)?.name
  const src = endpointIdentity(asObject(flow.source))
  const dst = endpointIdentity(asObject(flow.destination))
  return {
    // A flow's uuid (Hubble 0.11 and later) is its own id; older flows are named by their content,
    // wrapped or bare alike.
    event_id:
      typeof flow.uuid === 'string' && flow.uuid !== '' ? flow.uuid : deriveEventId('hubble-flow', flow),
    ts: Math.floor(readField.rfc3339(time, 'flow.time')),
    source: 'hubble-flow',
    service: typeof service === 'string' && service !== '' ? service : undefined,
    src_identity: src.identity,
    dst_identity: dst.identity,
    src_pod: src.pod,
    dst_pod: dst.pod,
    src_app: src.app,
    dst_app: dst.app,
    src_ip: readField.ip(ip.source, 'IP.source'),
    dst_ip: readField.ip(ip.destination, 'IP.destination'),
    src_port: srcPort,
    dst_port: dstPort,
    protocol,
    verdict: verdictOf(flow),
    is_reply: isReplyOf(flow),
    // Cilium's mutual authentication (SPIRE) authenticated both ends; DISABLED says nothing about
    // a mesh's own mTLS, so it is no plaintext.
    mtls: flow.auth_type === 'SPIRE' ? 'mutual' : undefined,
    // Transparent encryption (WireGuard, IPsec); its absence says nothing about TLS above it.
    encrypted: ip.encrypted === true ? true : undefined,
  }
}

function parse(input: string): ParseResult {
  return parseJsonFlows(input, mapLine)
}

/** Cilium Hubble flows: `hubble observe -o json` / exporter lines, wrapped or bare. */
export const hubbleFlowParser: FormatParser = {
  name: 'hubble-flow',
  description:
    'Cilium Hubble flows (hubble observe -o json, exporter events.log), wrapped or bare, JSON lines',
  kinds: ['flow'],
  parse,
  splitInput: splitLines,
}
