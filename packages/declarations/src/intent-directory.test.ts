import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseWorkload, type WorkloadRef } from '@palisade/intent'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { IntentDirectoryError } from './errors.ts'
import { checkIntentDirectory, loadIntentDirectory } from './intent-directory.ts'

/** `shop/frontend` → the workload `{ namespace: 'shop', name: 'frontend' }`. */
function ref(text: string): WorkloadRef {
  const workload = parseWorkload(text)
  if (!workload) throw new TypeError(`not namespace/name: ${text}`)
  return workload
}

const networkPolicies = `# Two documents in one file.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny-ingress
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-cart-from-frontend
  namespace: shop
spec:
  podSelector:
    matchLabels: { app: cart }
  ingress:
  - from:
    - podSelector:
        matchLabels: { app: frontend }
`

const peerAuthentication = JSON.stringify({
  apiVersion: 'security.istio.io/v1',
  kind: 'PeerAuthentication',
  metadata: { name: 'default', namespace: 'istio-system' },
  spec: { mtls: { mode: 'STRICT' } },
})

const palisade = `apiVersion: palisade.dev/v1
kind: PalisadeIntent
metadata: { name: perimeter }
spec:
  egress:
    - { host: api.stripe.com, ports: [443] }
  corporateEgress: { cidrs: [203.0.113.0/24], asns: [64500] }
  namespaceTenants: { shop: retail }
  changes:
    - { id: CHG-7, from: 2026-01-07T14:00:00Z, to: 2026-01-07T15:00:00Z, description: Roll out cart v2 }
`

describe('intent files', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-intent-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('reads YAML streams, JSON and nested folders, skipping other and hidden files', async () => {
    await mkdir(join(dir, 'mesh'))
    await mkdir(join(dir, '.git'))
    await writeFile(join(dir, 'network-policies.yaml'), networkPolicies)
    await writeFile(join(dir, 'mesh', 'peer-authentication.json'), peerAuthentication)
    await writeFile(join(dir, 'palisade.yml'), palisade)
    await writeFile(join(dir, 'README.md'), '# not intent')
    await writeFile(join(dir, '.git', 'config.yaml'), 'kind: Nope')
    const loaded = await loadIntentDirectory(dir)
    expect(loaded.problems).toEqual([])
    expect(loaded.files).toEqual([
      join(dir, 'mesh', 'peer-authentication.json'),
      join(dir, 'network-policies.yaml'),
      join(dir, 'palisade.yml'),
    ])
    expect(loaded.intent.sources).toEqual([
      `${join(dir, 'mesh', 'peer-authentication.json')}#1 (PeerAuthentication istio-system/default)`,
      `${join(dir, 'network-policies.yaml')}#1 (NetworkPolicy shop/default-deny-ingress)`,
      `${join(dir, 'network-policies.yaml')}#2 (NetworkPolicy shop/allow-cart-from-frontend)`,
      `${join(dir, 'palisade.yml')}#1 (PalisadeIntent perimeter)`,
    ])
    const { intent } = loaded
    expect(intent.networkVerdict(ref('shop/frontend'), ref('shop/cart'), 8080).verdict).toBe('allowed')
    expect(intent.networkVerdict(ref('shop/frontend'), ref('shop/checkout'), 8080).verdict).toBe('denied')
    expect(intent.mtlsMode(ref('shop/cart')).mode).toBe('STRICT')
    expect(intent.declaredEgress({ host: 'api.stripe.com', port: 443 }).declared).toBe(true)
  })

  it('reports a YAML syntax error with its line and still reads the other documents of the file', async () => {
    const broken = `${networkPolicies}---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: broken
  namespace: shop
spec:
  podSelector: { matchLabels: { app: cart }
  policyTypes: [Ingress]
`
    await writeFile(join(dir, 'shop.yaml'), broken)
    const { problems, intent } = await loadIntentDirectory(dir)
    expect(problems).toEqual([
      {
        source: `${join(dir, 'shop.yaml')}#3`,
        level: 'error',
        line: 31,
        message: expect.stringMatching(/^YAML syntax error at line 31, column \d+: .+; document not read$/),
      },
    ])
    expect(intent.sources).toHaveLength(2)
  })

  it('throws an error naming a directory that does not exist', async () => {
    const missing = join(dir, 'nope')
    await expect(loadIntentDirectory(missing)).rejects.toThrow(IntentDirectoryError)
    await expect(loadIntentDirectory(missing)).rejects.toThrow(
      `cannot read intent directory ${missing}: no such directory`,
    )
  })

  it('checks a directory: summary first, then problems; warnings alone keep it ok', async () => {
    await writeFile(join(dir, 'network-policies.yaml'), networkPolicies)
    await writeFile(join(dir, 'peer-authentication.json'), peerAuthentication)
    await writeFile(join(dir, 'palisade.yaml'), palisade)
    await writeFile(
      join(dir, 'deployment.yaml'),
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }\n',
    )
    const { report, ok } = await checkIntentDirectory(dir)
    expect(ok).toBe(true)
    expect(report).toContain(`Intent in ${dir}: 4 file(s), 4 document(s) used`)
    expect(report).toContain('documents:   NetworkPolicy 2, PeerAuthentication 1, PalisadeIntent 1')
    expect(report).toContain('namespaces:  istio-system, shop')
    expect(report).toContain('tenants:     shop → retail')
    expect(report).toContain('mTLS:        mesh: STRICT — PeerAuthentication/istio-system/default')
    expect(report).toContain('egress:      api.stripe.com:443')
    expect(report).toContain('corporate:   203.0.113.0/24, AS64500')
    expect(report).toContain(
      'changes:     CHG-7 2026-01-07T14:00:00.000Z → 2026-01-07T15:00:00.000Z Roll out cart v2',
    )
    expect(report).toContain('0 error(s), 1 warning(s):')
    expect(report).toContain(
      `warning: ${join(dir, 'deployment.yaml')}#1 line 2: not an intent document (kind Deployment); known kinds: `,
    )
  })

  it('checks a directory with errors as not ok', async () => {
    await writeFile(join(dir, 'palisade.yaml'), palisade.replace('egress:', 'egres:'))
    const { report, ok } = await checkIntentDirectory(dir)
    expect(ok).toBe(false)
    expect(report).toContain('1 error(s), 0 warning(s):')
    expect(report).toContain('line 5: spec.egres: unknown field (did you mean egress?)')
  })

  it('checks a missing directory as not ok, saying why', async () => {
    const { report, ok } = await checkIntentDirectory(join(dir, 'nope'))
    expect(ok).toBe(false)
    expect(report).toBe(`cannot read intent directory ${join(dir, 'nope')}: no such directory`)
  })
})

