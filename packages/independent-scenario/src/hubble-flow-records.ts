/**
 * Hubble flows as `hubble observe -o json` prints them (one `{"flow": {...}, "node_name", "time"}`
 * per line), following cilium/cilium api/v1/flow/flow.proto and the hubble-otel captures in
 * ../shared/fixtures/hubble-flow: trace events carry `event_type {type: 4, sub_type: <observation
 * point>}`, policy verdicts type 5, drops type 1 with the drop reason's number as sub_type, L7 (DNS)
 * type 129. A TCP connection is several events: the policy verdict, the SYN at each observation
 * point, the server's SYN-ACK (`is_reply: true`, plus the deprecated `reply`), FIN both ways.
 */
import type { Pod, Workload } from './mesh.ts'

/** Either end of a flow: a pod of a workload, the node (host), or an address outside the cluster. */
export type FlowEnd =
  | { kind: 'pod'; workload: Workload; pod: Pod }
  | { kind: 'host'; ip: string }
  | { kind: 'world'; ip: string }

/** Trace observation points and their monitor sub_type (pkg/monitor/api TraceObservationPoint). */
const observationSubType = { TO_ENDPOINT: 0, TO_PROXY: 1, TO_HOST: 2, TO_STACK: 3, TO_OVERLAY: 4 } as const
export type ObservationPoint = keyof typeof observationSubType

/** Drop reasons used here, with their numbers (bpf/lib/common.h / flow.proto DropReason). */
export const dropReasons = { POLICY_DENIED: 133, AUTH_REQUIRED: 189, INVALID_SOURCE_IP: 132 } as const

const endpoints = new WeakMap<Pod, Record<string, unknown>>()

function endpointOf(end: FlowEnd): Record<string, unknown> {
  if (end.kind === 'pod') {
    let endpoint = endpoints.get(end.pod)
    if (endpoint === undefined) {
      endpoint = podEndpoint(end.workload, end.pod)
      endpoints.set(end.pod, endpoint)
    }
    return endpoint
  }
  return end.kind === 'host'
    ? { identity: 1, labels: ['reserved:host'] }
    : { identity: 2, labels: ['reserved:world'] }
}

function podEndpoint(workload: Workload, pod: Pod): Record<string, unknown> {
  const labels = [
    `k8s:app=${workload.app}`,
    `k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=${workload.namespace}`,
    'k8s:io.cilium.k8s.policy.cluster=prod-eu-1',
    `k8s:io.cilium.k8s.policy.serviceaccount=${workload.serviceAccount}`,
    `k8s:io.kubernetes.pod.namespace=${workload.namespace}`,
  ]
  if (workload.sidecar)
    labels.push('k8s:security.istio.io/tlsMode=istio', `k8s:service.istio.io/canonical-name=${workload.app}`)
  return {
    ID: pod.endpointId,
    identity: workload.identity,
    namespace: workload.namespace,
    labels: labels.sort(),
    pod_name: pod.name,
    workloads: [{ name: workload.app, kind: /-\d+$/.test(pod.name) ? 'StatefulSet' : 'Deployment' }],
  }
}

const ipOf = (end: FlowEnd) => (end.kind === 'pod' ? end.pod.ip : end.ip)

/** An ISO time with nanoseconds, as Hubble prints it. */
export function hubbleTime(ms: number, nanos: number): string {
  return `${new Date(Math.floor(ms)).toISOString().slice(0, 19)}.${String(Math.floor(ms % 1000)).padStart(3, '0')}${String(nanos % 1_000_000).padStart(6, '0')}Z`
}

/** What one Hubble event says. */
export interface HubbleEvent {
  ms: number
  nanos: number
  node: string
  source: FlowEnd
  destination: FlowEnd
  l4: { proto: 'TCP' | 'UDP'; sourcePort: number; destinationPort: number; flags?: string[] }
  /** trace (at an observation point), policy verdict, drop, or L7 DNS. */
  event:
    | { type: 'trace'; point: ObservationPoint }
    | { type: 'verdict'; matchType: number }
    | { type: 'drop'; reason: keyof typeof dropReasons }
    | {
        type: 'dns'
        query: string
        qtype: 'A' | 'AAAA'
        answer?: { rcode: number; ips: string[]; ttl: number }
      }
  direction: 'INGRESS' | 'EGRESS'
  isReply: boolean
}

