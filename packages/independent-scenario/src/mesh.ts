import type { SeededRandom } from './seeded-random.ts'

/** One pod as the records name it: Kubernetes pod name, pod IP, node and Cilium endpoint id. */
export interface Pod {
  name: string
  ip: string
  node: string
  endpointId: number
}

/** A Deployment/StatefulSet of the mesh and how its pods present themselves in each source. */
export interface Workload {
  namespace: string
  /** The `app` label (what Hubble shows among the labels and what the team calls it). */
  app: string
  /** The Kubernetes service account (what SPIFFE IDs and Cilium's policy label carry). */
  serviceAccount: string
  port: number
  protocol: 'http' | 'grpc' | 'tcp'
  /** An Istio sidecar is injected (monitoring and kube-system run without). */
  sidecar: boolean
  /** opa-envoy-plugin runs as the sidecar's ext_authz filter. */
  opa: boolean
  /** Cilium security identity (numeric, per label set). */
  identity: number
  clusterIp: string
  pods: Pod[]
}

/** A client → server relation of normal traffic, with what the requests look like. */
export interface MeshEdge {
  from: string
  to: string
  /** Relative share of the mesh's connections. */
  weight: number
  requests: { method: string; path: string }[]
}

/** `namespace/app` of a workload. */
export const workloadName = (workload: Pick<Workload, 'namespace' | 'app'>) =>
  `${workload.namespace}/${workload.app}`

/** `spiffe://cluster.local/ns/<ns>/sa/<sa>` as Istio issues it. */
export const spiffeIdOf = (workload: Workload) =>
  `spiffe://cluster.local/ns/${workload.namespace}/sa/${workload.serviceAccount}`

/** The service's in-cluster DNS name. */
export const serviceHost = (workload: Workload) => `${workload.app}.${workload.namespace}.svc.cluster.local`

interface WorkloadSpec {
  ns: string
  app: string
  sa?: string
  port: number
  protocol?: Workload['protocol']
  sidecar?: boolean
  opa?: boolean
  replicas?: number
  statefulSet?: boolean
  /** Needed by an incident or a confounder: kept at every size. */
  core?: boolean
}

// A 21-service shop of "Northwind", written for this scenario (not the demo mesh): the ingress
// gateway and the monitoring stack run under service accounts that differ from their app labels,
// as the Istio and kube-prometheus charts install them.
const specs: WorkloadSpec[] = [
  {
    ns: 'istio-system',
    app: 'istio-ingressgateway',
    sa: 'istio-ingressgateway-service-account',
    port: 8080,
    core: true,
  },
  { ns: 'frontend', app: 'web', port: 8080, core: true },
  { ns: 'frontend', app: 'bff', port: 8080, core: true },
  { ns: 'shop', app: 'catalog', port: 8080, core: true },
  { ns: 'shop', app: 'cart', port: 8080, core: true },
  { ns: 'shop', app: 'checkout', port: 8080, core: true },
  { ns: 'shop', app: 'search', port: 8080 },
  { ns: 'shop', app: 'reviews', port: 8080, core: true },
  { ns: 'payments', app: 'payment-svc', port: 8443, opa: true, core: true },
  { ns: 'payments', app: 'ledger', sa: 'ledger-writer', port: 8443, core: true },
  { ns: 'payments', app: 'fraud-check', port: 9000, protocol: 'grpc' },
  { ns: 'identity', app: 'auth', port: 8080, opa: true, core: true },
  { ns: 'identity', app: 'user-profile', port: 8080, core: true },
  {
    ns: 'data',
    app: 'postgres',
    sa: 'postgresql',
    port: 5432,
    protocol: 'tcp',
    replicas: 1,
    statefulSet: true,
    core: true,
  },
  { ns: 'data', app: 'redis', port: 6379, protocol: 'tcp', replicas: 1, statefulSet: true, core: true },
  { ns: 'data', app: 'kafka', port: 9092, protocol: 'tcp', replicas: 1, statefulSet: true },
  { ns: 'platform', app: 'notification-svc', port: 8080, core: true },
  { ns: 'platform', app: 'scheduler', sa: 'cronjob-runner', port: 8080, replicas: 1, core: true },
  { ns: 'platform', app: 'config-svc', port: 8080 },
  {
    ns: 'monitoring',
    app: 'prometheus',
    sa: 'prometheus-k8s',
    port: 9090,
    sidecar: false,
    replicas: 1,
    statefulSet: true,
    core: true,
  },
  { ns: 'monitoring', app: 'blackbox-exporter', port: 9115, sidecar: false, replicas: 1, core: true },
]

