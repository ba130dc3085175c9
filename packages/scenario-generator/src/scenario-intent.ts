// The declared intent of the scenario's mesh, in the files its operators would keep: Kubernetes
// NetworkPolicy (default-deny ingress per namespace, an allow per workload for its normal callers and
// monitoring), Istio PeerAuthentication (mesh-wide STRICT, the metrics port 9090 PERMISSIVE),
// AuthorizationPolicy (payments from checkout; ledger from payments and checkout; vault from the
// workloads that use it) and the PalisadeIntent file (egress, VPN, sensitive services, monitoring,
// known drops, the change calendar, the privileged accounts). Pods are selected by `app: <workload>`, namespaces by
// `kubernetes.io/metadata.name`.
import { stringify } from 'yaml'
import { declaredChangeId } from './last-day-confounders.ts'
import { incidentUsers, incidentWindows } from './last-day-incidents.ts'
import {
  corporateVpn,
  type MeshWorkload,
  meshEdges,
  meshWorkload,
  meshWorkloads,
  partnerIngest,
  scenarioUsers,
} from './scenario-mesh.ts'

const namespaces = ['shop', 'payments', 'data', 'identity', 'monitoring', 'analytics']

const peer = (ref: string) => {
  const workload = meshWorkload(ref)
  return {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': workload.namespace } },
    podSelector: { matchLabels: { app: workload.name } },
  }
}
const fromNamespace = (namespace: string) => ({
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
})
const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: 'TCP', port }))

/** Callers a workload's NetworkPolicy admits on its service port, beyond its normal edges. */
const extraCallers: Record<string, { from: Record<string, unknown>[] }> = {
  // CHG-2031 (checkout v2) writes ledger entries itself.
  'payments/ledger': { from: [peer('shop/checkout')] },
  // Vault is open at L3 to the namespaces of its users; AuthorizationPolicy decides who gets what.
  'data/vault': { from: ['shop', 'payments', 'identity'].map(fromNamespace) },
  // Analytics jobs read the database.
  'data/postgres': { from: [fromNamespace('analytics')] },
}

function networkPolicies(): Record<string, unknown>[] {
  const documents: Record<string, unknown>[] = namespaces.map((namespace) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'default-deny-ingress', namespace },
    spec: { podSelector: {}, policyTypes: ['Ingress'] },
  }))
  const served = meshWorkloads.filter(
    (workload) =>
      workload.namespace !== 'monitoring' &&
      workload.namespace !== 'istio-system' &&
      workload.ref !== 'analytics/legacy-export',
  )
  for (const workload of served) {
    const callers = meshEdges.filter((edge) => edge.to === workload.ref).map((edge) => peer(edge.from))
    const ingress: Record<string, unknown>[] = []
    const from = [...callers, ...(extraCallers[workload.ref]?.from ?? [])]
    if (from.length > 0) ingress.push({ from, ports: tcp(workload.port) })
    ingress.push({
      from: [peer('monitoring/blackbox')],
      ports: tcp(workload.port, ...(workload.metrics ? [9090] : []), ...(workload.sidecar ? [15021] : [])),
    })
    if (workload.metrics) ingress.push({ from: [peer('monitoring/prometheus')], ports: tcp(9090) })
    documents.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: `allow-${workload.name}`, namespace: workload.namespace },
      spec: { podSelector: { matchLabels: { app: workload.name } }, policyTypes: ['Ingress'], ingress },
    })
  }
  return documents
}

function peerAuthentications(): Record<string, unknown>[] {
  const documents: Record<string, unknown>[] = [
    {
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: 'default', namespace: 'istio-system' },
      spec: { mtls: { mode: 'STRICT' } },
    },
  ]
  // Port-level exceptions need a workload selector: one per workload that serves metrics.
  for (const workload of meshWorkloads.filter((candidate) => candidate.metrics)) {
    documents.push({
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: `${workload.name}-metrics-permissive`, namespace: workload.namespace },
      spec: {
        selector: { matchLabels: { app: workload.name } },
        mtls: { mode: 'STRICT' },
        portLevelMtls: { 9090: { mode: 'PERMISSIVE' } },
      },
    })
  }
  return documents
}

