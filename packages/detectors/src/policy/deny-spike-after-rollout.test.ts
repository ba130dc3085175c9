import { describe, expect, it } from 'vitest'
import type { KindedEvent } from '../run-detector.ts'
import { runDetector } from '../run-detector.ts'
import {
  byTime,
  event,
  hour,
  instantiate,
  jumble,
  minute,
  second,
  series,
  t0,
} from '../testing/detector-run.ts'
import type { DenySpikeState } from './deny-spike-after-rollout.ts'
import { denySpikeAfterRolloutType } from './deny-spike-after-rollout.ts'

const checkout = 'spiffe://cluster.local/ns/shop/sa/checkout'
const payments = 'spiffe://cluster.local/ns/payments/sa/payments'

const decision = (ts: number, fields: Record<string, unknown> = {}) =>
  event('decision', {
    ts,
    source: 'opa',
    enforcement_point: 'payments-envoy',
    src_identity: checkout,
    dst_identity: payments,
    action: 'POST',
    resource: '/v1/charges',
    decision: 'allow',
    policy_id: 'mesh.authz',
    policy_revision: 'rev-41',
    ...fields,
  })

const rollout = (ts: number, revision: string, previous: string) =>
  event('policy_change', {
    ts,
    source: 'opa-bundles',
    policy_id: 'mesh.authz',
    revision,
    previous_revision: previous,
  })

/** A week of checkout → payments allowed at rev-41, every 10 min. */
const week = (): KindedEvent[] => series(t0 - 7 * 24 * hour, 7 * 24 * 6, 10 * minute, (ts) => decision(ts))

