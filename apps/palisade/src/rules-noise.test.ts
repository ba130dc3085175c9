import type { Finding } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import { CliUsageError } from './cli-args.ts'
import { createNoiseTally, noiseReportText, parseRulesNoiseArgs } from './rules-noise.ts'

const day1 = Date.UTC(2026, 10, 23, 10)
const h = 3_600_000

function finding(rule: string, ts: number, entities: Record<string, string>): Finding {
  return {
    finding_id: `${rule}-${ts}-${JSON.stringify(entities)}`,
    tenant: 'acme',
    ts,
    detected_at: ts,
    rule,
    severity: 'ticket',
    title: rule,
    summary: rule,
    entities: { ...entities, incident: entities.src_workload ?? '-' },
    evidence: {},
  }
}

describe('palisade rules noise', () => {
  it('counts findings per rule per UTC day, noisiest first, with the busiest hour and the top keys', () => {
    const tally = createNoiseTally({ top: 2 })
    const flood = Array.from({ length: 30 }, (_, i) =>
      finding('lateral.cross_namespace', day1 + (i < 20 ? 0 : h), {
        src_workload: 'kube-system/coredns',
        dst_port: String(59000 + (i % 3)),
      }),
    )
    tally.add(flood)
    tally.add([finding('lateral.new_edge', day1 + 24 * h, { src_workload: 'frontend/web' })])
    const days = tally.days()
    expect(days.map((d) => [d.rule, d.day, d.findings, d.peakHour])).toEqual([
      ['lateral.cross_namespace', '2026-11-23', 30, 20],
      ['lateral.new_edge', '2026-11-24', 1, 1],
    ])
    expect(days[0]!.topKeys).toEqual([
      { key: 'src_workload=kube-system/coredns', count: 30 },
      { key: 'dst_port=59000', count: 10 },
    ])
    const text = noiseReportText(days)
    expect(text).toContain('src_workload=kube-system/coredns (30)')
    expect(text).toContain('31 findings from 2 rule(s) over 2 day(s)')
  })

  it('keeps only the rules with the given prefix', () => {
    const tally = createNoiseTally({ top: 3, rule: 'identity.' })
    tally.add([finding('lateral.new_edge', day1, {}), finding('identity.brute_force', day1, { user: 'a' })])
    expect(tally.days().map((d) => d.rule)).toEqual(['identity.brute_force'])
  })

  it('reads its arguments, defaulting to the last seven days and three keys', () => {
    expect(parseRulesNoiseArgs([])).toMatchObject({ from: 'now-7d', top: 3 })
    expect(parseRulesNoiseArgs(['--from', 'now-30d', '--top', '5', '--rule', 'lateral.'])).toMatchObject({
      from: 'now-30d',
      top: 5,
      rule: 'lateral.',
    })
    expect(() => parseRulesNoiseArgs(['--top', 'x'])).toThrow(CliUsageError)
    expect(() => parseRulesNoiseArgs(['extra'])).toThrow(CliUsageError)
  })
})
