import { describe, expect, it } from 'vitest'
import type { KindedEvent } from '../run-detector.ts'
import { runDetector } from '../run-detector.ts'
import { byTime, day, event, hour, instantiate, jumble, minute, series, t0 } from '../testing/detector-run.ts'
import type { SourceGapState } from './source-gap.ts'
import { enforcementPointOf, sourceGapType } from './source-gap.ts'

const flow = (ts: number, source: string) =>
  event('flow', { ts, source, src_identity: 'shop/web', dst_identity: 'shop/api', dst_port: 8080 })
const decision = (ts: number, ep: string) =>
  event('decision', { ts, source: 'opa', enforcement_point: ep, decision: 'allow' })

/** Midnight UTC before t0. */
const midnight = Date.UTC(2026, 0, 5)

/**
 * A source as the throttled bus delivers it: one event per active minute by day (08:00–20:00 UTC),
 * at night one every `nightEvery` minutes on average (deterministic jitter), for `days` days.
 */
function diurnal(source: string, days: number, nightEvery: number, offset = 0): KindedEvent[] {
  const out: KindedEvent[] = []
  let ts = midnight + offset
  let k = 0
  while (ts < midnight + days * day) {
    out.push(flow(ts, source))
    const hourOfDay = new Date(ts).getUTCHours()
    const night = hourOfDay < 8 || hourOfDay >= 20
    // Night gaps between 0.2× and 2.6× the mean, in a fixed pattern.
    const factor = [0.2, 1.4, 0.6, 2.6, 0.9, 0.3][k++ % 6]!
    ts += night ? Math.round(nightEvery * factor * minute) : minute
  }
  return out
}

describe('source_gap', () => {
  it('does not fire on nightly lulls it has learned, and fires on a daytime silence of 45 min', () => {
    const detector = instantiate(sourceGapType, {})
    const nodeA = diurnal('hubble-node-a', 5, 8)
    const nodeB = diurnal('hubble-node-b', 5, 8, 17_000).filter(
      // Day 5, 14:00–14:45: node-b is silent.
      ({ event: e }) =>
        e.ts < midnight + 4 * day + 14 * hour || e.ts >= midnight + 4 * day + 14 * hour + 45 * minute,
    )
    const findings = runDetector(detector, byTime([...nodeA, ...nodeB]))
    expect(findings).toHaveLength(1)
    expect(findings[0]!.entities).toEqual({ source: 'hubble-node-b' })
    expect(findings[0]!.summary).toMatch(
      /^source hubble-node-b has sent nothing since 2026-01-09T13:59:\d\d\.000Z: 1\d min so far/,
    )
    expect(findings[0]!.summary).toContain('8× its usual gap around 13:00 UTC of 60 s')
  })

  it('re-arms when the source resumes and quotes the previous silence next time', () => {
    const detector = instantiate(sourceGapType, { min_samples: 30 })
    const gap =
      (from: number, to: number) =>
      ({ event: e }: KindedEvent) =>
        e.ts < from || e.ts >= to
    const nodeB = series(t0, 8 * 60, minute, (ts) => flow(ts + 5000, 'hubble-node-b'))
      .filter(gap(t0 + 2 * hour, t0 + 3 * hour))
      .filter(gap(t0 + 6 * hour, t0 + 7 * hour))
    const findings = runDetector(
      detector,
      byTime([...series(t0, 8 * 60, minute, (ts) => flow(ts, 'hubble-node-a')), ...nodeB]),
    )
    expect(findings.map((f) => (f.ts - t0) / minute)).toEqual([135, 375])
    expect(findings[1]!.summary).toContain(
      'Its previous silence was 61 min (2026-01-05T11:59:05.000Z to 2026-01-05T13:00:05.000Z)',
    )
  })

  it('reports a silent enforcement point of a decision source once, not the source itself', () => {
    const detector = instantiate(sourceGapType, {})
    const findings = runDetector(
      detector,
      byTime([
        ...series(t0, 4 * 60, minute, (ts) => decision(ts, 'checkout-envoy')),
        ...series(t0 + 10_000, 3 * 60, minute, (ts) => decision(ts, 'cart-envoy')),
      ]),
    )
    expect(findings).toHaveLength(1)
    expect(findings[0]!.entities).toEqual({ source: 'opa', enforcement_point: 'cart-envoy' })
    expect(findings[0]!.summary).toContain(
      'enforcement point cart-envoy (source opa) has sent nothing since 2026-01-05T12:59:10.000Z',
    )
  })

  it('reports a whole source gone silent once, not each of its enforcement points', () => {
    const detector = instantiate(sourceGapType, {})
    const findings = runDetector(
      detector,
      byTime([
        ...series(t0, 3 * 60, minute, (ts) => decision(ts, 'checkout-envoy')),
        ...series(t0, 3 * 60, minute, (ts) => decision(ts + 1000, 'cart-envoy')),
        ...series(t0, 5 * 60, minute, (ts) => flow(ts, 'hubble-node-a')),
      ]),
    )
    expect(findings.map((f) => f.entities)).toEqual([{ source: 'opa' }])
  })

  it('tolerates events a few minutes out of order', () => {
    const detector = instantiate(sourceGapType, {})
    const events = byTime([
      ...series(t0, 4 * 60, minute, (ts) => flow(ts, 'hubble-node-a')),
      ...series(t0 + 5000, 3 * 60, minute, (ts) => flow(ts, 'hubble-node-b')),
    ])
    const findings = runDetector(detector, jumble(events, 8))
    expect(findings.map((f) => f.entities.source)).toEqual(['hubble-node-b'])
  })

  it('names pods of one workload as one enforcement point and skips per-instance UUIDs', () => {
    const at = (ep: string) =>
      enforcementPointOf(
        event('decision', { ts: t0, enforcement_point: ep, decision: 'allow' }).event as never,
      )
    expect(at('shop/checkout-7d9f8b6c5-x2x7k')).toBe('shop/checkout-*')
    expect(at('cart-envoy')).toBe('cart-envoy')
    expect(at('6f1c2a4e-58a3-4c1e-9b9f-0c1d2e3f4a5b')).toBeUndefined()
  })

  it('forgets sources silent longer than forget_after, keeping state bounded', () => {
    const detector = instantiate(sourceGapType, { forget_after: '1d' })
    const states = new Map<string, unknown>()
    runDetector(
      detector,
      series(t0, 3 * 24 * 60, minute, (ts, i) =>
        flow(ts, i % 2 === 0 ? 'hubble-node-a' : `batch-${Math.floor(i / 600)}`),
      ),
      states,
    )
    const state = states.get('acme') as SourceGapState
    expect(state.count).toBe(Object.keys(state.sources).length)
    expect(state.count).toBeLessThanOrEqual(5)
  })
})
