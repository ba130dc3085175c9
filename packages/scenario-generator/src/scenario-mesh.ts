/**
 * The scenario's mesh: a shop on three Kubernetes nodes with Cilium and Istio, its people and the
 * outside world it talks to. Fixed (not seeded): every scenario runs on the same mesh, so intent
 * files, labels and dashboards can name its parts.
 */

import { ScenarioMeshUnknownError } from './errors.ts'

/** SPIFFE trust domain (Istio's default); service account = workload name. */
export const scenarioTrustDomain = 'cluster.local'

/** Cluster name as Cilium writes it before node names (`<cluster>/<node>`). */
export const clusterName = 'acme-prod'

/** The SPIFFE ID Istio gives a workload: `spiffe://cluster.local/ns/<namespace>/sa/<service account>`. */
export const spiffeId = (namespace: string, serviceAccount: string) =>
  `spiffe://${scenarioTrustDomain}/ns/${namespace}/sa/${serviceAccount}`

/** A Kubernetes node: its own address and the pod CIDR Cilium allocates from. */
export interface MeshNode {
  /** Short name, used in stream paths. */
  id: 'node-a' | 'node-b' | 'node-c'
  /** Node name as Hubble writes it (`<cluster>/<node>`). */
  hubbleName: string
  ip: string
}

export const meshNodes: readonly MeshNode[] = [
  { id: 'node-a', hubbleName: `${clusterName}/ip-10-0-1-17.eu-central-1.compute.internal`, ip: '10.0.1.17' },
  { id: 'node-b', hubbleName: `${clusterName}/ip-10-0-2-33.eu-central-1.compute.internal`, ip: '10.0.2.33' },
  { id: 'node-c', hubbleName: `${clusterName}/ip-10-0-3-48.eu-central-1.compute.internal`, ip: '10.0.3.48' },
]

/** A workload (one pod: the scenario runs one replica of each). */
export interface MeshWorkload {
  namespace: string
  name: string
  /** `namespace/name`, as Hubble flows name it. */
  ref: string
  kind: 'Deployment' | 'StatefulSet'
  pod: string
  ip: string
  node: MeshNode['id']
  /** The port it serves. */
  port: number
  protocol: 'http' | 'tcp'
  /** Istio sidecar injected (mTLS, access logs, metrics). */
  sidecar: boolean
  /** OPA ext_authz in its sidecar: the enforcement point `<name>-envoy` logs decisions. */
  opa: boolean
  /** Exposes Prometheus metrics on :9090 (scraped by monitoring/prometheus). */
  metrics: boolean
  /** Cilium security identity (numeric), stable per label set. */
  ciliumIdentity: number
  /** The pod label naming the workload, when not `app` (kube-dns pods carry `k8s-app=kube-dns`). */
  appLabel?: string
  appLabelValue?: string
  /** Service account, when not the workload's name. */
  serviceAccount?: string
}

/** A pod name the way ReplicaSets name pods: `<name>-<10 chars>-<5 chars>`, stable per workload. */
function deploymentPod(name: string): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789'
  let hash = 2166136261
  const next = () => {
    for (const char of name) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619) >>> 0
    hash = Math.imul(hash ^ (hash >>> 13), 0x5bd1e995) >>> 0
    return alphabet[hash % alphabet.length]!
  }
  const part = (length: number) => Array.from({ length }, next).join('')
  return `${name}-${part(10)}-${part(5)}`
}

type WorkloadSpec = Omit<MeshWorkload, 'ref' | 'pod' | 'ciliumIdentity'>

