// Cilium Hubble flows as the Hubble exporter writes them (events.log, `hubble observe -o json`):
//   {"flow": {time, uuid, verdict, drop_reason?, ethernet, IP, l4, source, destination, Type,
//             node_name, reply?, destination_names?, l7?, event_type, destination_service?,
//             traffic_direction?, trace_observation_point?, policy_match_type?, drop_reason_desc?,
//             is_reply?, interface?, Summary}, "node_name", "time"}
// One connection is many events, as in the hubble-otel captures (../shared/fixtures/hubble-flow):
// the policy verdict where policy applies (event type 5), trace events of the packets both ways at
// each observation point (type 4, `sub_type` the point: TO_ENDPOINT is 0 and so left out, TO_STACK
// 3, TO_OVERLAY 4), with `is_reply` (and the deprecated `reply`, written only when true) on the
// answers; drops (type 1, `sub_type` the reason number); DNS through Cilium's DNS proxy (type 129,
// L7, a query and its answer, the answer `is_reply`). proto3 JSON leaves out zero values: no
// `traffic_direction` at TO_OVERLAY, no `is_reply` where the datapath does not know.
// Newer than the fixtures' Cilium (1.10): `uuid` (Hubble 0.11), `workloads` (Cilium 1.13),
// `destination_service`/`destination_names` when the agent knows them.
import { clusterName, type MeshWorkload } from '../scenario-mesh.ts'

/** A flow endpoint as Hubble writes it. */
export type HubbleEndpoint = Record<string, unknown>

/** The endpoint of a pod of the mesh: namespace, pod, workload and its Cilium labels. */
export function workloadEndpoint(workload: MeshWorkload): HubbleEndpoint {
  const labels = [
    `k8s:${workload.appLabel ?? 'app'}=${workload.appLabelValue ?? workload.name}`,
    `k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=${workload.namespace}`,
    `k8s:io.cilium.k8s.policy.cluster=${clusterName}`,
    `k8s:io.cilium.k8s.policy.serviceaccount=${workload.serviceAccount ?? workload.name}`,
    `k8s:io.kubernetes.pod.namespace=${workload.namespace}`,
  ]
  if (workload.sidecar) labels.push('k8s:security.istio.io/tlsMode=istio')
  return {
    ID: 400 + (workload.ciliumIdentity % 3_000),
    identity: workload.ciliumIdentity,
    namespace: workload.namespace,
    labels,
    pod_name: workload.pod,
    workloads: [{ name: workload.name, kind: workload.kind }],
  }
}

/** Anything outside the cluster (Cilium's reserved identity 2). */
export const worldEndpoint: HubbleEndpoint = { identity: 2, labels: ['reserved:world'] }

/** Drop reasons by name, with their flow.proto numbers. */
export const dropReasons = {
  INVALID_SOURCE_IP: 132,
  POLICY_DENIED: 133,
  CT_MISSING_TCP_ACK_FLAG: 136,
  STALE_OR_UNROUTABLE_IP: 151,
  AUTH_REQUIRED: 189,
} as const
export type DropReason = keyof typeof dropReasons

/** Trace observation points with their event sub-types. */
const tracePoints = { TO_ENDPOINT: 0, TO_STACK: 3, TO_OVERLAY: 4 } as const
export type TracePoint = keyof typeof tracePoints

/** TCP flags in the order Hubble's summary lists them. */
const flagOrder = ['SYN', 'ACK', 'RST', 'FIN', 'PSH'] as const
export type TcpFlag = (typeof flagOrder)[number]

/** What was observed: a packet at a point, a policy verdict, a drop, or a DNS message. */
export type HubbleObservation =
  | { type: 'trace'; point: TracePoint; direction?: 'EGRESS' | 'INGRESS'; reply?: boolean; flags: TcpFlag[] }
  | { type: 'policy-verdict'; direction: 'EGRESS' | 'INGRESS'; flags: TcpFlag[] }
  | { type: 'drop'; reason: DropReason; direction?: 'EGRESS' | 'INGRESS'; flags?: TcpFlag[] }
  | {
      type: 'dns'
      reply: boolean
      query: string
      /** Answer: addresses, or NXDOMAIN (rcode 3). */
      answer?: { ips: string[]; ttl: number } | { nxdomain: true }
    }

/** The fields of one flow record. */
export interface HubbleFlowInput {
  /** RFC 3339 with nanoseconds. */
  time: string
  uuid: string
  nodeName: string
  srcIp: string
  dstIp: string
  srcPort: number
  dstPort: number
  /** Transport (default TCP); ICMPv6 for router solicitations. */
  transport?: 'TCP' | 'UDP' | 'ICMPv6'
  source: HubbleEndpoint
  destination: HubbleEndpoint
  observation: HubbleObservation
  destinationService?: { name: string; namespace: string }
  /** DNS names Cilium's DNS proxy saw for the destination address. */
  destinationNames?: string[]
  /** The endpoint's interface, on TO_ENDPOINT traces. */
  interfaceIndex?: number
}

/** A locally administered MAC address derived from an IP (Hubble records the ethernet header). */
function macOf(ip: string): string {
  const octets = ip.includes(':') ? [0, 0, 0, 0] : ip.split('.').map(Number)
  return ['0a', '58', ...octets.map((octet) => octet.toString(16).padStart(2, '0'))].join(':')
}

