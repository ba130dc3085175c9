import { describe, expect, it } from 'vitest'
import type { KindedEvent } from '../run-detector.ts'
import { day, flow, hour, instantiate, jumble, minute, run, t0 } from '../testing/detector-run.ts'
import { intentWith } from '../testing/intent-with.ts'
import { type ExfiltrationVolumeState, exfiltrationVolumeType } from './exfiltration-volume.ts'

const etl = 'analytics/analytics-etl'
const MB = 1_000_000
const intent = intentWith({
  declaredEgress: ({ ip }) =>
    ip === '198.51.100.20' ? { declared: true, by: 'PalisadeIntent/perimeter' } : { declared: false },
})

/** The usual: a 4 MB report to the declared destination every night at 02:00, for `days` days from `start`. */
function usual(start: number, days: number): KindedEvent[] {
  return Array.from({ length: days }, (_, d) =>
    flow({
      ts: start + d * day + 2 * hour,
      src_identity: etl,
      dst_ip: '198.51.100.20',
      dst_port: 443,
      bytes_sent: 4 * MB,
    }),
  )
}

/** An upload of `total` bytes to `ip` over 30 min, in 60 flows. */
function upload(start: number, total: number, ip = '203.0.113.66'): KindedEvent[] {
  return Array.from({ length: 60 }, (_, i) =>
    flow({
      ts: start + i * 30_000,
      src_identity: etl,
      dst_ip: ip,
      dst_port: 443,
      bytes_sent: Math.round(total / 60),
    }),
  )
}

const start = t0 - 10 * hour // 2026-01-05 00:00Z