const specs: WorkloadSpec[] = [
  // node-a: the edge of the shop and monitoring
  {
    namespace: 'istio-system',
    name: 'istio-ingressgateway',
    kind: 'Deployment',
    ip: '10.244.1.5',
    node: 'node-a',
    port: 8080,
    protocol: 'http',
    sidecar: true,
    opa: false,
    metrics: false,
  },
  {
    namespace: 'shop',
    name: 'frontend',
    kind: 'Deployment',
    ip: '10.244.1.10',
    node: 'node-a',
    port: 8080,
    protocol: 'http',
    sidecar: true,
    opa: false,
    metrics: true,
  },
  {
    namespace: 'shop',
    name: 'catalog',
    kind: 'Deployment',
    ip: '10.244.1.11',
    node: 'node-a',
    port: 8080,
    protocol: 'http',
    sidecar: true,
    opa: true,
    metrics: true,
  },
  {
    namespace: 'shop',
    name: 'cart',
    kind: 'Deployment',
    ip: '10.244.1.12',
    node: 'node-a',
    port: 8080,
    protocol: 'http',
    sidecar: true,
    opa: true,
    metrics: true,
  },
  {
    namespace: 'monitoring',
    name: 'prometheus',
    kind: 'StatefulSet',
    ip: '10.244.1.20',
    node: 'node-a',
    port: 9090,
    protocol: 'http',
    sidecar: false,
    opa: false,
    metrics: false,
  },
  {
    namespace: 'monitoring',
    name: 'blackbox',
    kind: 'Deployment',
    ip: '10.244.1.21',
    node: 'node-a',
    port: 9115,
    protocol: 'http',
    sidecar: false,
    opa: false,
    metrics: false,
  },
  // node-b: checkout, payments, identity
  {
    namespace: 'shop',
    name: 'checkout',
    kind: 'Deployment',
    ip: '10.244.2.10',
    node: 'node-b',
    port: 8080,
    protocol: 'http',
    sidecar: true,
    opa: true,
    metrics: true,
  },
  {
    namespace: 'shop',
    name: 'inventory',
    kind: 'Deployment',
    ip: '10.244.2.11',
    node: 'node-b',
    port: 8080,
    protocol: 'http',
    sidecar: true,
    opa: true,
    metrics: true,
  },
  {
    namespace: 'payments',
    name: 'payments',
    kind: 'Deployment',
    ip: '10.244.2.12',
    node: 'node-b',
    port: 8443,
    protocol: 'http',
    sidecar: true,
    opa: true,
    metrics: true,
  },
  {
    namespace: 'payments',
    name: 'ledger',
    kind: 'Deployment',
    ip: '10.244.2.13',
    node: 'node-b',
    port: 8443,
    protocol: 'http',
    sidecar: true,
    opa: true,
    metrics: true,
  },
  {
    namespace: 'identity',
    name: 'sso',
    kind: 'Deployment',
    ip: '10.244.2.14',
    node: 'node-b',
    port: 8443,
    protocol: 'http',
    sidecar: true,
    opa: true,
    metrics: true,
  },
  // node-c: data and analytics
  {
    namespace: 'data',
    name: 'postgres',
    kind: 'StatefulSet',
    ip: '10.244.3.10',
    node: 'node-c',
    port: 5432,
    protocol: 'tcp',
    sidecar: true,
    opa: false,
    metrics: true,
  },
  {
    namespace: 'data',
    name: 'redis',
    kind: 'StatefulSet',
    ip: '10.244.3.11',
    node: 'node-c',
    port: 6379,
    protocol: 'tcp',
    sidecar: true,
    opa: false,
    metrics: true,
  },
  {
    namespace: 'data',
    name: 'vault',
    kind: 'StatefulSet',
    ip: '10.244.3.12',
    node: 'node-c',
    port: 8200,
    protocol: 'http',
    sidecar: true,
    opa: true,
    metrics: true,
  },
  {
    namespace: 'analytics',
    name: 'analytics-etl',
    kind: 'Deployment',
    ip: '10.244.3.13',
    node: 'node-c',
    port: 8080,
    protocol: 'http',
    sidecar: true,
    opa: false,
    metrics: true,
  },
  // Deployed on the last day only, without a sidecar (threat: plaintext where STRICT).
  {
    namespace: 'analytics',
    name: 'legacy-export',
    kind: 'Deployment',
    ip: '10.244.3.14',
    node: 'node-c',
    port: 8080,
    protocol: 'http',
    sidecar: false,
    opa: false,
    metrics: false,
  },
]

export const meshWorkloads: readonly MeshWorkload[] = specs.map((spec, index) => ({
  ...spec,
  ref: `${spec.namespace}/${spec.name}`,
  pod: spec.kind === 'StatefulSet' ? `${spec.name}-0` : deploymentPod(spec.name),
  ciliumIdentity: 21_000 + index * 317,
}))

const byRef = new Map(meshWorkloads.map((workload) => [workload.ref, workload]))

/** The workload `namespace/name`; throws on a name the mesh does not have (a bug in the scenario). */
export function meshWorkload(ref: string): MeshWorkload {
  const workload = byRef.get(ref)
  if (workload === undefined) throw new ScenarioMeshUnknownError(`workload ${ref}`)
  return workload
}

