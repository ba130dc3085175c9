import type { Finding } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import {
  findingNamesLabel,
  namesInFinding,
  notificationsOf,
  scoreByEntityAndTime,
} from './entity-time-score.ts'
import type { IndependentLabel } from './scenario-label.ts'

const day = Date.UTC(2026, 2, 3)
const hour = 3_600_000

const label = (overrides: Partial<IndependentLabel>): IndependentLabel => ({
  id: 'lateral.x',
  kind: 'incident',
  expect: 'page',
  from: day + 2 * 86_400_000 + 14 * hour,
  to: day + 2 * 86_400_000 + 14 * hour + 10 * 60_000,
  entities: ['frontend/web', '10.42.1.13', 'spiffe://cluster.local/ns/frontend/sa/web'],
  description: '',
  records: '',
  ...overrides,
})

let next = 0
const finding = (
  ts: number,
  entities: Record<string, string>,
  rule = 'some.rule',
  severity: Finding['severity'] = 'page',
): Finding => ({
  finding_id: `f${next++}`,
  tenant: 'northwind',
  ts,
  detected_at: ts,
  rule,
  severity,
  title: 't',
  summary: 's',
  entities,
  evidence: {},
})

describe('entity and time scoring', () => {
  it('reads names the way records write them: ports dropped, SPIFFE IDs as namespace/account, lists split', () => {
    const names = namesInFinding(
      finding(0, {
        dst: '10.42.1.13:5432',
        src: 'spiffe://cluster.local/ns/shop/sa/cart',
        users: 'a@x.example, b@x.example',
      }),
    )
    expect(names).toContain('10.42.1.13')
    expect(names).toContain('shop/cart')
    expect(names).toContain('b@x.example')
  })

  it('matches a finding naming an entity inside the window (end + 15 min), not before it nor after the grace', () => {
    const incident = label({})
    expect(findingNamesLabel(finding(incident.from + 1000, { src_workload: 'frontend/web' }), incident)).toBe(
      true,
    )
    expect(
      findingNamesLabel(finding(incident.to + 14 * 60_000, { src_ip: '10.42.1.13:41234' }), incident),
    ).toBe(true)
    expect(findingNamesLabel(finding(incident.from - 1000, { src_workload: 'frontend/web' }), incident)).toBe(
      false,
    )
    expect(
      findingNamesLabel(finding(incident.to + 16 * 60_000, { src_workload: 'frontend/web' }), incident),
    ).toBe(false)
    expect(findingNamesLabel(finding(incident.from + 1000, { src_workload: 'frontend/bff' }), incident)).toBe(
      false,
    )
  })

  it('groups page findings per incident key for the repeat interval, as the router does', () => {
    const pages = notificationsOf([
      finding(day, { incident: 'a' }),
      finding(day + hour, { incident: 'a' }),
      finding(day + 5 * hour, { incident: 'a' }),
      finding(day + hour, { incident: 'b' }, 'r', 'ticket'),
    ])
    expect(pages.map((page) => page.findings.length)).toEqual([2, 1])
  })

  it('counts recall, precision, confounder pages, benign-day pages and time to detect without rule names', () => {
    const incident = label({})
    const confounder = label({
      id: 'benign.y',
      kind: 'confounder',
      expect: 'none',
      entities: ['shop/reviews'],
    })
    const findings = [
      finding(incident.from + 30_000, { src_workload: 'frontend/web', incident: 'i1' }, 'whatever.rule'),
      finding(confounder.from + 60_000, { src_workload: 'shop/reviews', incident: 'i2' }),
      finding(day + 3 * hour, { src_workload: 'kube-system/coredns', incident: 'i3' }),
    ]
    const score = scoreByEntityAndTime(findings, [incident, confounder], { start: day, days: 3 })
    expect(score.recall).toBe(1)
    expect(score.precision).toBeCloseTo(1 / 3)
    expect(score.confounderPages).toHaveLength(1)
    expect(score.benignDayPages).toBe(1)
    expect(score.medianTimeToDetectMs).toBe(30_000)
    expect(score.days.map((d) => d.benign)).toEqual([true, true, false])
    expect(score.rules.find((rule) => rule.rule === 'whatever.rule')).toMatchObject({
      pages: 1,
      falsePages: 0,
    })
  })

  it('judges a delivered notification by any finding it carries', () => {
    const incident = label({})
    const carried = [
      finding(incident.from - hour, { src_workload: 'frontend/bff' }),
      finding(incident.from + 5_000, { pod: '10.42.1.13' }),
    ]
    const score = scoreByEntityAndTime(carried, [incident], {
      start: day,
      days: 3,
      pages: [{ key: 'k', ts: carried[0]!.ts, findings: carried }],
    })
    expect(score.recall).toBe(1)
    expect(score.medianTimeToDetectMs).toBe(5_000)
  })
})
