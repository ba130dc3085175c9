import { describe, expect, it } from 'vitest'
import type { KindedEvent } from '../run-detector.ts'
import { flow, hour, instantiate, jumble, run, t0 } from '../testing/detector-run.ts'
import { intentWith } from '../testing/intent-with.ts'
import { type FanOutScanState, fanOutScanType } from './fan-out-scan.ts'

const catalog = 'shop/catalog'

/** `count` attempts from `src`, `every` ms apart, to 10.1.x.y on ports 22/80/443/5432, 90% dropped. */
function scan(src: string, start: number, count: number, every = 4_000): KindedEvent[] {
  const ports = [22, 80, 443, 5432]
  return Array.from({ length: count }, (_, i) =>
    flow({
      ts: start + i * every,
      src_identity: src,
      dst_ip: `10.1.${Math.floor(i / 200)}.${(i % 200) + 1}`,
      dst_port: ports[i % ports.length],
      verdict: i % 10 === 9 ? 'allowed' : 'dropped',
    }),
  )
}

/** Normal work: `src` calling a few peers, allowed. */
function usual(src: string, start: number, minutes: number, peers = ['shop/cart', 'shop/db', 'shop/cache']) {
  return Array.from({ length: minutes * 2 }, (_, i) =>
    flow({
      ts: start + i * 30_000,
      src_identity: src,
      dst_identity: peers[i % peers.length],
      dst_port: 8080,
    }),
  )
}

describe('fan_out_scan', () => {
  it('fires once for a scan of 40 internal addresses in 3 min, most dropped, with counts, share, samples and baseline', () => {
    const detector = instantiate(fanOutScanType, {}, { severity: 'page' })
    const findings = run(detector, [...usual(catalog, t0, 60), ...scan(catalog, t0 + hour, 45)])
    expect(findings).toHaveLength(1)
    const [finding] = findings
    expect(finding!.entities).toMatchObject({ src_identity: catalog, src_workload: catalog })
    expect(finding!.evidence).toMatchObject({
      distinct_ports: 5,
      baseline_max_destinations: 3,
      baseline_max_ports: 1,
    })
    expect(finding!.evidence.distinct_destinations).toBeGreaterThanOrEqual(20)
    expect(finding!.evidence.failed_share).toBeGreaterThanOrEqual(0.75)
    expect((finding!.evidence.event_ids as string[]).length).toBe(finding!.evidence.failed_attempts)
    expect(finding!.summary).toMatch(
      /^shop\/catalog tried 2\d distinct destinations on 5 distinct ports within 5 min: \d+ of its \d+ targets \(\d+%\) failed/,
    )
    expect(finding!.summary).toContain('failed attempts between 2026-01-05 11:00:00Z and 2026-01-05 11:01:')
    expect(finding!.summary).toContain('e.g. 10.1.0.1:22, 10.1.0.2:80')
    expect(finding!.summary).toContain('its usual fan-out is at most 3 destinations and 1 port per 5 min')
    expect(finding!.summary).toContain(
      'Threshold: 25 distinct targets, or 20 distinct destinations or ports with more than 50% failing',
    )
  })

  it('says so when it has learned no usual fan-out yet', () => {
    const [finding] = run(instantiate(fanOutScanType, {}, { severity: 'page' }), scan(catalog, t0, 45))
    expect(finding!.summary).toContain('no usual fan-out learned for it yet')
  })

  it('does not fire for a wide fan-out that succeeds (a gateway calling its 30 backends)', () => {
    const events = Array.from({ length: 120 }, (_, i) =>
      flow({
        ts: t0 + i * 2_000,
        src_identity: 'shop/gateway',
        dst_identity: `shop/svc-${i % 30}`,
        dst_port: 8080,
      }),
    )
    expect(run(instantiate(fanOutScanType, {}, { severity: 'page' }), events)).toEqual([])
  })

  it('ignores monitoring workloads and declared known drops', () => {
    const intent = intentWith({
      isMonitoring: (w) => w.namespace === 'monitoring',
      isKnownDrop: (src, _dst, port) => src?.name === 'blackbox' && port === 9999,
    })
    const detector = instantiate(fanOutScanType, {}, { intent: intent, severity: 'page' })
    const prometheus = scan('monitoring/prometheus', t0, 60)
    const blackbox = Array.from({ length: 60 }, (_, i) =>
      flow({
        ts: t0 + i * 1000,
        src_identity: 'shop/blackbox',
        dst_identity: `shop/svc-${i}`,
        dst_port: 9999,
        verdict: 'dropped',
      }),
    )
    expect(run(detector, [...prometheus, ...blackbox])).toEqual([])
  })

  it('tolerates events a few minutes out of order', () => {
    const detector = instantiate(fanOutScanType, {}, { severity: 'page' })
    const events = jumble([...usual(catalog, t0, 60), ...scan(catalog, t0 + hour, 45)], 30)
    expect(run(detector, events)).toHaveLength(1)
  })

  it('fires once for a long scan, re-arms once the window clears, fires again for the next scan', () => {
    const detector = instantiate(fanOutScanType, {}, { severity: 'page' })
    const events = [
      ...scan(catalog, t0, 400, 3_000),
      ...usual(catalog, t0 + hour, 30),
      ...scan(catalog, t0 + 2 * hour, 45),
    ]
    const findings = run(detector, events)
    expect(findings.map((f) => f.ts)).toEqual([expect.any(Number), expect.any(Number)])
    expect(findings[1]!.ts).toBeGreaterThan(t0 + 2 * hour)
    expect(findings[0]!.finding_id).not.toBe(findings[1]!.finding_id)
  })

  it('keeps its state bounded under 100k distinct destinations', () => {
    const detector = instantiate(fanOutScanType, {}, { severity: 'page' })
    const states = new Map<string, unknown>()
    const events = Array.from({ length: 100_000 }, (_, i) =>
      flow({
        ts: t0 + i * 10,
        src_identity: catalog,
        dst_ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        dst_port: 1 + (i % 1000),
        verdict: 'dropped',
      }),
    )
    const findings = run(detector, events, states)
    expect(findings).toHaveLength(1)
    const state = states.get(`acme/${catalog}`) as FanOutScanState
    expect(Object.keys(state.targets).length).toBeLessThanOrEqual(5000)
    expect(Object.keys(state.destinations).length).toBeLessThanOrEqual(5000)
    expect(state.overflow).toBeGreaterThan(0)
    // A window later, with the source quiet, a flow sweeps it all away.
    run(
      detector,
      [flow({ ts: t0 + 2 * hour, src_identity: catalog, dst_identity: 'shop/db', dst_port: 5432 })],
      states,
    )
    expect(state.targetCount).toBe(1)
    expect(Object.keys(state.targets)).toEqual(['shop/db|5432'])
  })

  it('counts a workload once whether Envoy (SPIFFE) or Hubble names it', () => {
    const detector = instantiate(fanOutScanType, {}, { severity: 'page' })
    const events = Array.from({ length: 30 }, (_, i) => [
      flow({
        ts: t0 + i * 1000,
        src_identity: catalog,
        dst_identity: `shop/svc-${i % 15}`,
        dst_port: 8080,
        verdict: 'denied',
      }),
      flow({
        ts: t0 + i * 1000,
        src_identity: 'spiffe://cluster.local/ns/shop/sa/catalog',
        dst_identity: `spiffe://cluster.local/ns/shop/sa/svc-${i % 15}`,
        dst_port: 8080,
        verdict: 'denied',
      }),
    ]).flat()
    expect(run(detector, events)).toEqual([]) // 15 distinct, not 30
  })
})
