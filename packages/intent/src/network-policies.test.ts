import { describe, expect, it } from 'vitest'
import { intentFromYaml, ref } from './testing/intent-from-yaml.ts'

// Manifests follow the examples of https://kubernetes.io/docs/concepts/services-networking/network-policies/
const defaultDenyShop = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny-ingress
  namespace: shop
spec:
  podSelector: {}
  policyTypes:
  - Ingress
`

const allowCatalogFromFrontend = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-catalog-from-frontend
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: catalog
  policyTypes:
  - Ingress
  ingress:
  - from:
    - podSelector:
        matchLabels:
          app: frontend
    ports:
    - protocol: TCP
      port: 8080
`

describe('NetworkPolicy', () => {
  it('denies what a default-deny policy does not allow, naming the selecting policies', () => {
    const { intent, problems } = intentFromYaml(`${defaultDenyShop}---${allowCatalogFromFrontend}`)
    expect(problems).toEqual([])
    expect(intent.networkVerdict(ref('shop/frontend'), ref('shop/catalog'), 8080, 'tcp')).toEqual({
      verdict: 'allowed',
      by: 'NetworkPolicy/shop/allow-catalog-from-frontend',
    })
    expect(intent.networkVerdict(ref('shop/frontend'), ref('shop/cart'), 8080)).toEqual({
      verdict: 'denied',
      by: 'NetworkPolicy/shop/default-deny-ingress',
    })
    expect(intent.networkVerdict(ref('shop/cart'), ref('shop/catalog'), 8080)).toEqual({
      verdict: 'denied',
      by: 'NetworkPolicy/shop/default-deny-ingress, NetworkPolicy/shop/allow-catalog-from-frontend',
    })
  })

  it('leaves destinations no policy selects unrestricted', () => {
    const { intent } = intentFromYaml(`${defaultDenyShop}---${allowCatalogFromFrontend}`)
    expect(intent.networkVerdict(ref('shop/frontend'), ref('data/postgres'), 5432)).toEqual({
      verdict: 'unrestricted',
    })
  })

  it('reads a podSelector-only peer as pods of the policy namespace', () => {
    const { intent } = intentFromYaml(allowCatalogFromFrontend)
    expect(intent.networkVerdict(ref('shop/frontend'), ref('shop/catalog'), 8080).verdict).toBe('allowed')
    expect(intent.networkVerdict(ref('staging/frontend'), ref('shop/catalog'), 8080).verdict).toBe('denied')
  })

  it('ANDs namespaceSelector and podSelector in one peer, and ORs separate peers', () => {
    const { intent, problems } = intentFromYaml(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: postgres-clients, namespace: data }
spec:
  podSelector:
    matchLabels: { app.kubernetes.io/name: postgres }
  ingress:
  - from:
    - namespaceSelector:
        matchLabels: { kubernetes.io/metadata.name: shop }
      podSelector:
        matchLabels: { app: catalog }
    - namespaceSelector:
        matchLabels: { kubernetes.io/metadata.name: payments }
    ports:
    - port: 5432
`)
    expect(problems).toEqual([])
    const verdict = (src: string) => intent.networkVerdict(ref(src), ref('data/postgres'), 5432).verdict
    expect(verdict('shop/catalog')).toBe('allowed')
    expect(verdict('shop/frontend')).toBe('denied')
    expect(verdict('payments/anything')).toBe('allowed')
    expect(verdict('data/redis')).toBe('denied')
  })

  it('matches ports by number, range and protocol, and treats named ports as any port', () => {
    const { intent } = intentFromYaml(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: ports, namespace: shop }
spec:
  podSelector: { matchLabels: { app: cart } }
  ingress:
  - ports:
    - { protocol: TCP, port: 8080 }
    - { protocol: UDP, port: 5353 }
    - { protocol: TCP, port: 32000, endPort: 32768 }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: named-port, namespace: shop }
spec:
  podSelector: { matchLabels: { app: catalog } }
  ingress:
  - ports:
    - port: http
`)
    const cart = (port: number, protocol?: string) =>
      intent.networkVerdict(ref('shop/frontend'), ref('shop/cart'), port, protocol).verdict
    expect(cart(8080, 'TCP')).toBe('allowed')
    expect(cart(8080, 'udp')).toBe('denied')
    expect(cart(5353, 'udp')).toBe('allowed')
    expect(cart(32500, 'tcp')).toBe('allowed')
    expect(cart(32769, 'tcp')).toBe('denied')
    expect(cart(9090)).toBe('denied')
    expect(intent.networkVerdict(ref('shop/frontend'), ref('shop/catalog'), 12345, 'tcp').verdict).toBe(
      'allowed',
    )
  })

  it('matches ipBlock peers by the source address, honouring except, and never a workload', () => {
    const { intent } = intentFromYaml(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: from-office, namespace: shop }
spec:
  podSelector: { matchLabels: { app: frontend } }
  ingress:
  - from:
    - ipBlock:
        cidr: 203.0.113.0/24
        except: [203.0.113.128/25]
    - ipBlock:
        cidr: 2001:db8:10::/48
`)
    const frontend = ref('shop/frontend')
    const from = (srcIp?: string) =>
      intent.networkVerdict(undefined, frontend, 8080, 'tcp', srcIp ? { srcIp } : {})
    expect(from('203.0.113.10').verdict).toBe('allowed')
    expect(from('203.0.113.200').verdict).toBe('denied')
    expect(from('198.51.100.1').verdict).toBe('denied')
    expect(from('2001:db8:10::42').verdict).toBe('allowed')
    expect(from('2001:db8:11::1').verdict).toBe('denied')
    // Without an address the rule might apply: not denied.
    expect(from().verdict).toBe('allowed')
    expect(
      intent.networkVerdict(ref('shop/cart'), frontend, 8080, 'tcp', { srcIp: '203.0.113.10' }).verdict,
    ).toBe('denied')
  })

  it('requires the source egress side to allow too when an egress policy selects the source', () => {
    const { intent } = intentFromYaml(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: frontend-egress, namespace: shop }
spec:
  podSelector: { matchLabels: { app: frontend } }
  egress:
  - to:
    - podSelector: { matchLabels: { app: catalog } }
    ports:
    - port: 8080
---
${allowCatalogFromFrontend}
`)
    expect(intent.networkVerdict(ref('shop/frontend'), ref('shop/catalog'), 8080).verdict).toBe('allowed')
    // The destination is unrestricted at ingress, but the source's egress policy does not allow it.
    expect(intent.networkVerdict(ref('shop/frontend'), ref('data/postgres'), 5432)).toEqual({
      verdict: 'denied',
      by: 'NetworkPolicy/shop/frontend-egress',
    })
    // A source no egress policy selects is judged at ingress only.
    expect(intent.networkVerdict(ref('shop/cart'), ref('data/postgres'), 5432).verdict).toBe('unrestricted')
  })

  it('does not restrict egress when policyTypes lists Ingress only', () => {
    const { intent, problems } = intentFromYaml(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: ingress-only, namespace: shop }
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress: [{}]
  egress:
  - to: [{ podSelector: { matchLabels: { app: catalog } } }]
`)
    expect(intent.networkVerdict(ref('shop/frontend'), ref('data/postgres'), 5432).verdict).toBe(
      'unrestricted',
    )
    expect(problems).toEqual([
      expect.objectContaining({
        level: 'warning',
        message: 'spec.egress: ignored: policyTypes does not list Egress',
      }),
    ])
  })

  it('allows everything with an empty ingress rule', () => {
    const { intent } = intentFromYaml(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-all-ingress, namespace: shop }
spec:
  podSelector: {}
  ingress:
  - {}
  policyTypes:
  - Ingress
`)
    expect(intent.networkVerdict(undefined, ref('shop/cart'), 1)).toEqual({
      verdict: 'allowed',
      by: 'NetworkPolicy/shop/allow-all-ingress',
    })
  })

  it('evaluates matchExpressions In, NotIn, Exists and DoesNotExist', () => {
    const { intent } = intentFromYaml(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: expressions, namespace: shop }
spec:
  podSelector:
    matchExpressions:
    - { key: app, operator: NotIn, values: [frontend] }
  ingress:
  - from:
    - podSelector:
        matchExpressions:
        - { key: app, operator: In, values: [frontend, checkout] }
        - { key: app.kubernetes.io/name, operator: Exists }
`)
    expect(intent.networkVerdict(ref('shop/checkout'), ref('shop/cart'), 80).verdict).toBe('allowed')
    expect(intent.networkVerdict(ref('shop/catalog'), ref('shop/cart'), 80).verdict).toBe('denied')
    // frontend is not selected by the policy (NotIn), so nothing restricts it.
    expect(intent.networkVerdict(ref('shop/catalog'), ref('shop/frontend'), 80).verdict).toBe('unrestricted')
  })

  it('warns once per document about selector labels that workload identities cannot answer', () => {
    const { intent, problems } = intentFromYaml(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: by-tier, namespace: shop }
spec:
  podSelector: { matchLabels: { tier: backend } }
  ingress:
  - from:
    - podSelector: { matchLabels: { role: web } }
`)
    expect(problems).toEqual([
      {
        source: 'test.yaml#1 (NetworkPolicy shop/by-tier)',
        level: 'warning',
        line: 6,
        message:
          'spec.podSelector: selector label tier cannot be matched to workload identities; use app or ' +
          'app.kubernetes.io/name (selectors using it are treated as matching nothing)',
      },
    ])
    expect(intent.networkVerdict(ref('shop/frontend'), ref('shop/cart'), 80).verdict).toBe('unrestricted')
  })
})
