import { describe, expect, it } from 'vitest'
import { sloAlerts } from './slo-alerts.ts'
import type { SloDefinition } from './slo-definition.ts'
import { evaluateSlo } from './slo-evaluation.ts'

const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR

const slo: SloDefinition = {
  name: 'auth-success',
  displayName: 'Auth success',
  service: 'identity',
  objective: 0.999,
  window: '30d',
  windowMs: 30 * DAY,
  indicator: { rollup: 'auth', bad: { system_failures: 1 }, total: { attempts: 1 }, declared: 'bad' },
  runbookUrl: 'https://runbooks.palisade.dev/slo/auth-success',
  origin: { source: 'test', document: 1 },
}

const t0 = Date.UTC(2026, 0, 15, 12)

/**
 * A status where every window up to `upTo` burns at `rate`, and longer windows do not burn; the data
 * covers `coveredMs` (default: the whole 30-day window).
 */
function burning(rate: number, upTo: number, at: number, coveredMs = 30 * DAY) {
  const windows = [5 * MIN, 30 * MIN, HOUR, 2 * HOUR, 6 * HOUR, DAY, 3 * DAY, 30 * DAY]
  const sums = windows.map((windowMs) => ({
    windowMs,
    bad: windowMs <= upTo ? rate : 0,
    total: 1000,
    firstMinute: at - Math.min(windowMs, coveredMs),
  }))
  return evaluateSlo(slo, sums, at)
}

