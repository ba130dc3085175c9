import { describe, expect, it } from 'vitest'
import { intentFromYaml, ref } from './testing/intent-from-yaml.ts'

// Manifests follow https://docs.cilium.io/en/stable/security/policy/language/
describe('CiliumNetworkPolicy', () => {
  it('scopes fromEndpoints to the policy namespace unless a namespace label says otherwise', () => {
    const { intent, problems } = intentFromYaml(`
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: l4-rule
  namespace: shop
spec:
  endpointSelector:
    matchLabels:
      app: catalog
  ingress:
  - fromEndpoints:
    - matchLabels:
        app: frontend
    - matchLabels:
        k8s:io.kubernetes.pod.namespace: monitoring
        k8s:app: prometheus
    toPorts:
    - ports:
      - port: "8080"
        protocol: TCP
`)
    expect(problems).toEqual([])
    const catalog = ref('shop/catalog')
    expect(intent.networkVerdict(ref('shop/frontend'), catalog, 8080, 'tcp')).toEqual({
      verdict: 'allowed',
      by: 'CiliumNetworkPolicy/shop/l4-rule',
    })
    expect(intent.networkVerdict(ref('staging/frontend'), catalog, 8080, 'tcp').verdict).toBe('denied')
    expect(intent.networkVerdict(ref('monitoring/prometheus'), catalog, 8080, 'tcp').verdict).toBe('allowed')
    expect(intent.networkVerdict(ref('shop/frontend'), catalog, 8081, 'tcp').verdict).toBe('denied')
    expect(intent.networkVerdict(ref('shop/frontend'), catalog, 8080, 'udp').verdict).toBe('denied')
  })

  it('lets an explicit ingressDeny win over any allow, NetworkPolicy allows included', () => {
    const { intent } = intentFromYaml(`
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: { name: allow-all-in-namespace, namespace: data }
spec:
  endpointSelector: {}
  ingress:
  - fromEndpoints:
    - {}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-from-shop, namespace: data }
spec:
  podSelector: { matchLabels: { app: postgres } }
  ingress:
  - from:
    - namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: shop } }
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: { name: deny-frontend, namespace: data }
spec:
  endpointSelector:
    matchLabels: { app: postgres }
  ingressDeny:
  - fromEndpoints:
    - matchLabels:
        io.kubernetes.pod.namespace: shop
        app: frontend
    toPorts:
    - ports:
      - port: "5432"
`)
    const postgres = ref('data/postgres')
    expect(intent.networkVerdict(ref('shop/catalog'), postgres, 5432).verdict).toBe('allowed')
    expect(intent.networkVerdict(ref('data/redis'), postgres, 5432).verdict).toBe('allowed')
    expect(intent.networkVerdict(ref('shop/frontend'), postgres, 5432)).toEqual({
      verdict: 'denied',
      by: 'CiliumNetworkPolicy/data/deny-frontend',
    })
    // The deny covers 5432 only.
    expect(intent.networkVerdict(ref('shop/frontend'), postgres, 9187).verdict).toBe('allowed')
  })

  it('puts endpoints in default deny with an empty rule, not with enableDefaultDeny false', () => {
    const { intent } = intentFromYaml(`
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: { name: deny-all-ingress, namespace: payments }
spec:
  endpointSelector: {}
  ingress:
  - {}
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: { name: audit-only, namespace: shop }
spec:
  endpointSelector: {}
  enableDefaultDeny:
    ingress: false
  ingress:
  - fromEndpoints:
    - matchLabels: { app: frontend }
`)
    expect(intent.networkVerdict(ref('shop/checkout'), ref('payments/payments'), 8443)).toEqual({
      verdict: 'denied',
      by: 'CiliumNetworkPolicy/payments/deny-all-ingress',
    })
    expect(intent.networkVerdict(ref('shop/frontend'), ref('shop/cart'), 8080).verdict).toBe('allowed')
    expect(intent.networkVerdict(ref('shop/catalog'), ref('shop/cart'), 8080).verdict).toBe('unrestricted')
  })

  it('applies a cluster-wide policy to every namespace and reads entities', () => {
    const { intent } = intentFromYaml(`
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata:
  name: cluster-only
spec:
  endpointSelector:
    matchExpressions:
    - key: io.kubernetes.pod.namespace
      operator: NotIn
      values: [kube-system]
  ingress:
  - fromEntities:
    - cluster
`)
    expect(intent.networkVerdict(ref('shop/frontend'), ref('data/redis'), 6379)).toEqual({
      verdict: 'allowed',
      by: 'CiliumClusterwideNetworkPolicy/cluster-only',
    })
    expect(intent.networkVerdict(undefined, ref('data/redis'), 6379).verdict).toBe('allowed')
    expect(intent.networkVerdict(ref('shop/frontend'), ref('kube-system/coredns'), 53).verdict).toBe(
      'unrestricted',
    )
  })

  it('restricts egress with toEndpoints and denies with egressDeny', () => {
    const { intent } = intentFromYaml(`
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: { name: checkout-egress, namespace: shop }
spec:
  endpointSelector:
    matchLabels: { app: checkout }
  egress:
  - toEndpoints:
    - matchLabels:
        k8s:io.kubernetes.pod.namespace: payments
  egressDeny:
  - toEndpoints:
    - matchLabels:
        k8s:io.kubernetes.pod.namespace: payments
        app: ledger
`)
    const checkout = ref('shop/checkout')
    expect(intent.networkVerdict(checkout, ref('payments/payments'), 8443).verdict).toBe('allowed')
    expect(intent.networkVerdict(checkout, ref('payments/ledger'), 8443).verdict).toBe('denied')
    expect(intent.networkVerdict(checkout, ref('shop/inventory'), 8080).verdict).toBe('denied')
  })

  it('feeds toFQDNs and toCIDRSet egress into declared egress, with their ports', () => {
    const { intent, problems } = intentFromYaml(`
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: { name: external, namespace: shop }
spec:
  endpointSelector:
    matchLabels: { app: checkout }
  egress:
  - toFQDNs:
    - matchName: api.stripe.com
    - matchPattern: "*.github.com"
    toPorts:
    - ports:
      - port: "443"
        protocol: TCP
  - toCIDRSet:
    - cidr: 192.0.2.0/24
      except:
      - 192.0.2.128/25
  - toCIDR:
    - 2001:db8::/32
`)
    expect(problems).toEqual([])
    const by = 'CiliumNetworkPolicy/shop/external'
    expect(intent.declaredEgress({ host: 'API.Stripe.com.', port: 443 })).toEqual({ declared: true, by })
    expect(intent.declaredEgress({ host: 'api.stripe.com', port: 80 })).toEqual({ declared: false })
    expect(intent.declaredEgress({ host: 'api.github.com', port: 443 }).declared).toBe(true)
    // One `*` stands for one label in Cilium patterns.
    expect(intent.declaredEgress({ host: 'a.b.github.com', port: 443 }).declared).toBe(false)
    expect(intent.declaredEgress({ ip: '192.0.2.7', port: 22 })).toEqual({ declared: true, by })
    expect(intent.declaredEgress({ ip: '192.0.2.200' }).declared).toBe(false)
    expect(intent.declaredEgress({ ip: '2001:db8:5::1' }).declared).toBe(true)
    // By address only (host names cannot match flow records), with Cilium's except ranges.
    expect(intent.declaredEgressRanges()).toEqual([
      { cidr: '192.0.2.0/24', except: ['192.0.2.128/25'] },
      { cidr: '2001:db8::/32' },
    ])
  })

  it('rejects a port that is neither a number nor a name', () => {
    const { problems } = intentFromYaml(`
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: { name: bad-port, namespace: shop }
spec:
  endpointSelector: {}
  ingress:
  - toPorts:
    - ports:
      - port: [80]
`)
    expect(problems).toEqual([
      {
        source: 'test.yaml#1 (CiliumNetworkPolicy shop/bad-port)',
        level: 'error',
        line: 10,
        message: 'spec.ingress[0].toPorts[0].ports[0].port: expected a number or a name',
      },
    ])
  })
})