describe('deny_spike_after_rollout', () => {
  describe('one busy call path broken', () => {
    const brokenPath = { page_pair_denies: 10, page_pair_deny_ratio: 0.9, page_pair_min_allows: 50 }

    it('pages at the tenth deny of a pair allowed all week, long before the tenant-wide deny count', () => {
      const events = byTime([
        ...week(),
        rollout(t0, 'rev-42', 'rev-41'),
        ...series(t0 + minute, 300, 2 * second, (ts) =>
          decision(ts, { decision: 'deny', policy_revision: 'rev-42' }),
        ),
      ])
      const findings = runDetector(instantiate(denySpikeAfterRolloutType, brokenPath), events)
      expect(findings.map((f) => [f.severity, f.ts])).toEqual([['page', t0 + minute + 9 * 2 * second]])
      expect(findings[0]!.summary).toContain(
        'or one pair allowed ≥ 50× before denied ≥ 10× at ≥ 90% of its decisions',
      )
    })

    it('leaves a rarely used pair, or one still mostly allowed, to the ticket', () => {
      // Allowed 12 times the day before, then denied 12 times: a real change, not a busy path broken.
      const rare = byTime([
        ...series(t0 - 12 * hour, 12, hour, (ts) => decision(ts)),
        rollout(t0, 'rev-42', 'rev-41'),
        ...series(t0 + minute, 12, 30 * second, (ts) =>
          decision(ts, { decision: 'deny', policy_revision: 'rev-42' }),
        ),
      ])
      expect(
        runDetector(instantiate(denySpikeAfterRolloutType, brokenPath), rare).map((f) => f.severity),
      ).toEqual([])
      // Busy, denied 12 times among 12 allows since: half broken, below the 90% the page needs.
      const mixed = byTime([
        ...week(),
        rollout(t0, 'rev-42', 'rev-41'),
        ...series(t0 + minute, 24, 10 * second, (ts, i) =>
          decision(
            ts,
            i % 2 ? { policy_revision: 'rev-42' } : { decision: 'deny', policy_revision: 'rev-42' },
          ),
        ),
      ])
      expect(
        runDetector(instantiate(denySpikeAfterRolloutType, brokenPath), mixed).map((f) => f.severity),
      ).not.toContain('page')
    })
  })

  it('pages when a pair allowed all week is denied hundreds of times after a rollout', () => {
    const detector = instantiate(denySpikeAfterRolloutType, {})
    const events = byTime([
      ...week(),
      rollout(t0, 'rev-42', 'rev-41'),
      ...series(t0 + minute, 300, 2 * second, (ts) =>
        decision(ts, { decision: 'deny', policy_revision: 'rev-42' }),
      ),
    ])
    const findings = runDetector(detector, events)
    expect(findings).toHaveLength(1)
    const [finding] = findings
    expect(finding!.severity).toBe('page')
    expect(finding!.entities).toMatchObject({
      policy_id: 'mesh.authz',
      revision: 'rev-42',
      previous_revision: 'rev-41',
      enforcement_point: 'payments-envoy',
      src_identity: checkout,
      dst_identity: payments,
      action: 'POST',
      resource: '/v1/charges',
      impact: 'service-impacting',
    })
    expect(finding!.summary).toContain(
      'After mesh.authz moved from rev-41 to rev-42 (seen at 2026-01-05T10:00:00.000Z via policy_change',
    )
    expect(finding!.summary).toContain(
      `${checkout} → ${payments} POST /v1/charges denied 100× (allowed 0× since)`,
    )
    expect(finding!.evidence).toMatchObject({ newly_denied_pairs: 1, denies: 100, revision_before: 'rev-41' })
  })

  it('sees a rollout in the decisions alone, tolerating the policy_change arriving minutes late', () => {
    const detector = instantiate(denySpikeAfterRolloutType, { page_pairs: 2, page_denies: 1000 })
    const denies = [checkout, 'shop/cart'].flatMap((src) =>
      series(t0, 20, 10 * second, (ts) =>
        decision(ts, { src_identity: src, decision: 'deny', policy_revision: 'rev-42' }),
      ),
    )
    const events = [
      ...byTime([
        ...week(),
        ...series(t0 - 7 * 24 * hour, 7 * 24, hour, (ts) => decision(ts, { src_identity: 'shop/cart' })),
      ]),
      ...jumble(byTime(denies), 10),
      rollout(t0 - 30 * second, 'rev-42', 'rev-41'),
    ]
    const findings = runDetector(detector, events)
    expect(findings).toHaveLength(1)
    expect(findings[0]!.severity).toBe('page')
    expect(findings[0]!.evidence.newly_denied_pairs).toBe(2)
    expect(findings[0]!.summary).toContain(
      '2 caller→callee pairs allowed in the 24.0 h before are now denied',
    )
    expect(findings[0]!.summary).toContain('seen at 2026-01-05T10:00:00.000Z via decisions at payments-envoy')
  })

  it('writes a ticket after the settle time below the page threshold, and a page if it grows', () => {
    const detector = instantiate(denySpikeAfterRolloutType, { settle: '10m', page_denies: 100 })
    const events = byTime([
      ...week(),
      ...series(t0 - hour, 180, minute, (ts) =>
        decision(ts, {
          src_identity: 'shop/cart',
          dst_identity: 'shop/checkout',
          enforcement_point: 'checkout-envoy',
          policy_revision: ts < t0 ? 'rev-41' : 'rev-42',
        }),
      ),
      ...series(t0, 10, 30 * second, (ts) => decision(ts, { decision: 'deny', policy_revision: 'rev-42' })),
      ...series(t0 + 30 * minute, 100, 10 * second, (ts) =>
        decision(ts, { decision: 'deny', policy_revision: 'rev-42' }),
      ),
    ])
    const findings = runDetector(detector, events)
    expect(findings.map((f) => [f.severity, f.entities.impact])).toEqual([
      ['ticket', 'limited'],
      ['page', 'service-impacting'],
    ])
    expect(findings[0]!.ts).toBe(t0 + 12 * minute)
    expect(findings[0]!.summary).toContain('denied 10×')
  })

  it('does not fire for a rollout that changes no deny, background denies, never-allowed pairs or a stuck enforcement point', () => {
    const detector = instantiate(denySpikeAfterRolloutType, {})
    const events = byTime([
      ...week(),
      rollout(t0, 'rev-42', 'rev-41'),
      ...series(t0, 120, minute, (ts) => decision(ts, { policy_revision: 'rev-42' })),
      // The odd deny on an allowed pair.
      ...series(t0 + 10 * minute, 3, 20 * minute, (ts) =>
        decision(ts, { decision: 'deny', policy_revision: 'rev-42' }),
      ),
      // A caller that was never allowed, denied before and after.
      ...series(t0 - 3 * hour, 300, minute, (ts) =>
        decision(ts, {
          src_identity: 'shop/web',
          resource: '/v1/admin',
          decision: 'deny',
          policy_revision: ts < t0 ? 'rev-41' : 'rev-42',
        }),
      ),
      // An enforcement point still on rev-41 that allows what it always allowed.
      ...series(t0, 120, minute, (ts) => decision(ts, { enforcement_point: 'cart-envoy' })),
      // Dry-run denies and PDP errors are not enforced denies.
      ...series(t0, 50, 10 * second, (ts) =>
        decision(ts, { decision: 'deny', dry_run: true, policy_revision: 'rev-43' }),
      ),
      ...series(t0, 50, 10 * second, (ts) => decision(ts, { decision: 'error', policy_revision: 'rev-42' })),
    ])
    expect(runDetector(detector, events)).toEqual([])
  })

  it('does not blame a rollback on the pairs its predecessor denied', () => {
    const detector = instantiate(denySpikeAfterRolloutType, { page_denies: 50 })
    const events = byTime([
      ...week(),
      rollout(t0, 'rev-42', 'rev-41'),
      ...series(t0, 60, 5 * second, (ts) => decision(ts, { decision: 'deny', policy_revision: 'rev-42' })),
      rollout(t0 + 10 * minute, 'rev-41', 'rev-42'),
      ...series(t0 + 11 * minute, 60, minute, (ts) => decision(ts)),
    ])
    const findings = runDetector(detector, events)
    expect(findings.map((f) => f.entities.revision)).toEqual(['rev-42'])
  })

  it('keeps at most max_pairs pairs, forgetting the least recently seen', () => {
    const detector = instantiate(denySpikeAfterRolloutType, { max_pairs: 1000 })
    const states = new Map<string, unknown>()
    runDetector(
      detector,
      series(t0, 20_000, second, (ts, i) => decision(ts, { dst_identity: `payments/svc-${i % 5000}` })),
      states,
    )
    const state = states.get('acme') as DenySpikeState
    expect(state.pairCount).toBeLessThanOrEqual(1000)
    expect(Object.keys(state.pairs).length).toBe(state.pairCount)
  })
})
