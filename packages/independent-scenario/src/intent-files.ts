import type { Mesh } from './mesh.ts'

/** One declared-intent file: its path under `intent/` and its YAML. */
export interface IntentFile {
  path: string
  text: string
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z')

/**
 * The declared intent, written by hand as a platform team would keep it in git: Kubernetes
 * NetworkPolicies (default-deny ingress per protected namespace, one allow per edge), Istio
 * PeerAuthentication (mesh-wide STRICT) and AuthorizationPolicies, and the PalisadeIntent file
 * for what Kubernetes and Istio cannot say. Only the rollout window depends on the scenario's dates.
 */
export function intentFiles(mesh: Mesh, lastDay: number): IntentFile[] {
  const has = (name: string) => mesh.workloads.has(name)
  const allow = (
    namespace: string,
    app: string,
    port: number,
    from: { ns?: string; app?: string }[],
    name?: string,
  ) => {
    const peers = from
      .map((peer) => {
        const lines: string[] = []
        if (peer.ns)
          lines.push(
            `        - namespaceSelector:\n            matchLabels:\n              kubernetes.io/metadata.name: ${peer.ns}`,
          )
        if (peer.app) {
          const indent = peer.ns ? '          ' : '        - '
          lines.push(`${indent}podSelector:\n            matchLabels:\n              app: ${peer.app}`)
        }
        return lines.join('\n')
      })
      .join('\n')
    return `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: ${name ?? `allow-${app}`}
  namespace: ${namespace}
spec:
  podSelector:
    matchLabels:
      app: ${app}
  policyTypes: [Ingress]
  ingress:
    - from:
${peers}
      ports:
        - protocol: TCP
          port: ${port}
`
  }
  const denyAll = (namespace: string) => `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny-ingress
  namespace: ${namespace}
spec:
  podSelector: {}
  policyTypes: [Ingress]
`
  const monitoring = (namespace: string, ports: number[]) => `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-monitoring
  namespace: ${namespace}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: monitoring
      ports:
${[15020, ...ports].map((port) => `        - protocol: TCP\n          port: ${port}`).join('\n')}
`
  const portsOf = (namespace: string) => [
    ...new Set([...mesh.workloads.values()].filter((w) => w.namespace === namespace).map((w) => w.port)),
  ]
  const policies: string[] = []
  for (const namespace of ['frontend', 'shop', 'payments', 'data', 'platform']) {
    policies.push(denyAll(namespace), monitoring(namespace, portsOf(namespace)))
  }
  policies.push(allow('frontend', 'web', 8080, [{ ns: 'istio-system', app: 'istio-ingressgateway' }]))
  policies.push(allow('frontend', 'bff', 8080, [{ app: 'web' }]))
  policies.push(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-from-frontend
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: frontend
      ports:
        - protocol: TCP
          port: 8080
`)
  policies.push(allow('shop', 'cart', 8080, [{ app: 'checkout' }], 'allow-cart-from-checkout'))
  if (has('shop/search'))
    policies.push(allow('shop', 'catalog', 8080, [{ app: 'search' }], 'allow-catalog-from-search'))
  policies.push(allow('payments', 'payment-svc', 8443, [{ ns: 'shop', app: 'checkout' }]))
  if (has('payments/fraud-check'))
    policies.push(allow('payments', 'fraud-check', 9000, [{ app: 'payment-svc' }]))
  policies.push(allow('payments', 'ledger', 8443, [{ app: 'payment-svc' }]))
  // identity: only auth is fenced (user-profile relies on mTLS + STRICT, which is what drifts).
  policies.push(allow('identity', 'auth', 8080, [{ ns: 'frontend', app: 'bff' }]))
  policies.push(allow('identity', 'auth', 15020, [{ ns: 'monitoring' }], 'allow-auth-scrapes'))
  policies.push(
    allow('data', 'postgres', 5432, [
      { ns: 'shop', app: 'catalog' },
      { ns: 'shop', app: 'reviews' },
      { ns: 'payments', app: 'ledger' },
      { ns: 'identity', app: 'user-profile' },
      { app: 'db-backup' },
    ]),
  )
  policies.push(
    allow('data', 'redis', 6379, [
      { ns: 'shop', app: 'cart' },
      { ns: 'shop', app: 'catalog' },
      { ns: 'identity', app: 'auth' },
      // reviews v2 (change reviews-v2-redis-cache in palisade.yaml)
      { ns: 'shop', app: 'reviews' },
    ]),
  )
  if (has('data/kafka'))
    policies.push(
      allow('data', 'kafka', 9092, [
        { ns: 'shop', app: 'checkout' },
        { ns: 'platform', app: 'notification-svc' },
      ]),
    )
  policies.push(allow('platform', 'notification-svc', 8080, [{ app: 'scheduler' }]))
  if (has('platform/config-svc'))
    policies.push(
      allow('platform', 'config-svc', 8080, [
        { ns: 'frontend', app: 'bff' },
        { ns: 'shop', app: 'checkout' },
      ]),
    )
  for (const name of mesh.workloads.keys())
    if (name.startsWith('shop/extra-'))
      policies.push(allow('shop', name.slice(5), 8080, [{ ns: 'frontend', app: 'bff' }]))

  const networkPolicies = `# Northwind shop: ingress NetworkPolicies as applied by the platform team (GitOps).
# Each protected namespace denies ingress by default; each edge the shop uses is allowed by app
# label; the monitoring namespace may scrape (:15020) and probe the service ports.
${policies.join('---\n')}`

  const peerAuthentication = `# Mesh-wide mutual TLS: STRICT everywhere (root namespace policy, no exceptions declared).
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: default
  namespace: istio-system
spec:
  mtls:
    mode: STRICT
`

  const authorizationPolicies = `# Request-level intent: who may call the money and the database, by mTLS identity.
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: payment-svc-callers
  namespace: payments
spec:
  selector:
    matchLabels:
      app: payment-svc
  action: ALLOW
  rules:
    - from:
        - source:
            principals: ["cluster.local/ns/shop/sa/checkout"]
      to:
        - operation:
            methods: ["POST", "GET"]
            paths: ["/v1/charges*", "/v1/refunds*"]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: ledger-callers
  namespace: payments
spec:
  selector:
    matchLabels:
      app: ledger
  action: ALLOW
  rules:
    - from:
        - source:
            principals: ["cluster.local/ns/payments/sa/payment-svc"]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: postgres-clients
  namespace: data
spec:
  selector:
    matchLabels:
      app: postgres
  action: ALLOW
  rules:
    - from:
        - source:
            principals:
              - cluster.local/ns/shop/sa/catalog
              - cluster.local/ns/shop/sa/reviews
              - cluster.local/ns/payments/sa/ledger-writer
              - cluster.local/ns/identity/sa/user-profile
              - cluster.local/ns/data/sa/db-backup
      to:
        - operation:
            ports: ["5432"]
`

  const rolloutFrom = lastDay + 9 * 3_600_000
  const rolloutTo = lastDay + 18 * 3_600_000
  const palisade = `# What Kubernetes and Istio files cannot say about the Northwind shop.
apiVersion: palisade.dev/v1
kind: PalisadeIntent
metadata:
  name: northwind-shop
spec:
  egress:
    - { host: api.stripe.com, ports: [443], description: card payments }
    - { host: api.sendgrid.com, ports: [443], description: transactional e-mail }
    - { host: northwind.okta.com, ports: [443], description: identity provider }
    - { host: "*.ingest.sentry.io", ports: [443], description: error reporting from the BFF }
    - { host: northwind-backups.s3.eu-west-1.amazonaws.com, ports: [443], description: nightly database backups }
  corporateEgress:
    cidrs: [192.0.2.0/24, 198.51.100.0/24]
    asns: [64501]
  sensitive:
    - payments/*
    - data/postgres
    - identity/user-profile
  monitoring:
    - monitoring/prometheus
    - monitoring/blackbox-exporter
  knownDrops:
    - { from: monitoring/blackbox-exporter, port: 9999, description: nightly probe of a closed port }
  changes:
    - id: reviews-v2-redis-cache
      from: ${iso(rolloutFrom)}
      to: ${iso(rolloutTo)}
      description: reviews v2 caches review summaries in redis
      workloads: [shop/reviews]
      addsEdges:
        - { from: shop/reviews, to: data/redis, port: 6379 }
  privileged:
    - it-admin@northwind.example
    - ops-breakglass@northwind.example
`
  return [
    { path: 'network-policies.yaml', text: networkPolicies },
    { path: 'peer-authentication.yaml', text: peerAuthentication },
    { path: 'authorization-policies.yaml', text: authorizationPolicies },
    { path: 'palisade.yaml', text: palisade },
  ]
}