describe('sloAlerts', () => {
  it('sends nothing while no tier fires', () => {
    expect(sloAlerts({ tenant: 'acme', slo, status: burning(0.5, 3 * DAY, t0) })).toEqual({
      alerts: [],
      state: undefined,
    })
  })

  it('fires one page alert for the fastest tier, with the tier in annotations and not in labels', () => {
    // 20 bad per 1000 = burn 20: both page tiers fire up to 6h; the alert names the 14.4x one.
    const { alerts, state } = sloAlerts({ tenant: 'acme', slo, status: burning(20, 6 * HOUR, t0) })
    expect(state).toEqual({ severity: 'page', startsAt: t0 })
    expect(alerts).toHaveLength(1)
    expect(alerts[0]).toMatchObject({
      tenant: 'acme',
      status: 'firing',
      starts_at: t0,
      labels: { alertname: 'SLOBurnRate', slo: 'auth-success', service: 'identity', severity: 'page' },
    })
    expect(Object.keys(alerts[0]?.labels ?? {}).sort()).toEqual(['alertname', 'service', 'severity', 'slo'])
    expect(alerts[0]?.annotations).toMatchObject({
      tier: '14.4x over 1h and 5m',
      runbook_url: 'https://runbooks.palisade.dev/slo/auth-success',
      objective: '99.9%',
      budget_remaining: '100%',
      burn_rates: '5m=20.0x 30m=20.0x 1h=20.0x 2h=20.0x 6h=20.0x 24h=0.00x 3d=0.00x',
    })
    expect(alerts[0]?.annotations.summary).toBe(
      'Auth success (identity) burns its error budget 20.0x too fast over 1h (page tier 14.4x over 1h and 5m); 100% of the 30d budget left',
    )
  })

  it('escalates a ticket to a page once its SLO has burned above 2x for 10 minutes, and back when it calms', () => {
    // Burn 2.5 up to 3d: only the 1x ticket tier fires, and the 5m window burns above 2x.
    const first = sloAlerts({ tenant: 'acme', slo, status: burning(2.5, 3 * DAY, t0) })
    expect(first.alerts.map((a) => a.labels.severity)).toEqual(['ticket'])
    expect(first.state).toEqual({ severity: 'ticket', startsAt: t0, burningSince: t0 })
    const nine = sloAlerts({
      tenant: 'acme',
      slo,
      status: burning(2.5, 3 * DAY, t0 + 9 * MIN),
      previous: first.state,
    })
    expect(nine.alerts.map((a) => [a.status, a.labels.severity])).toEqual([['firing', 'ticket']])
    const ten = sloAlerts({
      tenant: 'acme',
      slo,
      status: burning(2.5, 3 * DAY, t0 + 10 * MIN),
      previous: nine.state,
    })
    expect(ten.alerts.map((a) => [a.status, a.labels.severity])).toEqual([
      ['resolved', 'ticket'],
      ['firing', 'page'],
    ])
    expect(ten.alerts[1]?.annotations.summary).toContain(
      'escalated to a page: burning above 2x over 5m for 10 minutes',
    )
    // Below 2x again: the page resolves and the ticket is back.
    const calm = sloAlerts({
      tenant: 'acme',
      slo,
      status: burning(1.5, 3 * DAY, t0 + 12 * MIN),
      previous: ten.state,
    })
    expect(calm.alerts.map((a) => [a.status, a.labels.severity])).toEqual([
      ['resolved', 'page'],
      ['firing', 'ticket'],
    ])
  })

  it('starts counting the 10 minutes again when the burn dips below 2x', () => {
    const first = sloAlerts({ tenant: 'acme', slo, status: burning(2.5, 3 * DAY, t0) })
    const dip = sloAlerts({
      tenant: 'acme',
      slo,
      status: burning(1.5, 3 * DAY, t0 + 5 * MIN),
      previous: first.state,
    })
    expect(dip.state?.burningSince).toBeUndefined()
    const again = sloAlerts({
      tenant: 'acme',
      slo,
      status: burning(2.5, 3 * DAY, t0 + 11 * MIN),
      previous: dip.state,
    })
    expect(again.alerts.map((a) => a.labels.severity)).toEqual(['ticket'])
  })

  it('titles the alert for people, not by its alertname', () => {
    const { alerts } = sloAlerts({ tenant: 'acme', slo, status: burning(37, 6 * HOUR, t0) })
    expect(alerts[0]?.annotations.title).toBe('Auth success burning 37× its budget (identity)')
  })

  it('keeps one incident when a page moves between page tiers: same labels, same starts_at', () => {
    const first = sloAlerts({ tenant: 'acme', slo, status: burning(20, 6 * HOUR, t0) })
    // A minute later only the 6x tier fires (the 1h window has cooled below 14.4).
    const later = sloAlerts({
      tenant: 'acme',
      slo,
      status: burning(10, 6 * HOUR, t0 + MIN),
      previous: first.state,
    })
    expect(later.alerts).toHaveLength(1)
    expect(later.alerts[0]?.labels).toEqual(first.alerts[0]?.labels)
    expect(later.alerts[0]).toMatchObject({ status: 'firing', starts_at: t0 })
    expect(later.alerts[0]?.annotations.tier).toBe('6x over 6h and 30m')
  })

  it('resolves once the SLO stops firing, and then goes quiet', () => {
    const first = sloAlerts({ tenant: 'acme', slo, status: burning(20, 6 * HOUR, t0) })
    const calm = sloAlerts({
      tenant: 'acme',
      slo,
      status: burning(0, 0, t0 + 10 * MIN),
      previous: first.state,
    })
    expect(calm.state).toBeUndefined()
    expect(calm.alerts).toEqual([
      expect.objectContaining({
        status: 'resolved',
        starts_at: t0,
        ends_at: t0 + 10 * MIN,
        labels: first.alerts[0]?.labels,
      }),
    ])
    expect(
      sloAlerts({ tenant: 'acme', slo, status: burning(0, 0, t0 + 11 * MIN), previous: calm.state }).alerts,
    ).toEqual([])
  })

  it('resolves the ticket and fires a page when a ticket escalates', () => {
    // Burn 2 up to 3d: only the 1x ticket tier fires.
    const ticket = sloAlerts({ tenant: 'acme', slo, status: burning(2, 3 * DAY, t0) })
    expect(ticket.alerts.map((a) => [a.status, a.labels.severity])).toEqual([['firing', 'ticket']])
    const page = sloAlerts({
      tenant: 'acme',
      slo,
      status: burning(20, 3 * DAY, t0 + MIN),
      previous: ticket.state,
    })
    expect(page.alerts.map((a) => [a.status, a.labels.severity, a.starts_at])).toEqual([
      ['resolved', 'ticket', t0],
      ['firing', 'page', t0 + MIN],
    ])
    expect(page.state).toEqual({ severity: 'page', startsAt: t0 + MIN })
  })

  it('says when the budget is spent', () => {
    const sums = [
      { windowMs: 5 * MIN, bad: 50, total: 1000 },
      { windowMs: HOUR, bad: 50, total: 1000 },
      { windowMs: 30 * DAY, bad: 50, total: 10_000 },
    ]
    const { alerts } = sloAlerts({ tenant: 'acme', slo, status: evaluateSlo(slo, sums, t0) })
    expect(alerts[0]?.annotations.budget_remaining).toBe('-400%')
    expect(alerts[0]?.annotations.description).toContain('auth rollup, all services')
  })

  it('says when the budget is over the few hours the data covers, not the whole window', () => {
    const { alerts } = sloAlerts({ tenant: 'acme', slo, status: burning(20, HOUR, t0, 8 * HOUR) })
    expect(alerts[0]?.annotations.summary).toMatch(/budget left \(over the 8h the data covers\)$/)
  })
})
