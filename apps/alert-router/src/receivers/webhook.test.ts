import type { Notification } from '@palisade/alerting'
import { describe, expect, it } from 'vitest'
import { webhookBody } from './webhook.ts'

const alert = (service: string) => ({
  tenant: 'acme',
  labels: { alertname: 'decision.denies', severity: 'ticket' as const, service },
  annotations: { summary: `denies up on ${service}` },
  status: 'firing' as const,
  starts_at: Date.UTC(2026, 10, 23, 10, 0),
})

const notification: Notification = {
  tenant: 'acme',
  receiver: 'ticket-webhook',
  dedup_key: 'b'.repeat(64),
  action: 'trigger',
  group_labels: { alertname: 'decision.denies' },
  alertname: 'decision.denies',
  severity: 'ticket',
  summary: 'denies up on sso (+1 more)',
  alerts: [alert('sso'), alert('pdp')],
}

describe('webhookBody', () => {
  it("speaks Alertmanager's webhook format, with Palisade's keys added", () => {
    expect(webhookBody(notification)).toMatchObject({
      version: '4',
      groupKey: 'b'.repeat(64),
      status: 'firing',
      receiver: 'ticket-webhook',
      groupLabels: { alertname: 'decision.denies' },
      commonLabels: { alertname: 'decision.denies', severity: 'ticket' },
      commonAnnotations: {},
      tenant: 'acme',
      dedup_key: 'b'.repeat(64),
      action: 'trigger',
      alerts: [
        { status: 'firing', startsAt: '2026-11-23T10:00:00.000Z', endsAt: '0001-01-01T00:00:00Z' },
        { labels: { service: 'pdp' } },
      ],
    })
  })

  it('reports a resolve as status resolved', () => {
    expect(webhookBody({ ...notification, action: 'resolve' }).status).toBe('resolved')
  })
})
