import { describe, expect, it } from 'vitest'
import { alertFromAlertmanager } from './alertmanager-api.ts'
import { AlertmanagerRequestInvalidError } from './errors.ts'

const now = Date.parse('2026-12-07T12:00:00Z')

describe('alertFromAlertmanager', () => {
  it('takes the body Prometheus sends, mapping its severity and keeping the word it used', () => {
    const alert = alertFromAlertmanager(
      {
        labels: { alertname: 'HighErrorRate', severity: 'critical', service: 'pdp' },
        annotations: { summary: 'errors' },
        startsAt: '2026-12-07T11:58:00Z',
        endsAt: '2026-12-07T12:04:00Z',
        generatorURL: 'http://prometheus/graph?g0.expr=up',
      },
      'acme',
      now,
    )
    expect(alert).toEqual({
      tenant: 'acme',
      labels: { alertname: 'HighErrorRate', severity: 'page', source_severity: 'critical', service: 'pdp' },
      annotations: { summary: 'errors', generator_url: 'http://prometheus/graph?g0.expr=up' },
      status: 'firing',
      starts_at: Date.parse('2026-12-07T11:58:00Z'),
      ends_at: Date.parse('2026-12-07T12:04:00Z'),
    })
  })

  it('resolves an alert whose endsAt is now or past', () => {
    const alert = alertFromAlertmanager(
      {
        labels: { alertname: 'A', severity: 'warning' },
        startsAt: '2026-12-07T11:00:00Z',
        endsAt: '2026-12-07T12:00:00Z',
      },
      'acme',
      now,
    )
    expect(alert).toMatchObject({ status: 'resolved', ends_at: now, labels: { severity: 'ticket' } })
  })

  it("treats Go's zero time as unset, and an unknown or absent severity as info", () => {
    const alert = alertFromAlertmanager(
      { labels: { alertname: 'A' }, startsAt: '0001-01-01T00:00:00Z', endsAt: '0001-01-01T00:00:00Z' },
      'acme',
      now,
    )
    expect(alert).toMatchObject({ status: 'firing', starts_at: now, labels: { severity: 'info' } })
    expect(
      alertFromAlertmanager({ labels: { alertname: 'A', severity: 'sev2' } }, 'acme', now).labels,
    ).toEqual({
      alertname: 'A',
      severity: 'info',
      source_severity: 'sev2',
    })
  })

  it("keeps the token's tenant: a sender's tenant label is renamed, never obeyed", () => {
    const alert = alertFromAlertmanager({ labels: { alertname: 'A', tenant: 'victim' } }, 'acme', now)
    expect(alert.tenant).toBe('acme')
    expect(alert.labels).toMatchObject({ exported_tenant: 'victim' })
    expect(alert.labels).not.toHaveProperty('tenant')
  })

  it.each([
    [{ labels: {} }, /at least one label pair/],
    [{ labels: { '0bad': 'x' } }, /invalid label name/],
    [{ labels: { a: '' } }, /empty value/],
    [{ labels: { a: 1 } }, /labels\.a must be a string/],
    [{ labels: { a: 'b' }, startsAt: 'yesterday' }, /startsAt must be an RFC 3339 time/],
    [
      { labels: { a: 'b' }, startsAt: '2026-12-07T12:00:00Z', endsAt: '2026-12-07T11:00:00Z' },
      /before end time/,
    ],
    ['not an object', /must be an object/],
  ])('refuses %j with the reason', (raw, reason) => {
    expect(() => alertFromAlertmanager(raw, 'acme', now)).toThrow(AlertmanagerRequestInvalidError)
    expect(() => alertFromAlertmanager(raw, 'acme', now)).toThrow(reason)
  })
})
