import { describe, expect, it } from 'vitest'
import { runDetector } from '../run-detector.ts'
import { byTime, event, hour, instantiate, jumble, minute, series, t0 } from '../testing/detector-run.ts'
import { intentWith } from '../testing/intent-with.ts'
import type { VersionSkewState } from './version-skew.ts'
import { versionSkewType } from './version-skew.ts'

const decide = (ts: number, ep: string, revision: string, fields: Record<string, unknown> = {}) =>
  event('decision', {
    ts,
    source: 'opa',
    enforcement_point: ep,
    decision: 'allow',
    policy_id: 'mesh.authz',
    policy_revision: revision,
    ...fields,
  })

/** `ep` decides every minute from `from` for `minutes`, with `revision`. */
const on = (ep: string, revision: string, from: number, minutes: number) =>
  series(from, minutes, minute, (ts) => decide(ts, ep, revision))

/** Seven enforcement points move from rev-41 to rev-42 at t0+1h, one a minute; cart-envoy stays behind. */
function stuckRollout() {
  const eps = [
    'checkout-envoy',
    'payments-envoy',
    'frontend-envoy',
    'search-envoy',
    'orders-envoy',
    'users-envoy',
  ]
  return byTime([
    ...eps.flatMap((ep, i) => [
      ...on(ep, 'rev-41', t0, 60 + i),
      ...on(ep, 'rev-42', t0 + hour + i * minute, 180 - i),
    ]),
    ...on('cart-envoy', 'rev-41', t0, 4 * 60),
  ])
}

describe('version_skew', () => {
  it('reports an enforcement point still deciding with the old revision 30 min after the others moved', () => {
    const detector = instantiate(versionSkewType, { max_skew: '30m' })
    const findings = runDetector(detector, stuckRollout())
    expect(findings).toHaveLength(1)
    const [finding] = findings
    expect(finding!.ts).toBe(t0 + 90 * minute)
    expect(finding!.entities).toEqual({
      policy_id: 'mesh.authz',
      enforcement_point: 'cart-envoy',
      revision: 'rev-41',
      majority_revision: 'rev-42',
    })
    expect(finding!.summary).toContain(
      'Policy mesh.authz is enforced with different revisions: cart-envoy on rev-41 (since 2026-01-05T10:00:00.000Z, last decision 2026-01-05T11:30:00.000Z), while 6 enforcement points (checkout-envoy, frontend-envoy, orders-envoy, payments-envoy, search-envoy, users-envoy) decide with rev-42, reported since 2026-01-05T11:00:00.000Z',
    )
  })

  it('tolerates decisions a few minutes out of order', () => {
    const detector = instantiate(versionSkewType, {})
    const findings = runDetector(detector, jumble(stuckRollout(), 20))
    expect(findings).toHaveLength(1)
    expect(findings[0]!.entities.enforcement_point).toBe('cart-envoy')
  })

  it('re-arms for the next rollout once the fleet converged', () => {
    const detector = instantiate(versionSkewType, {})
    const findings = runDetector(
      detector,
      byTime([
        ...stuckRollout(),
        // cart-envoy catches up, then the next rollout leaves payments-envoy behind.
        ...on('cart-envoy', 'rev-42', t0 + 4 * hour, 60),
        ...['checkout-envoy', 'cart-envoy'].flatMap((ep) => on(ep, 'rev-43', t0 + 5 * hour, 60)),
        ...on('payments-envoy', 'rev-42', t0 + 4 * hour, 120),
      ]),
    )
    expect(
      findings.map((f) => [f.entities.enforcement_point, f.entities.revision, f.entities.majority_revision]),
    ).toEqual([
      ['cart-envoy', 'rev-41', 'rev-42'],
      ['payments-envoy', 'rev-42', 'rev-43'],
    ])
  })

  it('stays quiet during a declared change window for the policy (a canary)', () => {
    const intent = intentWith({
      changesAt: (ts, target) =>
        target?.policy === 'mesh.authz' && ts >= t0 && ts < t0 + 6 * hour
          ? [
              {
                id: 'CHG-7',
                from: t0,
                to: t0 + 6 * hour,
                workloads: [],
                policies: ['mesh.authz'],
                addsEdges: [],
              },
            ]
          : [],
    })
    expect(runDetector(instantiate(versionSkewType, {}, { intent }), stuckRollout())).toEqual([])
  })

  it('ignores enforcement points gone quiet and keeps its state bounded', () => {
    const detector = instantiate(versionSkewType, { idle_after: '1h' })
    const states = new Map<string, unknown>()
    const events = byTime([
      ...on('checkout-envoy', 'rev-42', t0, 5 * 60),
      ...series(t0, 3000, 5000, (ts, i) => decide(ts, `pod-${i}`, 'rev-42')),
      // An enforcement point that went quiet on the old revision is no skew.
      ...on('legacy-envoy', 'rev-41', t0, 30),
    ])
    const findings = runDetector(detector, events, states)
    expect(findings).toEqual([])
    const state = states.get('acme') as VersionSkewState
    expect(state.policies['mesh.authz']!.count).toBeLessThanOrEqual(1024)
  })
})