/** The cluster's DNS (CoreDNS behind the kube-dns service): not one of the mesh's workloads, no sidecar. */
export const clusterDns: MeshWorkload = {
  namespace: 'kube-system',
  name: 'coredns',
  ref: 'kube-system/coredns',
  kind: 'Deployment',
  pod: deploymentPod('coredns'),
  ip: '10.244.1.3',
  node: 'node-a',
  port: 53,
  protocol: 'tcp',
  sidecar: false,
  opa: false,
  metrics: false,
  ciliumIdentity: 102,
  appLabel: 'k8s-app',
  appLabelValue: 'kube-dns',
  serviceAccount: 'coredns',
}

/** The ClusterIP of a workload's service (what DNS answers; the socket load balancer picks the pod). */
export function serviceIp(workload: MeshWorkload): string {
  const index = meshWorkloads.indexOf(workload)
  return `10.96.${10 + Math.max(0, index)}.${(index * 37 + 11) % 250}`
}

/** The node a workload runs on. */
export function nodeOf(workload: MeshWorkload): MeshNode {
  return meshNodes.find((node) => node.id === workload.node)!
}

/** The Kubernetes service host of a workload, as Istio names destination services. */
export const serviceHost = (workload: MeshWorkload) =>
  `${workload.name}.${workload.namespace}.svc.cluster.local`

/** The OPA enforcement point (decision log `labels.id`) in front of a workload. */
export const enforcementPoint = (workload: MeshWorkload) => `${workload.name}-envoy`

/** A request an edge carries, with its relative weight. */
export interface EdgeRequest {
  method: string
  path: string
  weight: number
}

/** A normal service edge. */
export interface MeshEdge {
  from: string
  to: string
  /** Requests (HTTP) or connections (TCP) per minute at full load and scale 1. */
  rate: number
  requests?: readonly EdgeRequest[]
}

/** The edges of a working day (requests per minute at the busiest hour). */
export const meshEdges: readonly MeshEdge[] = [
  {
    from: 'istio-system/istio-ingressgateway',
    to: 'shop/frontend',
    rate: 16,
    requests: [
      { method: 'GET', path: '/', weight: 5 },
      { method: 'GET', path: '/products', weight: 6 },
      { method: 'GET', path: '/cart', weight: 2 },
      { method: 'POST', path: '/cart/items', weight: 1 },
    ],
  },
  {
    from: 'shop/frontend',
    to: 'shop/catalog',
    rate: 12,
    requests: [
      { method: 'GET', path: '/api/v1/products', weight: 6 },
      { method: 'GET', path: '/api/v1/products/{id}', weight: 4 },
      { method: 'GET', path: '/api/v1/categories', weight: 1 },
    ],
  },
  {
    from: 'shop/frontend',
    to: 'shop/cart',
    rate: 7,
    requests: [
      { method: 'GET', path: '/api/v1/cart/{id}', weight: 4 },
      { method: 'POST', path: '/api/v1/cart/{id}/items', weight: 2 },
    ],
  },
  {
    from: 'shop/frontend',
    to: 'shop/checkout',
    rate: 3,
    requests: [{ method: 'POST', path: '/api/v1/checkout', weight: 1 }],
  },
  {
    from: 'shop/frontend',
    to: 'identity/sso',
    rate: 4,
    requests: [
      { method: 'POST', path: '/oauth2/v1/introspect', weight: 4 },
      { method: 'GET', path: '/oauth2/v1/keys', weight: 1 },
    ],
  },
  { from: 'shop/cart', to: 'data/redis', rate: 4 },
  {
    from: 'shop/checkout',
    to: 'payments/payments',
    rate: 3,
    requests: [
      { method: 'POST', path: '/v1/charges', weight: 5 },
      { method: 'GET', path: '/v1/charges/{id}', weight: 1 },
    ],
  },
  {
    from: 'shop/checkout',
    to: 'shop/inventory',
    rate: 3,
    requests: [{ method: 'POST', path: '/api/v1/reservations', weight: 1 }],
  },
  { from: 'shop/catalog', to: 'data/postgres', rate: 3 },
  { from: 'shop/inventory', to: 'data/postgres', rate: 1.5 },
  {
    from: 'payments/payments',
    to: 'payments/ledger',
    rate: 2.5,
    requests: [{ method: 'POST', path: '/v1/entries', weight: 1 }],
  },
  {
    from: 'payments/payments',
    to: 'data/vault',
    rate: 0.4,
    requests: [{ method: 'GET', path: '/v1/secret/data/payments/stripe', weight: 1 }],
  },
  { from: 'payments/ledger', to: 'data/postgres', rate: 1.5 },
  {
    from: 'payments/ledger',
    to: 'data/vault',
    rate: 0.2,
    requests: [{ method: 'GET', path: '/v1/database/creds/ledger', weight: 1 }],
  },
  { from: 'identity/sso', to: 'data/postgres', rate: 1 },
  { from: 'identity/sso', to: 'data/redis', rate: 1 },
  {
    from: 'identity/sso',
    to: 'data/vault',
    rate: 0.1,
    requests: [{ method: 'GET', path: '/v1/transit/keys/sso-signing', weight: 1 }],
  },
  { from: 'analytics/analytics-etl', to: 'data/postgres', rate: 0.4 },
]