const principal = (ref: string) => {
  const workload = meshWorkload(ref)
  return `cluster.local/ns/${workload.namespace}/sa/${workload.name}`
}

function authorizationPolicy(
  workload: MeshWorkload,
  rules: Record<string, unknown>[],
): Record<string, unknown> {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: `${workload.name}-allow`, namespace: workload.namespace },
    spec: {
      selector: { matchLabels: { app: workload.name } },
      action: 'ALLOW',
      // Prometheus scrapes :9090 without a peer identity; every ALLOW policy has to let it in.
      rules: [...rules, { to: [{ operation: { ports: ['9090'], methods: ['GET'], paths: ['/metrics'] } }] }],
    },
  }
}

function authorizationPolicies(): Record<string, unknown>[] {
  return [
    authorizationPolicy(meshWorkload('payments/payments'), [
      {
        from: [{ source: { principals: [principal('shop/checkout')] } }],
        to: [{ operation: { ports: ['8443'] } }],
      },
    ]),
    authorizationPolicy(meshWorkload('payments/ledger'), [
      {
        from: [{ source: { principals: [principal('payments/payments'), principal('shop/checkout')] } }],
        to: [{ operation: { ports: ['8443'] } }],
      },
    ]),
    authorizationPolicy(meshWorkload('data/vault'), [
      {
        from: [
          {
            source: {
              principals: [
                principal('payments/payments'),
                principal('payments/ledger'),
                principal('identity/sso'),
              ],
            },
          },
        ],
        to: [{ operation: { ports: ['8200'] } }],
      },
      // Any workload of the mesh may check health and log in with its service account token.
      {
        from: [{ source: { principals: ['*'] } }],
        to: [{ operation: { ports: ['8200'], paths: ['/v1/sys/health', '/v1/auth/kubernetes/login'] } }],
      },
    ]),
  ]
}

function palisadeIntent(lastDay: number): Record<string, unknown> {
  const change = incidentWindows(lastDay).change
  return {
    apiVersion: 'palisade.dev/v1',
    kind: 'PalisadeIntent',
    metadata: { name: 'acme-perimeter' },
    spec: {
      egress: [
        { host: 'api.stripe.com', ports: [443] },
        { cidr: `${partnerIngest.ip.split('.').slice(0, 3).join('.')}.0/24`, ports: [443] },
      ],
      corporateEgress: { cidrs: [corporateVpn.cidr], asns: [corporateVpn.network.asNumber] },
      sensitive: ['data/vault', 'payments/ledger', 'data/postgres'],
      monitoring: ['monitoring/prometheus', 'monitoring/blackbox'],
      knownDrops: [{ from: 'monitoring/blackbox', to: 'shop/*', port: 9999 }],
      namespaceTenants: {},
      // The Okta administrators: sign-in records carry no groups or roles, so they are declared.
      privileged: [incidentUsers.administrator.email, scenarioUsers[5]!.email],
      changes: [
        {
          id: declaredChangeId,
          from: new Date(change.from).toISOString(),
          to: new Date(change.to).toISOString(),
          description: 'Deploy shop/checkout v2: checkout writes ledger entries directly',
          workloads: ['shop/checkout'],
          addsEdges: [{ from: 'shop/checkout', to: 'payments/ledger', port: 8443 }],
        },
      ],
    },
  }
}

const documents = (docs: Record<string, unknown>[]) => docs.map((doc) => stringify(doc)).join('---\n')

/** The intent documents of the scenario's mesh, by path (relative to the scenario directory). */
export function scenarioIntent(lastDay: number): { path: string; text: string }[] {
  return [
    { path: 'intent/network-policies.yaml', text: documents(networkPolicies()) },
    { path: 'intent/peer-authentication.yaml', text: documents(peerAuthentications()) },
    { path: 'intent/authorization-policies.yaml', text: documents(authorizationPolicies()) },
    { path: 'intent/palisade-intent.yaml', text: documents([palisadeIntent(lastDay)]) },
  ]
}