describe('exfiltration_volume', () => {
  it('pages for 2 GB sent out in 30 min against a baseline of a few MB, naming destinations declared or not', () => {
    const findings = run(instantiate(exfiltrationVolumeType, {}, { intent: intent, severity: 'page' }), [
      ...usual(start, 5),
      ...upload(start + 5 * day + 14 * hour, 2000 * MB),
      flow({
        ts: start + 5 * day + 14 * hour + 20 * minute,
        src_identity: etl,
        dst_ip: '198.51.100.20',
        dst_port: 443,
        bytes_sent: 3 * MB,
      }),
    ])
    expect(findings).toHaveLength(1)
    const [finding] = findings
    expect(finding!.entities).toMatchObject({ src_identity: etl, src_workload: etl, dst_ip: '203.0.113.66' })
    expect(finding!.evidence.baseline_bytes).toBeGreaterThan(3 * MB)
    expect(finding!.evidence.baseline_bytes).toBeLessThan(4 * MB)
    expect(finding!.evidence).toMatchObject({ threshold_bytes: 500 * MB, windows_learned: 5 })
    expect(finding!.summary).toMatch(
      /^analytics\/analytics-etl sent 5\d\d\.\d MB to external destinations between 2026-01-10 14:00:00Z and 2026-01-10 14:0\d:\d\dZ \(window 30 min\)/,
    )
    expect(finding!.summary).toContain('its baseline is 3.')
    expect(finding!.summary).toContain('MB per 30 min (the most it sent in one window, decaying)')
    expect(finding!.summary).toContain('threshold 500.0 MB (10× baseline, at least 500.0 MB)')
    expect(finding!.summary).toContain('Top destinations: 203.0.113.66:443 5')
    expect(finding!.summary).toContain('(not declared)')
  })

  it('reports the declared destination as declared', () => {
    const [finding] = run(instantiate(exfiltrationVolumeType, {}, { intent: intent, severity: 'page' }), [
      ...usual(start, 2),
      ...upload(start + 2 * day + 14 * hour, 2000 * MB, '198.51.100.20'),
    ])
    expect(finding!.summary).toContain('198.51.100.20:443 5')
    expect(finding!.summary).toContain('(declared by PalisadeIntent/perimeter)')
  })

  it('stays quiet below the floor, while learning, and for a workload whose usual uploads are large', () => {
    const detector = () => instantiate(exfiltrationVolumeType, {}, { intent: intent, severity: 'page' })
    expect(run(detector(), [...usual(start, 3), ...upload(start + 3 * day + 14 * hour, 400 * MB)])).toEqual(
      [],
    )
    expect(run(detector(), upload(start + 14 * hour, 2000 * MB))).toEqual([])
    const backups = Array.from({ length: 3 }, (_, d) => upload(start + d * day + hour, 1500 * MB)).flat()
    expect(run(detector(), [...backups, ...upload(start + 3 * day + 14 * hour, 2000 * MB)])).toEqual([])
  })

  it('pages on the first upload past the new-destination floor to an undeclared address never used before', () => {
    const detector = instantiate(
      exfiltrationVolumeType,
      { min_bytes_new_destination: 50 * MB },
      { intent: intent, severity: 'page' },
    )
    const at = start + 5 * day + 14 * hour
    const findings = run(detector, [
      ...usual(start, 5),
      flow({ ts: at, src_identity: etl, dst_ip: '185.220.101.47', dst_port: 443, bytes_sent: 100 * MB }),
      flow({
        ts: at + 85_000,
        src_identity: etl,
        dst_ip: '185.220.101.47',
        dst_port: 443,
        bytes_sent: 100 * MB,
      }),
    ])
    expect(findings).toHaveLength(1)
    expect(findings[0]!.ts).toBe(at)
    expect(findings[0]!.evidence).toMatchObject({
      bytes_to_new_undeclared: 100 * MB,
      crossed: 'new_undeclared_destination',
      threshold_bytes: 50 * MB,
    })
  })

  it('does not use the new-destination floor for declared, already known or learning-period destinations', () => {
    const detector = instantiate(
      exfiltrationVolumeType,
      { min_bytes_new_destination: 50 * MB },
      { intent: intent, severity: 'page' },
    )
    const at = start + 5 * day + 14 * hour
    const findings = run(detector, [
      ...usual(start, 5),
      // First used while learning, then 100 MB days later: known.
      flow({ ts: start + hour, src_identity: etl, dst_ip: '203.0.113.9', dst_port: 443, bytes_sent: 1000 }),
      flow({ ts: at, src_identity: etl, dst_ip: '203.0.113.9', dst_port: 443, bytes_sent: 100 * MB }),
      // Declared, never used before.
      flow({
        ts: at + 2 * hour,
        src_identity: etl,
        dst_ip: '198.51.100.20',
        dst_port: 443,
        bytes_sent: 100 * MB,
      }),
    ])
    expect(findings).toEqual([])
  })

  it('ignores internal and reply traffic', () => {
    const events = [
      ...usual(start, 2),
      ...upload(start + 2 * day + 14 * hour, 2000 * MB, '10.20.0.5'),
      ...Array.from({ length: 60 }, (_, i) =>
        flow({
          ts: start + 2 * day + 15 * hour + i * 1000,
          src_identity: etl,
          src_port: 443,
          dst_ip: '203.0.113.5',
          dst_port: 50000,
          // As the format decided it: the workload's HTTPS server answering an internet client.
          is_reply: true,
          server_port: 443,
          bytes_sent: 50 * MB,
        }),
      ),
    ]
    expect(
      run(instantiate(exfiltrationVolumeType, {}, { intent: intent, severity: 'page' }), events),
    ).toEqual([])
  })

  it('fires once per upload, re-arms when the window falls quiet, and tolerates events out of order', () => {
    const events = jumble(
      [
        ...usual(start, 2),
        ...upload(start + 2 * day + 14 * hour, 2000 * MB),
        ...upload(start + 2 * day + 14 * hour + 30 * minute, 2000 * MB),
        ...upload(start + 2 * day + 20 * hour, 2000 * MB, '203.0.113.99'),
      ],
      6,
    )
    const findings = run(
      instantiate(exfiltrationVolumeType, {}, { intent: intent, severity: 'page' }),
      events,
    )
    expect(findings.map((f) => f.entities.dst_ip)).toEqual(['203.0.113.66', '203.0.113.99'])
  })

  it('keeps its state bounded under 100k distinct external addresses', () => {
    const states = new Map<string, unknown>()
    const events = Array.from({ length: 100_000 }, (_, i) =>
      flow({
        ts: start + i * 100,
        src_identity: etl,
        dst_ip: `203.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        dst_port: 443,
        bytes_sent: 1000,
      }),
    )
    run(instantiate(exfiltrationVolumeType, {}, { severity: 'page' }), events, states)
    const state = states.get(`acme/${etl}`) as ExfiltrationVolumeState
    expect(state.buckets.length).toBeLessThanOrEqual(11)
    for (const bucket of state.buckets)
      expect(Object.keys(bucket.destinations).length).toBeLessThanOrEqual(16)
  })
})
