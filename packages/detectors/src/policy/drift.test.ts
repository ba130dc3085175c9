import type { WorkloadRef } from '@palisade/intent'
import { describe, expect, it } from 'vitest'
import { runDetector } from '../run-detector.ts'
import { event, hour, instantiate, jumble, minute, series, t0 } from '../testing/detector-run.ts'
import { intentWith } from '../testing/intent-with.ts'
import type { DriftState } from './drift.ts'
import { driftType } from './drift.ts'

// Only shop/frontend may reach shop/checkout; only shop/checkout may POST to payments.
const intent = intentWith({
  networkVerdict: (src: WorkloadRef | undefined, dst: WorkloadRef) =>
    dst.name === 'checkout'
      ? {
          verdict: src?.name === 'frontend' ? 'allowed' : 'denied',
          by: 'NetworkPolicy/shop/checkout-from-frontend',
        }
      : { verdict: 'unrestricted' },
  authorizationVerdict: (src: WorkloadRef | undefined, dst: WorkloadRef) =>
    dst.name === 'payments'
      ? {
          verdict: src?.name === 'checkout' ? 'allowed' : 'denied',
          by: 'AuthorizationPolicy/payments/payments-charges',
        }
      : { verdict: 'unrestricted' },
  isDeclaredEdge: (ts, from) =>
    from.name === 'migrator' && ts < t0 + 2 * hour
      ? { id: 'CHG-1042', from: t0, to: t0 + 2 * hour, workloads: [], policies: [], addsEdges: [] }
      : undefined,
})

const flow = (ts: number, src: string, fields: Record<string, unknown> = {}) =>
  event('flow', {
    ts,
    source: 'hubble-flow',
    src_identity: src,
    dst_identity: 'shop/checkout',
    dst_port: 8080,
    ...fields,
  })

describe('drift', () => {
  it('reports recurring allowed flows that the NetworkPolicy forbids, once', () => {
    const detector = instantiate(driftType, { min_count: 5, window: '6h' }, { intent })
    const findings = runDetector(
      detector,
      series(t0, 20, 10 * minute, (ts) => flow(ts, 'shop/cart')),
    )
    expect(findings).toHaveLength(1)
    expect(findings[0]!.entities).toEqual({
      src_identity: 'shop/cart',
      dst_identity: 'shop/checkout',
      dst_port: '8080',
      declared_by: 'NetworkPolicy/shop/checkout-from-frontend',
      layer: 'network',
    })
    expect(findings[0]!.summary).toBe(
      'shop/cart reached shop/checkout on port 8080 in 5 allowed flows between 2026-01-05T10:00:00.000Z and 2026-01-05T10:40:00.000Z ' +
        '(reported by hubble-flow), although NetworkPolicy/shop/checkout-from-frontend does not allow it: the declared network policy ' +
        'is not being enforced (intent not enforced): check that the CNI enforces NetworkPolicy and that the applied policy is the declared one. ' +
        'Threshold: ≥ 5 within 6.0 h.',
    )
  })

  it('counts flows delivered out of order and re-arms after the re-arm period', () => {
    const detector = instantiate(driftType, { min_count: 5, window: '6h', rearm_period: '24h' }, { intent })
    const events = jumble(
      series(t0, 60, hour, (ts) => flow(ts, 'shop/cart')),
      4,
    )
    const findings = runDetector(detector, events)
    // 5 flows within 6 h (counted once the late ones arrive), then quiet for 24 h.
    expect(findings.map((f) => (f.ts - t0) / hour)).toEqual([6, 30, 54])
  })

  it('reports allow decisions that the AuthorizationPolicy forbids', () => {
    const detector = instantiate(driftType, { min_count: 3 }, { intent })
    const decision = (ts: number, src: string) =>
      event('decision', {
        ts,
        source: 'opa',
        enforcement_point: 'payments-envoy',
        src_identity: src,
        dst_identity: 'payments/payments',
        action: 'POST',
        resource: '/v1/charges/ch_9f8Q2kLm3',
        decision: 'allow',
      })
    const findings = runDetector(detector, [
      ...series(t0, 10, minute, (ts) => decision(ts, 'shop/checkout')),
      ...series(t0, 3, minute, (ts) => decision(ts, 'shop/cart')),
    ])
    expect(findings).toHaveLength(1)
    expect(findings[0]!.entities).toMatchObject({
      src_identity: 'shop/cart',
      layer: 'authorization',
      resource: '/v1/charges/*',
    })
    expect(findings[0]!.summary).toContain(
      'shop/cart was allowed 3 times to call payments/payments POST /v1/charges/*',
    )
    expect(findings[0]!.summary).toContain('(reported by opa at payments-envoy)')
  })

  it('leaves allowed, cross-namespace, declared, dropped and rare flows alone', () => {
    const detector = instantiate(driftType, { min_count: 5 }, { intent })
    const findings = runDetector(detector, [
      ...series(t0, 20, minute, (ts) => flow(ts, 'shop/frontend')),
      ...series(t0, 20, minute, (ts) => flow(ts, 'analytics/etl')),
      ...series(t0, 20, minute, (ts) => flow(ts, 'shop/migrator')),
      ...series(t0, 20, minute, (ts) => flow(ts, 'shop/web', { verdict: 'dropped' })),
      ...series(t0, 4, hour, (ts) => flow(ts, 'shop/web')),
      ...series(t0, 20, minute, (ts) => flow(ts, 'shop/web', { dst_identity: 'shop/api' })),
    ])
    expect(findings).toEqual([])
  })

  it('keeps a bounded number of edges per source', () => {
    const detector = instantiate(driftType, { min_count: 2 }, { intent })
    const states = new Map<string, unknown>()
    runDetector(
      detector,
      series(t0, 3000, minute, (ts, i) => flow(ts, 'shop/cart', { dst_port: 1000 + i })),
      states,
    )
    const state = states.get('acme/shop/cart') as DriftState
    expect(state.size).toBeLessThanOrEqual(256)
    expect(Object.keys(state.edges).length).toBe(state.size)
  })
})
