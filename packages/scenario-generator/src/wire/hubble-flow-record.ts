// Cilium Hubble flows as the Hubble exporter writes them (events.log, `hubble observe -o json`):
//   {"flow": {time, uuid, verdict, drop_reason?, drop_reason_desc?, IP, l4, source, destination,
//             Type, node_name, event_type, traffic_direction, is_reply, destination_service?,
//             destination_names?, Summary}, "node_name", "time"}
// One record per connection (its first packet, SYN), as an exporter filtered to new connections
// gives them.
import { clusterName, type MeshWorkload } from '../scenario-mesh.ts'

/** A flow endpoint as Hubble writes it. */
export type HubbleEndpoint = Record<string, unknown>

/** The endpoint of a pod of the mesh: namespace, pod, workload and its Cilium labels. */
export function workloadEndpoint(workload: MeshWorkload): HubbleEndpoint {
  const labels = [
    `k8s:app=${workload.name}`,
    `k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=${workload.namespace}`,
    `k8s:io.cilium.k8s.policy.cluster=${clusterName}`,
    `k8s:io.cilium.k8s.policy.serviceaccount=${workload.name}`,
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
  source: HubbleEndpoint
  destination: HubbleEndpoint
  verdict: 'FORWARDED' | 'DROPPED'
  /** Direction at the observation point: EGRESS where the source's policy applies, INGRESS at the destination. */
  direction: 'EGRESS' | 'INGRESS'
  destinationService?: { name: string; namespace: string }
  /** DNS names Cilium's DNS proxy saw for the destination address. */
  destinationNames?: string[]
}

/** One Hubble flow record (a JSON line). Drops are policy denials (POLICY_DENIED, reason 133). */
export function hubbleFlowRecord(input: HubbleFlowInput): string {
  const dropped = input.verdict === 'DROPPED'
  const flow: Record<string, unknown> = {
    time: input.time,
    uuid: input.uuid,
    verdict: input.verdict,
    ...(dropped ? { drop_reason: 133 } : {}),
    IP: { source: input.srcIp, destination: input.dstIp, ipVersion: 'IPv4' },
    l4: { TCP: { source_port: input.srcPort, destination_port: input.dstPort, flags: { SYN: true } } },
    source: input.source,
    destination: input.destination,
    Type: 'L3_L4',
    node_name: input.nodeName,
    ...(input.destinationNames ? { destination_names: input.destinationNames } : {}),
    event_type: dropped ? { type: 1, sub_type: 133 } : { type: 4 },
    ...(input.destinationService ? { destination_service: input.destinationService } : {}),
    traffic_direction: input.direction,
    ...(dropped
      ? {}
      : { trace_observation_point: input.direction === 'EGRESS' ? 'TO_STACK' : 'TO_ENDPOINT' }),
    is_reply: false,
    ...(dropped ? { drop_reason_desc: 'POLICY_DENIED' } : {}),
    Summary: 'TCP Flags: SYN',
  }
  return JSON.stringify({ flow, node_name: input.nodeName, time: input.time })
}
