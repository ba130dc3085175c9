import type { Notification } from '@palisade/alerting'
import { describe, expect, it } from 'vitest'
import { opsgenieRequest } from './opsgenie-alerts-v2.ts'
import { slackMessage } from './slack-webhook.ts'

const notification: Notification = {
  tenant: 'acme',
  receiver: 'opsgenie',
  dedup_key: 'a'.repeat(64),
  incident_key: 'a'.repeat(64),
  action: 'trigger',
  group_labels: { alertname: 'SLOBurnRate', service: 'identity' },
  alertname: 'SLOBurnRate',
  severity: 'ticket',
  summary: 'Auth success burns 3x',
  title: 'Auth success burning 3× its budget (identity)',
  alerts: [],
}

describe('opsgenieRequest', () => {
  it('acknowledges by alias, naming who did it', () => {
    expect(
      opsgenieRequest({
        ...notification,
        action: 'acknowledge',
        actor: 'alice',
        summary: 'Acknowledged by alice',
      }),
    ).toEqual({
      path: `/v2/alerts/${'a'.repeat(64)}/acknowledge?identifierType=alias`,
      body: { source: 'Palisade', user: 'alice', note: 'Acknowledged by alice' },
    })
  })

  it('maps a ticket to P3 and keeps the message within 130 characters', () => {
    const { body } = opsgenieRequest({ ...notification, title: 'x'.repeat(400) })
    expect(body.priority).toBe('P3')
    expect((body.message as string).length).toBe(130)
  })
})

describe('slackMessage', () => {
  it('heads a resolve as resolved', () => {
    const message = slackMessage({ ...notification, action: 'resolve' }) as { text: string }
    expect(message.text).toBe('[acme] Resolved: Auth success burning 3× its budget (identity)')
  })
})