/** Cluster-level parts every flow source shows besides the workloads. */
export const nodes = [
  'prod-eu-1/ip-10-0-1-21.eu-west-1.compute.internal',
  'prod-eu-1/ip-10-0-2-37.eu-west-1.compute.internal',
  'prod-eu-1/ip-10-0-3-14.eu-west-1.compute.internal',
  'prod-eu-1/ip-10-0-1-88.eu-west-1.compute.internal',
]
/** Node (host) addresses: kubelet probes come from these. */
export const nodeIps = ['10.0.1.21', '10.0.2.37', '10.0.3.14', '10.0.1.88']

/** The mesh: its workloads by `namespace/app`, and CoreDNS (no sidecar) for DNS. */
export interface Mesh {
  workloads: Map<string, Workload>
  coredns: Workload
  edges: MeshEdge[]
}

function makeWorkload(spec: WorkloadSpec, index: number, random: SeededRandom): Workload {
  const replicas = spec.replicas ?? 2
  const replicaSet = random.hex(10).replace(/[aeiou]/g, 'b')
  const pods: Pod[] = Array.from({ length: replicas }, (_, replica) => {
    const nodeIndex = (index + replica * 2) % nodes.length
    const suffix = Array.from({ length: 5 }, () => random.pick([...'bcdfghjklmnpqrstvwxz2456789'])).join('')
    return {
      name: spec.statefulSet ? `${spec.app}-${replica}` : `${spec.app}-${replicaSet}-${suffix}`,
      ip: `10.42.${nodeIndex}.${10 + ((index * 3 + replica) % 240)}`,
      node: nodes[nodeIndex]!,
      endpointId: 100 + random.int(1, 3900),
    }
  })
  return {
    namespace: spec.ns,
    app: spec.app,
    serviceAccount: spec.sa ?? spec.app,
    port: spec.port,
    protocol: spec.protocol ?? 'http',
    sidecar: spec.sidecar ?? true,
    opa: spec.opa ?? false,
    identity: 10_000 + random.int(0, 50_000),
    clusterIp: `172.20.${Math.floor(index / 200) + 10}.${(index % 200) + 10}`,
    pods,
  }
}

const get = (m: Map<string, Workload>, name: string) => m.get(name)

/**
 * The mesh at a size: the 21 services (fewer drops the optional ones, never one an incident or a
 * confounder needs; more adds `shop/extra-N` services the BFF calls).
 */
export function buildMesh(random: SeededRandom, services: number): Mesh {
  const optional = specs.filter((spec) => !spec.core).length
  const minimum = specs.length - optional
  if (services < minimum) throw new RangeError(`services must be at least ${minimum}, got ${services}`)
  let drop = Math.max(0, specs.length - services)
  const chosen = specs.filter((spec) => spec.core || drop-- <= 0)
  for (let extra = 1; chosen.length < services; extra++)
    chosen.push({ ns: 'shop', app: `extra-${extra}`, port: 8080 })
  const workloads = new Map<string, Workload>()
  chosen.forEach((spec, index) => {
    const workload = makeWorkload(spec, index, random)
    workloads.set(workloadName(workload), workload)
  })
  const coredns: Workload = {
    ...makeWorkload({ ns: 'kube-system', app: 'coredns', port: 53, sidecar: false, replicas: 2 }, 79, random),
    serviceAccount: 'coredns',
    clusterIp: '172.20.0.10',
  }
  const edges = meshEdges(workloads)
  return { workloads, coredns, edges }
}

const GET = (path: string) => ({ method: 'GET', path })
const POST = (path: string) => ({ method: 'POST', path })