function flagsObject(flags: readonly TcpFlag[]): Record<string, true> {
  return Object.fromEntries(flags.map((flag) => [flag, true]))
}

function flagsText(flags: readonly TcpFlag[]): string {
  return `TCP Flags: ${flagOrder.filter((flag) => flags.includes(flag)).join(', ')}`
}

function l4Of(input: HubbleFlowInput, flags: readonly TcpFlag[] | undefined): Record<string, unknown> {
  if (input.transport === 'ICMPv6') return { ICMPv6: { type: 133 } }
  const ports = { source_port: input.srcPort, destination_port: input.dstPort }
  if (input.transport === 'UDP') return { UDP: ports }
  return { TCP: { ...ports, ...(flags && flags.length > 0 ? { flags: flagsObject(flags) } : {}) } }
}

function dnsL7(observation: Extract<HubbleObservation, { type: 'dns' }>): {
  l7: Record<string, unknown>
  summary: string
} {
  const { query, answer } = observation
  if (!observation.reply) {
    return {
      l7: { type: 'REQUEST', dns: { query, observation_source: 'proxy', qtypes: ['A'] } },
      summary: `DNS Query ${query} A`,
    }
  }
  if (answer === undefined || 'nxdomain' in answer) {
    return {
      l7: {
        type: 'RESPONSE',
        dns: { query, ttl: 4294967295, observation_source: 'proxy', rcode: 3, qtypes: ['A'] },
      },
      summary: `DNS Answer RCode: Non-Existent Domain TTL: 4294967295 (Proxy ${query} A)`,
    }
  }
  return {
    l7: {
      type: 'RESPONSE',
      dns: {
        query,
        ips: answer.ips,
        ttl: answer.ttl,
        observation_source: 'proxy',
        qtypes: ['A'],
        rrtypes: answer.ips.map(() => 'A'),
      },
    },
    summary: `DNS Answer "${answer.ips.join(',')}" TTL: ${answer.ttl} (Proxy ${query} A)`,
  }
}

/** One Hubble flow record (a JSON line). */
export function hubbleFlowRecord(input: HubbleFlowInput): string {
  const o = input.observation
  const dropped = o.type === 'drop'
  const flags = o.type === 'dns' ? undefined : o.flags
  const reply = (o.type === 'trace' || o.type === 'dns') && o.reply === true
  const dns = o.type === 'dns' ? dnsL7(o) : undefined
  const eventType =
    o.type === 'trace'
      ? tracePoints[o.point] === 0
        ? { type: 4 }
        : { type: 4, sub_type: tracePoints[o.point] }
      : o.type === 'policy-verdict'
        ? { type: 5 }
        : o.type === 'drop'
          ? { type: 1, sub_type: dropReasons[o.reason] }
          : { type: 129 }
  const direction = o.type === 'dns' ? 'EGRESS' : o.direction
  // Hubble knows whether a packet is a reply wherever conntrack was consulted: not at the overlay.
  const knowsReply = !(o.type === 'trace' && o.point === 'TO_OVERLAY') && input.transport !== 'ICMPv6'
  const flow: Record<string, unknown> = {
    time: input.time,
    uuid: input.uuid,
    verdict: dropped ? 'DROPPED' : 'FORWARDED',
    ...(dropped ? { drop_reason: dropReasons[o.reason] } : {}),
    ...(o.type === 'dns'
      ? {}
      : { ethernet: { source: macOf(input.srcIp), destination: macOf(input.dstIp) } }),
    IP: {
      source: input.srcIp,
      destination: input.dstIp,
      ipVersion: input.srcIp.includes(':') ? 'IPv6' : 'IPv4',
    },
    l4: l4Of(input, flags),
    source: input.source,
    destination: input.destination,
    Type: dns ? 'L7' : 'L3_L4',
    node_name: input.nodeName,
    ...(reply ? { reply: true } : {}),
    ...(input.destinationNames ? { destination_names: input.destinationNames } : {}),
    ...(dns ? { l7: dns.l7 } : {}),
    event_type: eventType,
    ...(input.destinationService ? { destination_service: input.destinationService } : {}),
    ...(direction ? { traffic_direction: direction } : {}),
    ...(o.type === 'trace' ? { trace_observation_point: o.point } : {}),
    ...(o.type === 'policy-verdict' ? { policy_match_type: 2 } : {}),
    ...(dropped ? { drop_reason_desc: o.reason } : {}),
    ...(knowsReply ? { is_reply: reply } : {}),
    ...(o.type === 'trace' && o.point === 'TO_ENDPOINT' && input.interfaceIndex !== undefined
      ? {
          interface: {
            index: input.interfaceIndex,
            name: `lxc${input.uuid.replaceAll('-', '').slice(0, 12)}`,
          },
        }
      : {}),
    Summary: dns
      ? dns.summary
      : input.transport === 'ICMPv6'
        ? 'ICMPv6 RouterSolicitation'
        : flagsText(flags ?? []),
  }
  return JSON.stringify({ flow, node_name: input.nodeName, time: input.time })
}
