import { describe, expect, it } from 'vitest'
import { BoundedMemo } from './bounded-memo.ts'
import { buildIntent, emptyIntent } from './intent-documents.ts'
import { formatIntentProblem } from './intent-problem.ts'
import { intentFromYaml, ref } from './testing/intent-from-yaml.ts'

const denyAll = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'default-deny', namespace: 'shop' },
  spec: { podSelector: {}, policyTypes: ['Ingress'] },
}

describe('buildIntent', () => {
  it('builds an empty intent that declares nothing', () => {
    const intent = emptyIntent()
    const a = ref('shop/a')
    expect(intent.sources).toEqual([])
    expect(intent.networkVerdict(a, ref('shop/b'), 80)).toEqual({ verdict: 'unrestricted' })
    expect(intent.authorizationVerdict(a, ref('shop/b'))).toEqual({ verdict: 'unrestricted' })
    expect(intent.mtlsMode(a, 80)).toEqual({ mode: 'UNSET' })
    expect(intent.declaredEgress({ host: 'example.com', ip: '192.0.2.1', port: 443 })).toEqual({
      declared: false,
    })
    expect(intent.isCorporateEgress({ ip: '192.0.2.1', asn: 1 })).toBe(false)
    expect(intent.changesAt(0)).toEqual([])
    expect(intent.isDeclaredEdge(0, a, a)).toBeUndefined()
    expect(intent.isSensitive(a) || intent.isMonitoring(a) || intent.isKnownDrop(a, a, 1)).toBe(false)
    expect(intent.tenantOfNamespace('shop')).toBeUndefined()
  })

  it('accepts plain objects, as JSON or inline rule tests give them', () => {
    const { intent, problems } = buildIntent([{ source: 'inline', document: denyAll }])
    expect(problems).toEqual([])
    expect(intent.sources).toEqual(['inline (NetworkPolicy shop/default-deny)'])
    expect(intent.networkVerdict(ref('shop/a'), ref('shop/b'), 80).verdict).toBe('denied')
  })

  it('formats a schema problem with file, document, kind, name, field path and line', () => {
    const { problems } = intentFromYaml(`apiVersion: v1
kind: ConfigMap
metadata: { name: unrelated }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: shop
spec:
  podSelector: {}
  ingress:
  - ports:
    - port: true
`)
    expect(problems.map(formatIntentProblem)).toEqual([
      'test.yaml#1 line 2: not an intent document (kind ConfigMap); known kinds: NetworkPolicy, CiliumNetworkPolicy, ' +
        'CiliumClusterwideNetworkPolicy, PeerAuthentication, AuthorizationPolicy, PalisadeIntent; ignored',
      'test.yaml#2 (NetworkPolicy shop/default-deny) line 14: spec.ingress[0].ports[0].port: expected a number or a name',
    ])
    expect(problems.map((problem) => problem.level)).toEqual(['warning', 'error'])
  })

  it('reports an unknown kind of one of our API groups as an error, naming the known kinds', () => {
    const { problems } = buildIntent([
      { source: 'a.yaml#1', document: { ...denyAll, kind: 'NetworkPolicies' } },
      { source: 'a.yaml#2', document: { metadata: { name: 'x' } } },
      { source: 'a.yaml#3', document: { apiVersion: 'palisade.dev/v1', kind: 'constructor' } },
    ])
    expect(problems).toEqual([
      expect.objectContaining({
        level: 'error',
        message: expect.stringMatching(
          /^not an intent document \(kind NetworkPolicies\); known kinds: NetworkPolicy, /,
        ),
      }),
      expect.objectContaining({ level: 'error', message: expect.stringContaining('(kind missing)') }),
      expect.objectContaining({ level: 'error', message: expect.stringContaining('(kind constructor)') }),
    ])
  })

  it('rejects a known kind at an unsupported apiVersion', () => {
    const { problems, intent } = buildIntent([
      { source: 'old.yaml#1', document: { ...denyAll, apiVersion: 'extensions/v1beta1' } },
    ])
    expect(problems).toEqual([
      {
        source: 'old.yaml#1 (NetworkPolicy shop/default-deny)',
        level: 'error',
        message: 'apiVersion: expected networking.k8s.io/v1 for NetworkPolicy, got extensions/v1beta1',
      },
    ])
    expect(intent.sources).toEqual([])
  })

  it('uses the valid documents when others have errors', () => {
    const { intent, problems } = buildIntent([
      { source: 'a#1', document: { ...denyAll, spec: { podSelector: {}, policyTypes: ['Ingres'] } } },
      { source: 'a#2', document: { ...denyAll, metadata: { name: 'ok', namespace: 'data' } } },
    ])
    expect(problems.map((problem) => problem.message)).toEqual([
      'spec.policyTypes[0]: expected one of Ingress, Egress',
    ])
    expect(intent.sources).toEqual(['a#2 (NetworkPolicy data/ok)'])
    expect(intent.networkVerdict(undefined, ref('shop/x'), 80).verdict).toBe('unrestricted')
    expect(intent.networkVerdict(undefined, ref('data/x'), 80).verdict).toBe('denied')
  })

  it('reads a missing namespace as default, with a warning', () => {
    const { intent, problems } = buildIntent([
      { source: 'a#1', document: { ...denyAll, metadata: { name: 'default-deny' } } },
    ])
    expect(problems).toEqual([
      expect.objectContaining({
        level: 'warning',
        message: 'metadata: no metadata.namespace; read as namespace default',
      }),
    ])
    expect(intent.networkVerdict(undefined, ref('default/x'), 80).verdict).toBe('denied')
  })

  it('flattens kind: List into its items', () => {
    const { intent, problems } = buildIntent([
      {
        source: 'list.json#1',
        document: {
          apiVersion: 'v1',
          kind: 'List',
          items: [denyAll, { ...denyAll, metadata: { name: 'x', namespace: 'data' } }],
        },
      },
    ])
    expect(problems).toEqual([])
    expect(intent.sources).toEqual([
      'list.json#1 items[0] (NetworkPolicy shop/default-deny)',
      'list.json#1 items[1] (NetworkPolicy data/x)',
    ])
  })

  it('lets a later definition of the same object replace the earlier, with a warning', () => {
    const allowAll = { ...denyAll, spec: { podSelector: {}, ingress: [{}] } }
    const { intent, problems } = buildIntent([
      { source: 'a#1', document: denyAll },
      { source: 'b#1', document: allowAll },
    ])
    expect(problems).toEqual([
      expect.objectContaining({
        source: 'b#1 (NetworkPolicy shop/default-deny)',
        level: 'warning',
        message: expect.stringContaining('also defined in a#1 (NetworkPolicy shop/default-deny)'),
      }),
    ])
    expect(intent.networkVerdict(undefined, ref('shop/x'), 80).verdict).toBe('allowed')
  })

  it('memoises verdicts per source, destination and port', () => {
    const { intent } = buildIntent([{ source: 'a#1', document: denyAll }])
    const first = intent.networkVerdict(ref('shop/a'), ref('shop/b'), 80, 'TCP')
    expect(intent.networkVerdict(ref('shop/a'), ref('shop/b'), 80, 'tcp')).toBe(first)
    expect(intent.networkVerdict(ref('shop/a'), ref('shop/b'), 81, 'tcp')).not.toBe(first)
    expect(Object.isFrozen(first)).toBe(true)
  })
})

describe('BoundedMemo', () => {
  it('computes once per key and forgets the oldest entry when full', () => {
    const memo = new BoundedMemo<number>(2)
    let calls = 0
    const compute = () => ++calls
    expect(memo.get('a', compute)).toBe(1)
    expect(memo.get('a', compute)).toBe(1)
    memo.get('b', compute)
    memo.get('c', compute)
    expect(memo.size).toBe(2)
    expect(memo.get('a', compute)).toBe(4)
  })
})
