import { describe, expect, it } from 'vitest'
import { intentFromYaml, ref } from './testing/intent-from-yaml.ts'

// Manifests follow https://istio.io/latest/docs/reference/config/security/authorization-policy/
const httpbinAllow = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: httpbin
  namespace: foo
spec:
  selector:
    matchLabels:
      app: httpbin
  action: ALLOW
  rules:
  - from:
    - source:
        principals: ["cluster.local/ns/default/sa/curl"]
    - source:
        namespaces: ["test"]
    to:
    - operation:
        methods: ["GET"]
        paths: ["/info*"]
    - operation:
        methods: ["POST"]
        paths: ["/data"]
`

describe('AuthorizationPolicy', () => {
  const httpbin = ref('foo/httpbin')

  it('leaves workloads no policy selects unrestricted', () => {
    const { intent } = intentFromYaml(httpbinAllow)
    expect(intent.authorizationVerdict(ref('default/curl'), ref('foo/other'), { path: '/' })).toEqual({
      verdict: 'unrestricted',
    })
  })

  it('allows what an ALLOW rule matches and denies the rest once an ALLOW policy selects the workload', () => {
    const { intent, problems } = intentFromYaml(httpbinAllow)
    expect(problems).toEqual([])
    const by = 'AuthorizationPolicy/foo/httpbin'
    expect(
      intent.authorizationVerdict(ref('default/curl'), httpbin, { method: 'GET', path: '/info/1' }),
    ).toEqual({
      verdict: 'allowed',
      by,
    })
    expect(
      intent.authorizationVerdict(ref('test/anyone'), httpbin, { method: 'post', path: '/data?x=1' }),
    ).toEqual({
      verdict: 'allowed',
      by,
    })
    expect(
      intent.authorizationVerdict(ref('default/curl'), httpbin, { method: 'POST', path: '/info' }),
    ).toEqual({
      verdict: 'denied',
      by,
    })
    expect(
      intent.authorizationVerdict(ref('default/other'), httpbin, { method: 'GET', path: '/info' }),
    ).toEqual({
      verdict: 'denied',
      by,
    })
    // No peer identity: principals and namespaces cannot match.
    expect(intent.authorizationVerdict(undefined, httpbin, { method: 'GET', path: '/info' }).verdict).toBe(
      'denied',
    )
  })

  it('gives a request without path or method the benefit of the doubt, for ALLOW and DENY alike', () => {
    const { intent } = intentFromYaml(`${httpbinAllow}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: deny-admin, namespace: foo }
spec:
  action: DENY
  rules:
  - to:
    - operation:
        paths: ["/admin*"]
`)
    expect(intent.authorizationVerdict(ref('default/curl'), httpbin).verdict).toBe('allowed')
    expect(intent.authorizationVerdict(ref('default/curl'), httpbin, { path: '/admin/users' })).toEqual({
      verdict: 'denied',
      by: 'AuthorizationPolicy/foo/deny-admin',
    })
  })

  it('lets a matching DENY win over a matching ALLOW', () => {
    const { intent } = intentFromYaml(`${httpbinAllow}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: deny-test-namespace
  namespace: foo
spec:
  selector:
    matchLabels:
      app: httpbin
  action: DENY
  rules:
  - from:
    - source:
        notNamespaces: ["default"]
    to:
    - operation:
        paths: ["/data"]
