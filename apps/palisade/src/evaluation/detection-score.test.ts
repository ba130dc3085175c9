import type { ScenarioLabel } from '@palisade/scenario-generator'
import type { Finding } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import { pagesOf, scoreDetection, scoreReport } from './detection-score.ts'

const minute = 60_000
const label = (
  id: string,
  rules: string[],
  severity: ScenarioLabel['severity'],
  from: number,
  entity: string,
): ScenarioLabel => ({
  id,
  category: 'lateral',
  rules,
  severity,
  from,
  to: from + 10 * minute,
  entity,
  description: id,
})
const finding = (
  rule: string,
  ts: number,
  entities: Record<string, string>,
  severity: Finding['severity'] = 'page',
): Finding => ({
  finding_id: `${rule}-${ts}`,
  tenant: 'acme',
  ts,
  detected_at: ts,
  rule,
  severity,
  title: rule,
  summary: `${rule} summary`,
  entities,
  evidence: {},
})

describe('detection score', () => {
  const labels = [
    label('scan', ['lateral.fan_out_scan'], 'page', 100 * minute, 'shop/catalog'),
    label('spray', ['identity.password_spray'], 'page', 200 * minute, '203.0.113.9'),
    label('drift', ['policy.drift'], 'ticket', 300 * minute, 'shop/cart'),
    label('vpn', [], 'none', 400 * minute, 'ann@acme.example'),
  ]

  it('groups pages of one incident into one, as the router does', () => {
    const pages = pagesOf(
      [
        finding('lateral.fan_out_scan', 100 * minute, { incident: 'shop/catalog' }),
        finding('risk.identity_score', 101 * minute, { incident: 'shop/catalog' }),
        finding('lateral.new_edge', 102 * minute, { incident: 'shop/catalog' }, 'ticket'),
        finding('lateral.fan_out_scan', 100 * minute + 5 * 3_600_000, { incident: 'shop/catalog' }),
      ],
      4 * 3_600_000,
    )
    expect(pages.map((page) => page.findings.length)).toEqual([2, 1])
  })

  it('scores recall, precision, benign pages and time to detect against the labels', () => {
    const score = scoreDetection(
      [
        // Found 30 s in, by SPIFFE ID: the same workload as the label's namespace/name.
        finding('lateral.fan_out_scan', 100 * minute + 30_000, {
          src_identity: 'spiffe://cluster.local/ns/shop/sa/catalog',
          incident: 'spiffe://cluster.local/ns/shop/sa/catalog',
        }),
        finding('policy.drift', 301 * minute, { src_identity: 'shop/cart', incident: 'shop/cart' }, 'ticket'),
        // A page about the VPN traveller: a benign page.
        finding('identity.impossible_travel', 401 * minute, {
          principal: 'ann@acme.example',
          incident: 'ann@acme.example',
        }),
      ],
      labels,
      { days: 2 },
    )
    expect(score.recall).toBe(0.5)
    expect(score.precision).toBe(0.5)
    expect(score.ticketRecall).toBe(1)
    expect(score.benignPagesPerDay).toBe(0.5)
    expect(score.medianTimeToDetectMs).toBe(30_000)
    const report = scoreReport(score)
    expect(report).toContain('spray')
    expect(report).toContain('MISSED')
    expect(report).toContain('identity.impossible_travel')
  })

  it('counts pages per day, benign days apart, and per rule', () => {
    const dayMs = 86_400_000
    const score = scoreDetection(
      [
        finding('lateral.cross_namespace', 30 * minute, { incident: 'kube-system/coredns' }),
        finding('lateral.cross_namespace', 40 * minute, { incident: 'kube-system/coredns' }),
        finding('lateral.new_edge', 50 * minute, { incident: 'shop/cart' }),
        finding('lateral.fan_out_scan', dayMs + 100 * minute, { incident: 'shop/catalog' }),
      ],
      labels.map((l) => ({ ...l, from: l.from + dayMs, to: l.to + dayMs })),
      { days: 2, start: 0 },
    )
    expect(score.days).toEqual([
      { day: '1970-01-01', benign: true, pages: 2, falsePages: 2 },
      { day: '1970-01-02', benign: false, pages: 1, falsePages: 0 },
    ])
    expect(score.rules[0]).toEqual({
      rule: 'lateral.cross_namespace',
      pages: 1,
      falsePages: 1,
      pageFindings: 2,
      benignDayPages: 1,
      budget: 10,
      busiestHour: 1,
      overBudget: 0,
      overBudgetOnBenignDays: 0,
    })
    const report = scoreReport(score)
    expect(report).toContain('pages per benign day                   2.00 mean, 2 worst over 1 days')
    expect(report).toMatch(/lateral\.cross_namespace\s+1\s+1\s+1\s+2/)
  })

  it('does not credit a finding of the right rule about another entity or another time', () => {
    const score = scoreDetection(
      [
        finding('lateral.fan_out_scan', 100 * minute, { src_identity: 'shop/cart' }),
        finding('lateral.fan_out_scan', 10 * minute, { src_identity: 'shop/catalog' }),
      ],
      labels,
      { days: 1 },
    )
    expect(score.outcomes.find((o) => o.label.id === 'scan')!.paged).toBe(false)
  })

  it('applies the noise budget to pages per rule in event time, and reports rules over it on benign days', () => {
    const start = Date.UTC(2026, 0, 5)
    // A benign day: five new-edge pages (five incidents) within 40 minutes, then one hours later.
    const noisy = [0, 10, 20, 30, 40, 300].map((m, i) =>
      finding('lateral.new_edge', start + m * minute, { incident: `shop/svc-${i}` }),
    )
    const score = scoreDetection(noisy, [], { days: 1, start, noiseBudget: { perHour: 3, rules: {} } })
    expect(score.rules).toEqual([
      expect.objectContaining({
        rule: 'lateral.new_edge',
        pages: 6,
        budget: 3,
        busiestHour: 5,
        overBudget: 2,
        overBudgetOnBenignDays: 2,
      }),
    ])
    const report = scoreReport(score)
    expect(report).toContain('rules above their noise budget on benign days   1 (lateral.new_edge)   aim 0')
    expect(score.days.map((d) => d.benign)).toEqual([true])
  })
})
