import type { WorkloadRef } from '@palisade/intent'
import { describe, expect, it } from 'vitest'
import { flow, hour, instantiate, minute, run, t0 } from '../testing/detector-run.ts'
import { intentWith } from '../testing/intent-with.ts'
import { type CrossNamespaceState, crossNamespaceType } from './cross-namespace.ts'

const is = (w: WorkloadRef, name: string) => `${w.namespace}/${w.name}` === name

/** Intent: payments/ledger admits shop/checkout only; data/vault and payments/ledger are sensitive. */
const intent = intentWith({
  networkVerdict: (src, dst) =>
    is(dst, 'payments/ledger')
      ? src && is(src, 'shop/checkout')
        ? { verdict: 'allowed', by: 'NetworkPolicy/payments/ledger-ingress' }
        : { verdict: 'denied', by: 'NetworkPolicy/payments/ledger-ingress' }
      : { verdict: 'unrestricted' },
  authorizationVerdict: (_src, dst) =>
    is(dst, 'data/reports')
      ? { verdict: 'denied', by: 'AuthorizationPolicy/data/reports' }
      : { verdict: 'unrestricted' },
  isSensitive: (w) => is(w, 'payments/ledger') || is(w, 'data/vault'),
  isMonitoring: (w) => w.namespace === 'monitoring',
  tenantOfNamespace: (ns) =>
    ({ shop: 'retail', payments: 'retail', partner: 'partner-co', data: 'retail' })[ns],
})

const toLedger = (ts: number, src = 'shop/frontend', dst = 'payments/ledger') =>
  flow({ ts, src_identity: src, dst_identity: dst, dst_port: 8443, bytes_sent: 1200 })

describe('cross_namespace', () => {
  it('pages when an allowed flow reaches a sensitive service in another namespace that intent denies', () => {
    const findings = run(instantiate(crossNamespaceType, {}, { intent: intent, severity: 'ticket' }), [
      toLedger(t0),
    ])
    expect(findings).toHaveLength(1)
    const [finding] = findings
    expect(finding!.severity).toBe('page')
    expect(finding!.entities).toMatchObject({
      src_identity: 'shop/frontend',
      dst_identity: 'payments/ledger',
      dst_port: '8443',
      src_namespace: 'shop',
      dst_namespace: 'payments',
    })
    expect(finding!.summary).toBe(
      'shop/frontend reached payments/ledger:8443 at 2026-01-05 10:00:00Z (flow allowed by the enforcement point), ' +
        'from namespace shop into namespace payments, although the declared network policy denies it ' +
        '(NetworkPolicy/payments/ledger-ingress). payments/ledger is declared sensitive. An allowed path that intent ' +
        'forbids means enforcement does not match what was declared, a way for a compromised workload to move ' +
        'laterally; the next finding for this pair waits 60 min.',
    )
    expect(finding!.evidence).toMatchObject({ event_ids: [expect.any(String)], network_verdict: 'denied' })
  })

  it('tickets for a non-sensitive destination denied by authorization policy, pages across tenants', () => {
    const detector = instantiate(crossNamespaceType, {}, { intent: intent, severity: 'ticket' })
    const findings = run(detector, [
      flow({ ts: t0, src_identity: 'shop/web', dst_identity: 'data/reports', dst_port: 8080 }),
      flow({ ts: t0, src_identity: 'partner/api', dst_identity: 'data/reports', dst_port: 8080 }),
    ])
    expect(findings.map((f) => f.severity)).toEqual(['ticket', 'page'])
    expect(findings[0]!.summary).toContain(
      'the declared authorization policy denies it (AuthorizationPolicy/data/reports)',
    )
    expect(findings[1]!.summary).toContain(
      'from tenant partner-co (namespace partner) into tenant retail (namespace data)',
    )
  })

  it('stays quiet for what intent allows or does not restrict, traffic within a namespace, and flows not allowed', () => {
    const findings = run(instantiate(crossNamespaceType, {}, { intent: intent, severity: 'page' }), [
      toLedger(t0, 'shop/checkout'),
      flow({ ts: t0, src_identity: 'shop/web', dst_identity: 'data/postgres', dst_port: 5432 }),
      flow({ ts: t0, src_identity: 'payments/api', dst_identity: 'payments/ledger', dst_port: 8443 }),
      flow({
        ts: t0,
        src_identity: 'shop/frontend',
        dst_identity: 'payments/ledger',
        dst_port: 8443,
        verdict: 'denied',
      }),
    ])
    expect(findings).toEqual([])
  })

  it('stays quiet for monitoring workloads and for edges a declared change adds, also after its window', () => {
    const changed = intentWith({
      ...intent,
      isDeclaredEdge: (ts, from, to, port) =>
        ts < t0 + hour && is(from, 'shop/frontend') && is(to, 'payments/ledger') && port === 8443
          ? { id: 'CHG-1', from: t0, to: t0 + hour, workloads: [], policies: [], addsEdges: [] }
          : undefined,
    })
    const findings = run(instantiate(crossNamespaceType, {}, { intent: changed, severity: 'page' }), [
      flow({
        ts: t0,
        src_identity: 'monitoring/prometheus',
        dst_identity: 'payments/ledger',
        dst_port: 8443,
      }),
      toLedger(t0 + 10 * minute),
      toLedger(t0 + 3 * hour),
    ])
    expect(findings).toEqual([])
  })

  it('fires once per pair, re-arms after an hour, even when an earlier flow arrives late', () => {
    const findings = run(instantiate(crossNamespaceType, {}, { intent: intent, severity: 'page' }), [
      toLedger(t0),
      toLedger(t0 + 30 * minute),
      toLedger(t0 - 3 * minute),
      toLedger(t0 + 61 * minute),
      flow({
        ts: t0 + 62 * minute,
        src_identity: 'shop/frontend',
        dst_identity: 'payments/ledger',
        dst_port: 9090,
      }),
    ])
    expect(findings.map((f) => [f.ts - t0, f.entities.dst_port])).toEqual([
      [0, '8443'],
      [61 * minute, '8443'],
      [62 * minute, '9090'],
    ])
    expect(findings[0]!.finding_id).not.toBe(findings[1]!.finding_id)
  })

  it('treats the SPIFFE and the Hubble names of a workload as one pair', () => {
    const findings = run(instantiate(crossNamespaceType, {}, { intent: intent, severity: 'page' }), [
      toLedger(t0),
      flow({
        ts: t0 + minute,
        src_identity: 'spiffe://cluster.local/ns/shop/sa/frontend',
        dst_identity: 'spiffe://cluster.local/ns/payments/sa/ledger',
        dst_port: 8443,
      }),
    ])
    expect(findings).toHaveLength(1)
  })

  it('keeps its state bounded under 100k distinct destinations', () => {
    const everywhere = intentWith({ networkVerdict: () => ({ verdict: 'denied' }) })
    const states = new Map<string, unknown>()
    const detector = instantiate(crossNamespaceType, {}, { intent: everywhere, severity: 'page' })
    const events = Array.from({ length: 100_000 }, (_, i) =>
      flow({
        ts: t0 + i,
        src_identity: 'shop/frontend',
        dst_identity: `ns-${i % 5000}/svc-${i}`,
        dst_port: 8080,
      }),
    )
    expect(run(detector, events, states)).toHaveLength(100_000)
    const state = states.get('acme/shop/frontend') as CrossNamespaceState
    expect(Object.keys(state.fired).length).toBeLessThanOrEqual(1000)
    expect(state.count).toBe(Object.keys(state.fired).length)
  })
})