`)
    expect(
      intent.authorizationVerdict(ref('test/anyone'), httpbin, { method: 'POST', path: '/data' }),
    ).toEqual({
      verdict: 'denied',
      by: 'AuthorizationPolicy/foo/deny-test-namespace',
    })
    expect(
      intent.authorizationVerdict(ref('test/anyone'), httpbin, { method: 'GET', path: '/info' }).verdict,
    ).toBe('allowed')
  })

  it('matches principals with prefix, suffix and presence wildcards, ignoring the trust domain', () => {
    const { intent } = intentFromYaml(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: ledger, namespace: payments }
spec:
  selector: { matchLabels: { app: ledger } }
  rules:
  - from:
    - source: { principals: ["cluster.local/ns/shop/*"] }
    - source: { principals: ["*/sa/auditor"] }
    to:
    - operation: { ports: ["8443"] }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: mtls-only, namespace: payments }
spec:
  selector: { matchLabels: { app: reports } }
  rules:
  - from:
    - source: { principals: ["*"] }
`)
    const ledger = ref('payments/ledger')
    expect(intent.authorizationVerdict(ref('shop/checkout'), ledger, { port: 8443 }).verdict).toBe('allowed')
    expect(intent.authorizationVerdict(ref('compliance/auditor'), ledger, { port: 8443 }).verdict).toBe(
      'allowed',
    )
    expect(intent.authorizationVerdict(ref('shop/checkout'), ledger, { port: 9090 }).verdict).toBe('denied')
    expect(intent.authorizationVerdict(ref('data/etl'), ledger, { port: 8443 }).verdict).toBe('denied')
    expect(intent.authorizationVerdict(ref('data/etl'), ref('payments/reports')).verdict).toBe('allowed')
    expect(intent.authorizationVerdict(undefined, ref('payments/reports')).verdict).toBe('denied')
  })

  it('denies everything with an ALLOW policy without rules, allows everything with an empty rule', () => {
    const { intent } = intentFromYaml(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: allow-nothing
  namespace: foo
spec: {}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: allow-all
  namespace: bar
spec:
  rules:
  - {}
`)
    expect(intent.authorizationVerdict(ref('foo/a'), ref('foo/b'))).toEqual({
      verdict: 'denied',
      by: 'AuthorizationPolicy/foo/allow-nothing',
    })
    expect(intent.authorizationVerdict(undefined, ref('bar/b'))).toEqual({
      verdict: 'allowed',
      by: 'AuthorizationPolicy/bar/allow-all',
    })
  })

  it('applies root-namespace policies in every namespace and ignores AUDIT and CUSTOM quietly', () => {
    const { intent, problems } = intentFromYaml(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: deny-debug, namespace: istio-system }
spec:
  action: DENY
  rules:
  - to:
    - operation: { paths: ["*/debug"], methods: ["GET"] }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: audit, namespace: shop }
spec:
  action: AUDIT
  rules: [{}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: ext-authz, namespace: shop }
spec:
  action: CUSTOM
  provider: { name: opa }
  rules: [{}]
`)
    expect(problems).toEqual([])
    expect(
      intent.authorizationVerdict(ref('shop/a'), ref('shop/cart'), { method: 'GET', path: '/v1/debug' }),
    ).toEqual({
      verdict: 'denied',
      by: 'AuthorizationPolicy/istio-system/deny-debug',
    })
    expect(
      intent.authorizationVerdict(ref('shop/a'), ref('shop/cart'), { method: 'GET', path: '/v1' }).verdict,
    ).toBe('unrestricted')
  })

  it('evaluates source.namespace conditions and warns about conditions records cannot answer', () => {
    const { intent, problems } = intentFromYaml(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: conditions, namespace: foo }
spec:
  selector: { matchLabels: { app: httpbin } }
  rules:
  - when:
    - key: source.namespace
      values: ["shop"]
    - key: request.auth.claims[iss]
      values: ["https://accounts.google.com"]
`)
    expect(intent.authorizationVerdict(ref('shop/a'), httpbin).verdict).toBe('allowed')
    expect(intent.authorizationVerdict(ref('data/a'), httpbin).verdict).toBe('denied')
    expect(problems).toEqual([
      expect.objectContaining({
        level: 'warning',
        message:
          'spec.rules[0].when[1].key: condition request.auth.claims[iss] cannot be evaluated from records: ' +
          'ALLOW rules treat it as met, DENY rules as not met',
      }),
    ])
  })
})
