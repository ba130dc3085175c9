import { describe, expect, it } from 'vitest'
import { intentFromYaml, ref } from './testing/intent-from-yaml.ts'

// Manifests follow https://istio.io/latest/docs/reference/config/security/peer_authentication/
const meshStrict = `
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: default
  namespace: istio-system
spec:
  mtls:
    mode: STRICT
`

describe('PeerAuthentication', () => {
  it('is UNSET for every workload when nothing is declared', () => {
    const { intent } = intentFromYaml('')
    expect(intent.mtlsMode(ref('shop/cart'), 8080)).toEqual({ mode: 'UNSET' })
  })

  it('applies a root-namespace policy without selector to the whole mesh', () => {
    const { intent, problems } = intentFromYaml(meshStrict)
    expect(problems).toEqual([])
    expect(intent.mtlsMode(ref('shop/cart'))).toEqual({
      mode: 'STRICT',
      by: 'PeerAuthentication/istio-system/default',
    })
  })

  it('prefers workload over namespace over mesh, and lets UNSET inherit', () => {
    const { intent, problems } = intentFromYaml(`${meshStrict}
---
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata:
  name: default
  namespace: foo
spec:
  mtls:
    mode: PERMISSIVE
---
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata:
  name: finance
  namespace: foo
spec:
  selector:
    matchLabels:
      app: finance
  mtls:
    mode: STRICT
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: legacy
  namespace: foo
spec:
  selector:
    matchLabels:
      app: legacy
  mtls:
    mode: UNSET
`)
    expect(problems).toEqual([])
    expect(intent.mtlsMode(ref('foo/finance'))).toEqual({
      mode: 'STRICT',
      by: 'PeerAuthentication/foo/finance',
    })
    expect(intent.mtlsMode(ref('foo/web'))).toEqual({
      mode: 'PERMISSIVE',
      by: 'PeerAuthentication/foo/default',
    })
    expect(intent.mtlsMode(ref('foo/legacy'))).toEqual({
      mode: 'PERMISSIVE',
      by: 'PeerAuthentication/foo/default',
    })
    expect(intent.mtlsMode(ref('bar/web'))).toEqual({
      mode: 'STRICT',
      by: 'PeerAuthentication/istio-system/default',
    })
  })

  it('honours port-level exceptions, and lets a port-level UNSET inherit the workload mode', () => {
    const { intent } = intentFromYaml(`${meshStrict}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: finance
  namespace: foo
spec:
  selector:
    matchLabels:
      app: finance
  mtls:
    mode: UNSET
  portLevelMtls:
    8080:
      mode: DISABLE
    9090:
      mode: UNSET
`)
    const finance = ref('foo/finance')
    expect(intent.mtlsMode(finance, 8080)).toEqual({ mode: 'DISABLE', by: 'PeerAuthentication/foo/finance' })
    expect(intent.mtlsMode(finance, 9090)).toEqual({
      mode: 'STRICT',
      by: 'PeerAuthentication/istio-system/default',
    })
    expect(intent.mtlsMode(finance, 8443)).toEqual({
      mode: 'STRICT',
      by: 'PeerAuthentication/istio-system/default',
    })
    expect(intent.mtlsMode(finance)).toEqual({
      mode: 'STRICT',
      by: 'PeerAuthentication/istio-system/default',
    })
  })

  it('ignores, with warnings, what Istio ignores: selectors in the root namespace, ports without selector', () => {
    const { intent, problems } = intentFromYaml(`
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: gateway, namespace: istio-system }
spec:
  selector: { matchLabels: { app: istio-ingressgateway } }
  mtls: { mode: DISABLE }
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: shop }
spec:
  mtls: { mode: STRICT }
  portLevelMtls:
    9090: { mode: PERMISSIVE }
`)
    expect(problems.map((problem) => [problem.level, problem.message])).toEqual([
      [
        'warning',
        'spec.selector: ignored by Istio: PeerAuthentication with a workload selector in the root namespace (istio-system)',
      ],
      ['warning', 'spec.portLevelMtls: ignored: Istio applies portLevelMtls only with a workload selector'],
    ])
    expect(intent.mtlsMode(ref('istio-system/istio-ingressgateway'))).toEqual({ mode: 'UNSET' })
    expect(intent.mtlsMode(ref('shop/cart'), 9090)).toEqual({
      mode: 'STRICT',
      by: 'PeerAuthentication/shop/default',
    })
  })

  it('reads the root namespace from the options', () => {
    const { intent } = intentFromYaml(meshStrict.replace('istio-system', 'mesh-root'), {
      istioRootNamespace: 'mesh-root',
    })
    expect(intent.mtlsMode(ref('shop/cart')).mode).toBe('STRICT')
  })

  it('rejects an unknown mode', () => {
    const { problems } = intentFromYaml(meshStrict.replace('STRICT', 'STRICTLY'))
    expect(problems).toEqual([
      expect.objectContaining({
        level: 'error',
        message: 'spec.mtls.mode: expected one of UNSET, DISABLE, PERMISSIVE, STRICT',
      }),
    ])
  })
})