describe('the demo mesh intent (alerts/intent)', () => {
  const demo = fileURLToPath(new URL('../../../alerts/intent', import.meta.url))

  it('loads without errors', async () => {
    const { problems } = await loadIntentDirectory(demo)
    expect(problems.filter((problem) => problem.level === 'error')).toEqual([])
  })

  it('allows the mesh edges, denies the lateral move to postgres, and keeps STRICT but for the metrics port', async () => {
    const { intent } = await loadIntentDirectory(demo)
    const edges: [string, string, number][] = [
      ['shop/frontend', 'shop/catalog', 8080],
      ['shop/frontend', 'shop/cart', 8080],
      ['shop/frontend', 'shop/checkout', 8080],
      ['shop/frontend', 'identity/sso', 8443],
      ['shop/cart', 'data/redis', 6379],
      ['shop/checkout', 'payments/payments', 8443],
      ['shop/checkout', 'shop/inventory', 8080],
      ['shop/catalog', 'data/postgres', 5432],
      ['shop/inventory', 'data/postgres', 5432],
      ['payments/payments', 'data/postgres', 5432],
    ]
    for (const [src, dst, port] of edges) {
      expect(intent.networkVerdict(ref(src), ref(dst), port, 'tcp').verdict, `${src} -> ${dst}:${port}`).toBe(
        'allowed',
      )
      expect(intent.authorizationVerdict(ref(src), ref(dst), { port }).verdict, `${src} -> ${dst}`).not.toBe(
        'denied',
      )
    }
    expect(intent.networkVerdict(ref('shop/frontend'), ref('data/postgres'), 5432, 'tcp').verdict).toBe(
      'denied',
    )
    expect(
      intent.authorizationVerdict(ref('shop/frontend'), ref('data/postgres'), { port: 5432 }).verdict,
    ).toBe('denied')
    expect(intent.mtlsMode(ref('data/postgres'), 5432).mode).toBe('STRICT')
    expect(intent.mtlsMode(ref('data/postgres'), 9187).mode).toBe('PERMISSIVE')
    expect(intent.isSensitive(ref('data/postgres'))).toBe(true)
    expect(intent.isMonitoring(ref('monitoring/prometheus'))).toBe(true)
    expect(intent.isCorporateEgress({ ip: '203.0.113.25' })).toBe(true)
  })
})
