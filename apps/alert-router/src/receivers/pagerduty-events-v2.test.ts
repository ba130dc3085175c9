import type { Notification } from '@palisade/alerting'
import { describe, expect, it } from 'vitest'
import { pagerDutyEvent } from './pagerduty-events-v2.ts'

const notification: Notification = {
  tenant: 'acme',
  receiver: 'pagerduty',
  dedup_key: 'a'.repeat(64),
  action: 'trigger',
  group_labels: { alertname: 'slo.burn', service: 'pdp' },
  alertname: 'slo.burn',
  severity: 'page',
  summary: 'PDP availability burns its budget 14x',
  alerts: [
    {
      tenant: 'acme',
      labels: { alertname: 'slo.burn', severity: 'page', service: 'pdp' },
      annotations: {
        summary: 'PDP availability burns its budget 14x',
        runbook_url: 'https://runbooks.example/pdp',
      },
      status: 'firing',
      starts_at: Date.UTC(2026, 10, 23, 10, 0),
    },
  ],
}

describe('pagerDutyEvent', () => {
  it('builds a trigger event with the payload fields Events API v2 requires', () => {
    expect(pagerDutyEvent(notification, 'KEY')).toMatchObject({
      routing_key: 'KEY',
      event_action: 'trigger',
      dedup_key: 'a'.repeat(64),
      payload: {
        summary: '[acme] PDP availability burns its budget 14x',
        source: 'pdp',
        severity: 'critical',
        timestamp: '2026-11-23T10:00:00.000Z',
        component: 'pdp',
        group: 'acme',
        class: 'slo.burn',
        custom_details: { tenant: 'acme', firing: 1 },
      },
      links: [{ href: 'https://runbooks.example/pdp', text: 'Runbook: slo.burn' }],
    })
  })

  it('maps ticket to warning and info to info', () => {
    const event = (severity: Notification['severity']) =>
      pagerDutyEvent({ ...notification, severity }, 'KEY').payload as { severity: string }
    expect(event('ticket').severity).toBe('warning')
    expect(event('info').severity).toBe('info')
  })

  it('cuts the summary to 1,024 characters', () => {
    const event = pagerDutyEvent({ ...notification, summary: 'x'.repeat(5000) }, 'KEY')
    expect((event.payload as { summary: string }).summary).toHaveLength(1024)
  })

  it('sends only routing key, action and dedup key to resolve', () => {
    expect(pagerDutyEvent({ ...notification, action: 'resolve' }, 'KEY')).toEqual({
      routing_key: 'KEY',
      event_action: 'resolve',
      dedup_key: 'a'.repeat(64),
    })
  })

  it('sends an acknowledgement with the incident dedup key and nothing else', () => {
    expect(pagerDutyEvent({ ...notification, action: 'acknowledge' }, 'KEY')).toEqual({
      routing_key: 'KEY',
      event_action: 'acknowledge',
      dedup_key: 'a'.repeat(64),
    })
  })

  it('titles the page by the incident title and links back to the incident in the dashboard', () => {
    const event = pagerDutyEvent(
      { ...notification, title: 'Auth success burning 37× its budget (identity)', incident_key: 'k/1' },
      'KEY',
      'https://palisade.example/',
    )
    expect((event.payload as { summary: string }).summary).toBe(
      '[acme] Auth success burning 37× its budget (identity)',
    )
    expect(event.client_url).toBe('https://palisade.example/#/incident/k%2F1')
  })

  it("names each grouped alert's runbook after its own rule", () => {
    const second = {
      ...notification.alerts[0]!,
      labels: { alertname: 'lateral.fan_out_scan', severity: 'page' as const },
      annotations: { summary: 'scan', runbook_url: 'https://runbooks.example/scan' },
    }
    const event = pagerDutyEvent({ ...notification, alerts: [notification.alerts[0]!, second] }, 'KEY')
    expect(event.links).toEqual([
      { href: 'https://runbooks.example/pdp', text: 'Runbook: slo.burn' },
      { href: 'https://runbooks.example/scan', text: 'Runbook: lateral.fan_out_scan' },
    ])
  })
})