function meshEdges(workloads: Map<string, Workload>): MeshEdge[] {
  const all: MeshEdge[] = [
    {
      from: 'istio-system/istio-ingressgateway',
      to: 'frontend/web',
      weight: 10,
      requests: [GET('/'), GET('/products/1842'), GET('/static/app.9f2c.js'), GET('/cart')],
    },
    {
      from: 'frontend/web',
      to: 'frontend/bff',
      weight: 8,
      requests: [GET('/api/home'), GET('/api/products?page=2'), POST('/api/cart/items')],
    },
    {
      from: 'frontend/bff',
      to: 'shop/catalog',
      weight: 6,
      requests: [GET('/v1/products'), GET('/v1/products/1842')],
    },
    {
      from: 'frontend/bff',
      to: 'shop/cart',
      weight: 3,
      requests: [GET('/v1/carts/me'), POST('/v1/carts/me/items')],
    },
    { from: 'frontend/bff', to: 'shop/search', weight: 2, requests: [GET('/v1/search?q=kettle')] },
    { from: 'frontend/bff', to: 'shop/reviews', weight: 2, requests: [GET('/v1/reviews?product=1842')] },
    { from: 'frontend/bff', to: 'identity/auth', weight: 4, requests: [POST('/oauth2/introspect')] },
    { from: 'frontend/bff', to: 'shop/checkout', weight: 1, requests: [POST('/v1/orders')] },
    { from: 'shop/checkout', to: 'shop/cart', weight: 1, requests: [GET('/v1/carts/me')] },
    { from: 'shop/checkout', to: 'payments/payment-svc', weight: 1, requests: [POST('/v1/charges')] },
    {
      from: 'payments/payment-svc',
      to: 'payments/fraud-check',
      weight: 1,
      requests: [POST('/fraud.v1.Scorer/Score')],
    },
    { from: 'payments/payment-svc', to: 'payments/ledger', weight: 1, requests: [POST('/v1/entries')] },
    { from: 'payments/ledger', to: 'data/postgres', weight: 1, requests: [] },
    { from: 'shop/catalog', to: 'data/postgres', weight: 3, requests: [] },
    { from: 'shop/catalog', to: 'data/redis', weight: 2, requests: [] },
    { from: 'shop/cart', to: 'data/redis', weight: 3, requests: [] },
    { from: 'shop/reviews', to: 'data/postgres', weight: 1, requests: [] },
    { from: 'shop/search', to: 'shop/catalog', weight: 1, requests: [GET('/v1/products?ids=18,42')] },
    { from: 'identity/auth', to: 'identity/user-profile', weight: 2, requests: [GET('/v1/users/me')] },
    { from: 'identity/auth', to: 'data/redis', weight: 2, requests: [] },
    { from: 'identity/user-profile', to: 'data/postgres', weight: 1, requests: [] },
    { from: 'shop/checkout', to: 'data/kafka', weight: 1, requests: [] },
    { from: 'platform/notification-svc', to: 'data/kafka', weight: 1, requests: [] },
    {
      from: 'platform/scheduler',
      to: 'platform/notification-svc',
      weight: 0.2,
      requests: [POST('/v1/digests/send')],
    },
    { from: 'frontend/bff', to: 'platform/config-svc', weight: 0.5, requests: [GET('/v1/flags')] },
    { from: 'shop/checkout', to: 'platform/config-svc', weight: 0.3, requests: [GET('/v1/flags')] },
    ...[...workloads.keys()]
      .filter((name) => name.startsWith('shop/extra-'))
      .map((name) => ({ from: 'frontend/bff', to: name, weight: 1, requests: [GET('/v1/items')] })),
  ]
  return all.filter((edge) => get(workloads, edge.from) && get(workloads, edge.to))
}

/** External destinations the mesh reaches (declared as Istio ServiceEntries and in PalisadeIntent). */
export const declaredEgress = [
  { from: 'payments/payment-svc', host: 'api.stripe.com', ip: '54.187.174.169', weight: 1 },
  { from: 'platform/notification-svc', host: 'api.sendgrid.com', ip: '167.89.118.52', weight: 0.3 },
  { from: 'identity/auth', host: 'northwind.okta.com', ip: '44.224.65.10', weight: 0.5 },
]
