import { describe, expect, it } from 'vitest'
import { intentCoverage } from './intent-coverage.ts'
import { buildIntent } from './intent-documents.ts'

const documents = [
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'default-deny-ingress', namespace: 'shop' },
    spec: { podSelector: {}, policyTypes: ['Ingress'] },
  },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'catalog-from-frontend', namespace: 'shop' },
    spec: {
      podSelector: { matchLabels: { app: 'catalog' } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'frontend' } } }], ports: [{ port: 8080 }] }],
    },
  },
  {
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name: 'strict', namespace: 'shop' },
    spec: { mtls: { mode: 'STRICT' } },
  },
]
const { intent, problems } = buildIntent(documents.map((document, i) => ({ source: `doc ${i}`, document })))

describe('intentCoverage', () => {
  it('counts observed edges a declared policy decides, destinations a stranger is refused by, and STRICT ones', () => {
    expect(problems.filter((p) => p.level !== 'warning')).toEqual([])
    const coverage = intentCoverage(intent, [
      { src: 'spiffe://acme.io/ns/shop/sa/frontend', dst: 'spiffe://acme.io/ns/shop/sa/catalog', port: 8080 },
      {
        src: 'spiffe://acme.io/ns/shop/sa/frontend',
        dst: 'spiffe://acme.io/ns/data/sa/postgres',
        port: 5432,
      },
      { src: '10.0.0.1', dst: 'spiffe://acme.io/ns/shop/sa/catalog', port: 8080 },
    ])
    expect(coverage.policyAsCode).toEqual({
      covered: 1,
      total: 2,
      gaps: ['shop/frontend → data/postgres:5432'],
    })
    expect(coverage.defaultDeny).toEqual({ covered: 1, total: 2, gaps: ['data/postgres'] })
    expect(coverage.strictMtls).toEqual({ covered: 1, total: 2, gaps: ['data/postgres'] })
    expect(coverage.notWorkloads).toBe(1)
  })
})
