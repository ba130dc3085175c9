import { createInProcessBus, topics } from '@palisade/bus'
import type { Alert, Finding } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import { subscribeAlertRouter } from './bus-subscription.ts'

const finding: Finding = {
  finding_id: 'f-1',
  tenant: 'acme',
  ts: 1_700_000_000_000,
  detected_at: 1_700_000_000_500,
  rule: 'lateral.new_edge',
  severity: 'page',
  title: 'New service edge',
  summary: 'web talked to db for the first time',
  entities: { src_identity: 'web', dst_identity: 'db', service: 'db' },
  evidence: {},
}

const sloAlert: Alert = {
  tenant: 'acme',
  labels: { alertname: 'slo.availability_burn', severity: 'ticket', service: 'pdp' },
  annotations: { summary: 'burning 3x over 24h' },
  status: 'firing',
  starts_at: 1_700_000_000_000,
}

describe('subscribeAlertRouter', () => {
  it('hands findings of both findings topics (as alerts) and alerts from the bus to the router', async () => {
    const bus = createInProcessBus()
    const received: Alert[] = []
    const subscription = await subscribeAlertRouter(bus, {
      receive: async (alerts) => void received.push(...alerts),
    })
    await bus.publish(topics.findings, [{ key: 'acme/lateral.new_edge', value: finding }])
    const risk = { ...finding, finding_id: 'f-2', rule: 'risk.identity_score' }
    await bus.publish(topics.riskFindings, [{ key: 'acme/web', value: risk }])
    await bus.publish(topics.alerts, [{ key: 'acme/slo', value: sloAlert }])
    await subscription.close()
    await bus.close()
    expect(received).toEqual([
      expect.objectContaining({
        finding_id: 'f-1',
        labels: expect.objectContaining({ alertname: 'lateral.new_edge' }),
      }),
      expect.objectContaining({
        finding_id: 'f-2',
        labels: expect.objectContaining({ alertname: 'risk.identity_score' }),
      }),
      sloAlert,
    ])
  })
})