/** A destination outside the cluster. */
export interface ExternalDestination {
  ip: string
  port: number
  /** Host the client asked for (TLS SNI; Hubble's DNS-aware `destination_names`). */
  host?: string
  /** The Istio ServiceEntry host (outbound cluster); undefined: Istio's PassthroughCluster. */
  serviceEntry?: string
}

/** Stripe's API (declared egress by host). */
export const stripeApi: readonly ExternalDestination[] = [
  { ip: '54.187.174.169', port: 443, host: 'api.stripe.com', serviceEntry: 'api.stripe.com' },
  { ip: '54.187.205.235', port: 443, host: 'api.stripe.com', serviceEntry: 'api.stripe.com' },
  { ip: '54.187.216.72', port: 443, host: 'api.stripe.com', serviceEntry: 'api.stripe.com' },
]

/** The analytics partner's ingest endpoint (declared egress by CIDR 198.51.100.0/24). */
export const partnerIngest: ExternalDestination = {
  ip: '198.51.100.20',
  port: 443,
  host: 'ingest.partner-analytics.example',
  serviceEntry: 'ingest.partner-analytics.example',
}

/** Where a place is, as Okta's geolocation and GeoIP describe it. */
export interface Place {
  city: string
  state: string
  country: string
  postalCode: string
  lat: number
  lon: number
}

/** An autonomous system, as Okta's securityContext describes it. */
export interface Network {
  asNumber: number
  asOrg: string
  isp: string
  domain: string
}

export const places = {
  berlin: {
    city: 'Berlin',
    state: 'Land Berlin',
    country: 'Germany',
    postalCode: '10117',
    lat: 52.5196,
    lon: 13.4069,
  },
  austin: {
    city: 'Austin',
    state: 'Texas',
    country: 'United States',
    postalCode: '78701',
    lat: 30.2711,
    lon: -97.7437,
  },
  ashburn: {
    city: 'Ashburn',
    state: 'Virginia',
    country: 'United States',
    postalCode: '20149',
    lat: 39.0438,
    lon: -77.4874,
  },
  newYork: {
    city: 'New York',
    state: 'New York',
    country: 'United States',
    postalCode: '10001',
    lat: 40.7506,
    lon: -73.9972,
  },
  saoPaulo: {
    city: 'São Paulo',
    state: 'São Paulo',
    country: 'Brazil',
    postalCode: '01310',
    lat: -23.5475,
    lon: -46.6361,
  },
  amsterdam: {
    city: 'Amsterdam',
    state: 'North Holland',
    country: 'Netherlands',
    postalCode: '1012',
    lat: 52.374,
    lon: 4.8897,
  },
  bucharest: {
    city: 'Bucharest',
    state: 'Bucuresti',
    country: 'Romania',
    postalCode: '030167',
    lat: 44.4323,
    lon: 26.1063,
  },
  hanoi: {
    city: 'Hanoi',
    state: 'Hanoi',
    country: 'Vietnam',
    postalCode: '100000',
    lat: 21.0245,
    lon: 105.8412,
  },
} satisfies Record<string, Place>

export const networks = {
  telekom: { asNumber: 3320, asOrg: 'deutsche telekom ag', isp: 'deutsche telekom ag', domain: 'telekom.de' },
  att: { asNumber: 7018, asOrg: 'at&t services inc.', isp: 'at&t internet', domain: 'att.net' },
  acmeVpn: { asNumber: 64500, asOrg: 'acme corp vpn', isp: 'acme corp', domain: 'acme.example' },
  verizon: { asNumber: 701, asOrg: 'verizon business', isp: 'verizon fios', domain: 'verizon.net' },
  claro: {
    asNumber: 28573,
    asOrg: 'claro nxt telecomunicacoes ltda',
    isp: 'claro s.a.',
    domain: 'claro.com.br',
  },
  hosting: { asNumber: 206728, asOrg: 'media land llc', isp: 'media land llc', domain: 'medialand.ru' },
  m247: { asNumber: 9009, asOrg: 'm247 europe srl', isp: 'm247 europe srl', domain: 'm247.com' },
  vnpt: {
    asNumber: 45899,
    asOrg: 'vnpt corp',
    isp: 'vietnam posts and telecommunications',
    domain: 'vnpt.vn',
  },
} satisfies Record<string, Network>

