import { describe, expect, it } from 'vitest'
import type { KindedEvent } from '../run-detector.ts'
import { runDetector } from '../run-detector.ts'
import { byTime, day, event, instantiate, minute, series, t0 } from '../testing/detector-run.ts'
import type { SourceGapState } from './source-gap.ts'
import { sourceGapType } from './source-gap.ts'
import { checkSourceSilence, noteArrival, type SourceArrivals } from './source-silence.ts'

const flow = (ts: number, source: string) =>
  event('flow', { ts, source, src_identity: 'shop/web', dst_identity: 'shop/api', dst_port: 8080 })
const decision = (ts: number, ep: string) =>
  event('decision', { ts, source: 'opa', enforcement_point: ep, decision: 'allow' })

const gapParams = sourceGapType.params.parse({ min_samples: 30 })

/**
 * The detector app's two halves on one moved clock: `source_gap` learns cadences from the events,
 * and each event is noted as arriving at `arriveAt(event)` (by default its own time: a live source).
 */
function watch(events: KindedEvent[], arriveAt: (ts: number) => number = (ts) => ts) {
  const detector = instantiate(sourceGapType, { min_samples: 30 })
  const states = new Map<string, unknown>()
  const arrivals: SourceArrivals = { sources: {} }
  const feed = (more: KindedEvent[]) => {
    runDetector(detector, more, states)
    for (const { event: e } of more) noteArrival(arrivals, e, arriveAt(e.ts))
  }
  feed(events)
  return {
    arrivals,
    feed,
    check: (now: number, watchingSince = t0) =>
      checkSourceSilence({
        tenant: 'acme',
        arrivals,
        gap: states.get('acme') as SourceGapState | undefined,
        gapParams,
        now,
        watchingSince,
      }),
  }
}

const hourOfFlows = (source: string, from = t0) => series(from, 60, minute, (ts) => flow(ts, source))

describe('source silence (wall clock)', () => {
  it('pages once a source with a learned cadence has been silent past 8× its gap, and not before', () => {
    const w = watch(byTime([...hourOfFlows('hubble-node-a'), ...hourOfFlows('hubble-node-b')]))
    const last = t0 + 59 * minute
    expect(w.check(last + 7 * minute).opened).toEqual([])
    const paged = w.check(last + 9 * minute)
    expect(paged.opened.map((f) => [f.rule, f.severity, f.entities])).toEqual([
      ['telemetry.source_silent', 'page', { source: 'hubble-node-a' }],
      ['telemetry.source_silent', 'page', { source: 'hubble-node-b' }],
    ])
    expect(paged.opened[0]!.summary).toContain(
      'source hubble-node-a has sent nothing since 2026-01-05T10:59:00.000Z (wall clock): 9 min so far',
    )
    expect(paged.opened[0]!.evidence).toMatchObject({
      threshold_ms: 8 * minute,
      runbook_url: 'https://runbooks.palisade.example/telemetry/source-silent',
    })
  })

  it('pages when every source stops, with no event to move event time on', () => {
    const w = watch(hourOfFlows('hubble-node-a'))
    // source_gap alone stays quiet: no other source reports, and no event arrives to sweep.
    expect(w.check(t0 + 3 * 60 * minute).opened.map((f) => f.entities.source)).toEqual(['hubble-node-a'])
  })

  it('re-sends an ongoing silence without opening it again, and ends it when the source is back', () => {
    const w = watch(hourOfFlows('hubble-node-a'))
    const opened = w.check(t0 + 70 * minute).opened
    expect(opened).toHaveLength(1)
    const again = w.check(t0 + 71 * minute)
    expect(again.opened).toEqual([])
    expect(again.ongoing.map((f) => f.finding_id)).toEqual([opened[0]!.finding_id])
    w.feed([flow(t0 + 80 * minute, 'hubble-node-a')])
    const back = w.check(t0 + 80 * minute + 10_000)
    expect(back.ongoing).toEqual([])
    expect(back.ended.map((f) => [f.finding_id, f.entities.source])).toEqual([
      [opened[0]!.finding_id, 'hubble-node-a'],
    ])
    expect(back.ended[0]!.summary).toContain('is reporting again since 2026-01-05T11:20:00.000Z after 21 min')
    // Re-armed: a later silence pages anew, under a new id (after source_gap's unlearned_min_gap of
    // an hour: the source has never reported in this hour of day).
    expect(w.check(t0 + 139 * minute).opened).toEqual([])
    const later = w.check(t0 + 141 * minute).opened
    expect(later).toHaveLength(1)
    expect(later[0]!.finding_id).not.toBe(opened[0]!.finding_id)
  })

  it('does not page for a replay of old data, however long ago it ended', () => {
    // Last week's records arriving now, a second of wall clock per minute of event time.
    const replayStart = t0 + 7 * day
    const w = watch(hourOfFlows('hubble-node-a'), (ts) => replayStart + (ts - t0) / 60)
    expect(w.arrivals.sources).toEqual({})
    expect(w.check(replayStart + 2 * 60 * minute).opened).toEqual([])
  })

  it('does not page for a source whose cadence is not learned yet', () => {
    const w = watch(series(t0, 20, minute, (ts) => flow(ts, 'new-node')))
    expect(w.check(t0 + 3 * 60 * minute).ongoing).toEqual([])
  })

  it('counts silence from when this process began watching, so a restart is no outage', () => {
    const w = watch(hourOfFlows('hubble-node-a'))
    const restartedAt = t0 + 2 * 60 * minute
    expect(w.check(restartedAt + 5 * minute, restartedAt).opened).toEqual([])
    expect(w.check(restartedAt + 9 * minute, restartedAt).opened).toHaveLength(1)
  })

  it('pages a silent enforcement point while its source reports, and only the source when all of it stops', () => {
    const both = byTime([
      ...series(t0, 120, minute, (ts) => decision(ts, 'checkout-envoy')),
      ...series(t0 + 10_000, 60, minute, (ts) => decision(ts, 'cart-envoy')),
    ])
    const w = watch(both)
    expect(w.check(t0 + 110 * minute).opened.map((f) => f.entities)).toEqual([
      { source: 'opa', enforcement_point: 'cart-envoy' },
    ])
    const all = watch(
      byTime([
        ...series(t0, 60, minute, (ts) => decision(ts, 'checkout-envoy')),
        ...series(t0 + 10_000, 60, minute, (ts) => decision(ts, 'cart-envoy')),
      ]),
    )
    expect(all.check(t0 + 80 * minute).opened.map((f) => f.entities)).toEqual([{ source: 'opa' }])
  })
})
