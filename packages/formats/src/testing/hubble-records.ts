// Hubble flow records shaped as issue 15 quotes them, for tests of the formats and of the rules:
// a DNS exchange between payments/ledger and kube-system/coredns, whose answer (`is_reply: true`)
// was read as "kube-system/coredns reached payments/ledger:59057".

/** A pod endpoint as Hubble writes it: namespace, pod and Cilium labels (app = service account). */
export function hubbleEndpoint(namespace: string, app: string, pod: string): Record<string, unknown> {
  return {
    namespace,
    pod_name: pod,
    labels: [
      `k8s:app=${app}`,
      `k8s:io.cilium.k8s.policy.serviceaccount=${app}`,
      `k8s:io.kubernetes.pod.namespace=${namespace}`,
    ],
  }
}

export const coredns = hubbleEndpoint('kube-system', 'coredns', 'coredns-5d78c9869d-4xk2p')
export const ledger = hubbleEndpoint('payments', 'ledger', 'ledger-6b8f7d9c4-q8zlm')
export const corednsIp = '10.244.0.10'
export const ledgerIp = '10.244.3.17'

const query = 'ledger-db.payments.svc.cluster.local.'

/** The ledger's DNS query to coredns:53 from `clientPort`, at `at` (epoch ms): a bare flow object. */
export function dnsQuery(at: number, clientPort: number): Record<string, unknown> {
  return {
    time: new Date(at).toISOString(),
    verdict: 'FORWARDED',
    IP: { source: ledgerIp, destination: corednsIp, ipVersion: 'IPv4' },
    l4: { UDP: { source_port: clientPort, destination_port: 53 } },
    source: ledger,
    destination: coredns,
    Type: 'L7',
    l7: { type: 'REQUEST', dns: { query } },
    event_type: { type: 129 },
    traffic_direction: 'EGRESS',
    is_reply: false,
  }
}

/** Coredns's answer to it, on the ledger's ephemeral port: the reply (`is_reply` and the deprecated `reply`). */
export function dnsAnswer(at: number, clientPort: number): Record<string, unknown> {
  return {
    time: new Date(at).toISOString(),
    verdict: 'FORWARDED',
    IP: { source: corednsIp, destination: ledgerIp, ipVersion: 'IPv4' },
    l4: { UDP: { source_port: 53, destination_port: clientPort } },
    source: coredns,
    destination: ledger,
    Type: 'L7',
    l7: { type: 'RESPONSE', dns: { query, rcode: 0 } },
    event_type: { type: 129 },
    traffic_direction: 'EGRESS',
    is_reply: true,
    reply: true,
  }
}

/** A flow object as one `hubble observe -o json` line. */
export function hubbleLine(flow: Record<string, unknown>): string {
  return JSON.stringify({ flow, node_name: 'node-1', time: flow.time })
}