/** An office: where its people are, and the NAT address they sign in from. */
export interface Office {
  id: 'berlin' | 'austin'
  place: Place
  network: Network
  /** The office's NAT address. */
  natIp: string
  /** Prefix of the home addresses of the people there (`<prefix><n>`). */
  homePrefix: string
  /** Working hours, UTC. */
  workStartHour: number
  workEndHour: number
}

export const offices: readonly Office[] = [
  {
    id: 'berlin',
    place: places.berlin,
    network: networks.telekom,
    natIp: '203.0.113.10',
    homePrefix: '93.200.41.',
    workStartHour: 7,
    workEndHour: 17,
  },
  {
    id: 'austin',
    place: places.austin,
    network: networks.att,
    natIp: '203.0.113.140',
    homePrefix: '99.61.12.',
    workStartHour: 14,
    workEndHour: 23,
  },
]

/** The corporate VPN: its egress range, AS number and where GeoIP puts it. */
export const corporateVpn = {
  cidr: '192.0.2.0/24',
  ipPrefix: '192.0.2.',
  network: networks.acmeVpn,
  place: places.ashburn,
}

/** A person in the directory. */
export interface ScenarioUser {
  email: string
  displayName: string
  /** Okta user id (`00u...`). */
  oktaId: string
  office: Office
  homeIp: string
  /** Okta Verify push (most) or a security key. */
  factor: 'OKTA_VERIFY_PUSH' | 'FIDO_WEBAUTHN'
}

const firstNames = [
  'anna',
  'ben',
  'clara',
  'david',
  'elena',
  'felix',
  'greta',
  'hannah',
  'jonas',
  'julia',
  'karl',
  'lena',
  'lukas',
  'maria',
  'max',
  'mia',
  'noah',
  'olivia',
  'paul',
  'sophie',
  'tom',
  'emma',
  'liam',
  'ava',
  'ethan',
  'isabella',
  'mason',
  'chloe',
  'logan',
  'grace',
]
const lastNames = [
  'schmidt',
  'mueller',
  'weber',
  'fischer',
  'wagner',
  'becker',
  'hoffmann',
  'schulz',
  'koch',
  'richter',
  'klein',
  'wolf',
  'neumann',
  'braun',
  'zimmermann',
  'johnson',
  'garcia',
  'miller',
  'davis',
  'rodriguez',
  'martinez',
  'hernandez',
  'lopez',
  'wilson',
  'anderson',
  'thomas',
  'taylor',
  'moore',
  'jackson',
  'martin',
]

function oktaUserId(email: string): string {
  const alphabet = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'
  let hash = 2166136261
  let id = '00u'
  for (let n = 0; n < 17; n++) {
    for (const char of `${email}#${n}`) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619) >>> 0
    id += alphabet[hash % alphabet.length]
  }
  return id
}

const capitalise = (word: string) => word[0]!.toUpperCase() + word.slice(1)

/** The 60 people in the directory: the first 30 in Berlin, the others in Austin. */
export const scenarioUsers: readonly ScenarioUser[] = Array.from({ length: 60 }, (_, index) => {
  const first = firstNames[index % firstNames.length]!
  const last = lastNames[(index * 7 + Math.floor(index / 30)) % lastNames.length]!
  const email = `${first}.${last}@acme.example`
  const office = offices[index < 30 ? 0 : 1]!
  return {
    email,
    displayName: `${capitalise(first)} ${capitalise(last)}`,
    oktaId: oktaUserId(email),
    office,
    homeIp: `${office.homePrefix}${20 + index}`,
    factor: index % 9 === 4 ? 'FIDO_WEBAUTHN' : 'OKTA_VERIFY_PUSH',
  }
})

/** Users that are not in the directory (credential stuffing lists): `<first>.<last><n>@acme.example`. */
export function unknownUserEmail(index: number): string {
  const first = firstNames[(index * 11 + 3) % firstNames.length]!
  const last = lastNames[(index * 5 + 1) % lastNames.length]!
  return `${first}.${last}${70 + index}@acme.example`
}

/** The tenant a scenario is loaded as. */
export const scenarioTenant = 'acme'