const flagText = (flags: string[]) => `TCP Flags: ${flags.join(', ')}`

/** One line of `hubble observe -o json`. */
export function hubbleFlowLine(event: HubbleEvent): string {
  const time = hubbleTime(event.ms, event.nanos)
  const transport: Record<string, unknown> = {
    source_port: event.l4.sourcePort,
    destination_port: event.l4.destinationPort,
  }
  if (event.l4.proto === 'TCP' && event.l4.flags)
    transport.flags = Object.fromEntries(event.l4.flags.map((flag) => [flag, true]))
  const flow: Record<string, unknown> = {
    time,
    uuid: `${event.nanos.toString(16).padStart(8, '0')}-${(event.ms % 65536).toString(16).padStart(4, '0')}-4${(event.l4.sourcePort % 4096).toString(16).padStart(3, '0')}-8${(event.l4.destinationPort % 4096).toString(16).padStart(3, '0')}-${Math.floor(event.ms).toString(16).padStart(12, '0').slice(-12)}`,
    verdict: event.event.type === 'drop' ? 'DROPPED' : 'FORWARDED',
  }
  if (event.event.type === 'drop') flow.drop_reason = dropReasons[event.event.reason]
  flow.IP = {
    source: ipOf(event.source),
    destination: ipOf(event.destination),
    ipVersion: 'IPv4',
  }
  flow.l4 = { [event.l4.proto]: transport }
  flow.source = endpointOf(event.source)
  flow.destination = endpointOf(event.destination)
  flow.Type = event.event.type === 'dns' ? 'L7' : 'L3_L4'
  flow.node_name = event.node
  let summary = event.l4.flags ? flagText(event.l4.flags) : event.l4.proto
  switch (event.event.type) {
    case 'trace':
      flow.event_type =
        observationSubType[event.event.point] === 0
          ? { type: 4 }
          : { type: 4, sub_type: observationSubType[event.event.point] }
      break
    case 'verdict':
      flow.event_type = { type: 5 }
      flow.policy_match_type = event.event.matchType
      break
    case 'drop':
      flow.event_type = { type: 1, sub_type: dropReasons[event.event.reason] }
      flow.drop_reason_desc = event.event.reason
      break
    case 'dns': {
      const dns: Record<string, unknown> = { query: event.event.query }
      if (event.event.answer) {
        if (event.event.answer.ips.length > 0) dns.ips = event.event.answer.ips
        dns.ttl = event.event.answer.ttl
      }
      dns.observation_source = 'proxy'
      if (event.event.answer) dns.rcode = event.event.answer.rcode
      dns.qtypes = [event.event.qtype]
      if (event.event.answer)
        dns.rrtypes = event.event.answer.ips.length > 0 ? [event.event.qtype] : undefined
      if (dns.rrtypes === undefined) delete dns.rrtypes
      flow.l7 = { type: event.event.answer ? 'RESPONSE' : 'REQUEST', dns }
      summary = event.event.answer
        ? event.event.answer.rcode === 3
          ? `DNS Answer RCode: Non-Existent Domain TTL: ${event.event.answer.ttl} (Proxy ${event.event.query} ${event.event.qtype})`
          : `DNS Answer "${event.event.answer.ips.join(',')}" TTL: ${event.event.answer.ttl} (Proxy ${event.event.query} ${event.event.qtype})`
        : `DNS Query ${event.event.query} ${event.event.qtype}`
      flow.event_type = { type: 129 }
      break
    }
  }
  if (event.isReply) flow.reply = true
  if (event.event.type === 'trace') flow.trace_observation_point = event.event.point
  flow.traffic_direction = event.direction
  flow.is_reply = event.isReply
  flow.Summary = summary
  return JSON.stringify({ flow, node_name: event.node, time })
}
