// Issue 15, cause 3: Hubble named the ingress gateway by its app label, Istio by its service
// account (spiffe://…/ns/istio-system/sa/istio-ingressgateway-service-account); a declared edge
// matched one source and not the other (103 false pages).
import { describe, expect, it } from 'vitest'
import { intentFromYaml } from './testing/intent-from-yaml.ts'

const declarations = `
apiVersion: palisade.dev/v1
kind: PalisadeIntent
metadata: { name: rollout }
spec:
  sensitive: [istio-system/istio-ingressgateway]
  changes:
    - id: CHG-7
      from: 2026-11-30T09:00:00Z
      to: 2026-11-30T10:00:00Z
      addsEdges:
        - { from: istio-system/istio-ingressgateway, to: frontend/web, port: 8080 }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: web-from-gateway, namespace: frontend }
spec:
  podSelector: { matchLabels: { app: web } }
  ingress:
    - from:
        - namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: istio-system } }
          podSelector: { matchLabels: { app: istio-ingressgateway } }
`
const aliases = `
---
apiVersion: palisade.dev/v1
kind: PalisadeIntent
metadata: { name: names }
spec:
  workloadAliases:
    - workload: istio-system/istio-ingressgateway
      aliases: [istio-system/istio-ingressgateway-service-account]
`

const during = Date.parse('2026-11-30T09:30:00Z')
const web = { namespace: 'frontend', name: 'web' }
/** As Hubble names it: service account, with the app label the endpoint carries. */
const fromHubble = {
  namespace: 'istio-system',
  name: 'istio-ingressgateway-service-account',
  aliases: ['istio-ingressgateway'],
}
/** As an Istio access log names it: the service account of its SPIFFE ID, nothing else. */
const fromIstio = { namespace: 'istio-system', name: 'istio-ingressgateway-service-account' }

describe('workload aliases', () => {
  it('matches a declaration by the app label a record carries beside the service account', () => {
    const { intent, problems } = intentFromYaml(declarations)
    expect(problems).toEqual([])
    expect(intent.isDeclaredEdge(during, fromHubble, web, 8080)?.id).toBe('CHG-7')
    expect(intent.isSensitive(fromHubble)).toBe(true)
    expect(intent.networkVerdict(fromHubble, web, 8080).verdict).toBe('allowed')
  })

  it('cannot join a service account alone to the app name without a declared alias', () => {
    const { intent } = intentFromYaml(declarations)
    expect(intent.isDeclaredEdge(during, fromIstio, web, 8080)).toBeUndefined()
    expect(intent.networkVerdict(fromIstio, web, 8080).verdict).toBe('denied')
  })

  it('joins them through workloadAliases, for every question intent answers', () => {
    const { intent, problems } = intentFromYaml(declarations + aliases)
    expect(problems).toEqual([])
    expect(intent.isDeclaredEdge(during, fromIstio, web, 8080)?.id).toBe('CHG-7')
    expect(intent.isSensitive(fromIstio)).toBe(true)
    expect(intent.networkVerdict(fromIstio, web, 8080).verdict).toBe('allowed')
    // And the other way round: a declaration by service account matches the app name.
    expect(intent.isSensitive({ namespace: 'istio-system', name: 'istio-ingressgateway' })).toBe(true)
  })

  it('refuses an alias in another namespace: one workload lives in one namespace', () => {
    const { problems } = intentFromYaml(aliases.replace('[istio-system/', '[default/'))
    expect(problems).toEqual([
      expect.objectContaining({
        level: 'error',
        message: expect.stringContaining(
          'default/istio-ingressgateway-service-account is not in namespace istio-system',
        ),
      }),
    ])
  })
})
