import type { Alert } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import { dedupKey } from './dedup-key.ts'
import { createNotificationPlanner, type Notification, type NotifiedBefore } from './notification-planner.ts'
import { parseRoutingConfig } from './routing-config.ts'

const routing = parseRoutingConfig(`
global: { stale_after: 1h }
route:
  receiver: tickets
  group_by: [alertname, service]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
  routes:
    - matchers: ['severity="page"']
      receiver: pager
    - matchers: ['severity="ticket"', 'service="batch"']
      receiver: tickets
      mute_time_intervals: [maintenance]
    - matchers: ['severity="info"']
      receiver: 'null'
receivers: [{ name: pager, pagerduty: {} }, { name: tickets, webhook: {} }, { name: 'null' }]
inhibit_rules:
  - { source_matchers: ['severity="page"', 'service!=""'], target_matchers: ['severity="ticket"'], equal: [service] }
time_intervals:
  - name: maintenance
    time_intervals: [{ times: [{ start_time: '02:00', end_time: '04:00' }] }]
silences:
  - { matchers: ['service="legacy"'], starts_at: '2026-11-23T00:00:00Z', ends_at: '2026-11-24T00:00:00Z' }
`)

const T0 = Date.UTC(2026, 10, 23, 10, 0)
const s = 1000
const m = 60 * s

function alert(labels: Record<string, string>, extra: Partial<Alert> = {}): Alert {
  return {
    tenant: 'acme',
    labels: { alertname: 'slo.burn', severity: 'page', service: 'pdp', ...labels } as Alert['labels'],
    annotations: { summary: `burning on ${labels.service ?? 'pdp'}` },
    status: 'firing',
    starts_at: T0,
    ...extra,
  }
}

const brief = (notifications: Notification[]) =>
  notifications.map((n) => ({ receiver: n.receiver, action: n.action, alerts: n.alerts.length }))

describe('notification planner', () => {
  it('waits group_wait before the first notification of a new group', () => {
    const planner = createNotificationPlanner({ routing })
    planner.receive([alert({})], T0)
    expect(planner.due(T0 + 29 * s)).toEqual([])
    const [page] = planner.due(T0 + 30 * s)
    expect(page).toMatchObject({
      tenant: 'acme',
      receiver: 'pager',
      action: 'trigger',
      severity: 'page',
      alertname: 'slo.burn',
      group_labels: { alertname: 'slo.burn', service: 'pdp' },
      dedup_key: dedupKey('acme', { alertname: 'slo.burn', service: 'pdp' }),
      summary: 'burning on pdp',
    })
  })

  it('collects the siblings that arrive during group_wait into one notification', () => {
    const planner = createNotificationPlanner({ routing })
    planner.receive([alert({ slo: 'availability' })], T0)
    planner.receive([alert({ slo: 'latency' })], T0 + 10 * s)
    const notifications = planner.due(T0 + 30 * s)
    expect(brief(notifications)).toEqual([{ receiver: 'pager', action: 'trigger', alerts: 2 }])
    expect(notifications[0]?.summary).toBe('burning on pdp (+1 more)')
  })

  it('triggers once while the same alert is re-sent every minute', () => {
    const planner = createNotificationPlanner({ routing })
    const sent: Notification[] = []
    for (let minute = 0; minute < 60; minute++) {
      planner.receive([alert({})], T0 + minute * m)
      sent.push(...planner.due(T0 + minute * m + 30 * s))
    }
    expect(brief(sent)).toEqual([{ receiver: 'pager', action: 'trigger', alerts: 1 }])
    expect(planner.activeIncidents()).toBe(1)
  })

  it('notifies a new alert in a notified group at the next group_interval, with the same key', () => {
    const planner = createNotificationPlanner({ routing })
    planner.receive([alert({ slo: 'availability' })], T0)
    const [first] = planner.due(T0 + 30 * s)
    planner.receive([alert({ slo: 'latency' })], T0 + 1 * m)
    expect(planner.due(T0 + 2 * m)).toEqual([])
    const [update] = planner.due(T0 + 30 * s + 5 * m)
    expect(update).toMatchObject({ action: 'trigger', dedup_key: first?.dedup_key })
    expect(update?.alerts).toHaveLength(2)
  })

  it('repeats a still-firing trigger after repeat_interval', () => {
    const planner = createNotificationPlanner({ routing })
    const sent: Notification[] = []
    for (let minute = 0; minute <= 5 * 60; minute += 1) {
      planner.receive([alert({})], T0 + minute * m)
      sent.push(...planner.due(T0 + minute * m + 30 * s))
    }
    expect(sent.map((n) => n.action)).toEqual(['trigger', 'trigger'])
  })

  it('resolves with the same dedup key once the source sends resolved', () => {
    const planner = createNotificationPlanner({ routing })
    planner.receive([alert({})], T0)
    const [trigger] = planner.due(T0 + 30 * s)
    planner.receive([alert({}, { status: 'resolved', ends_at: T0 + 2 * m })], T0 + 2 * m)
    const [resolve] = planner.due(T0 + 30 * s + 5 * m)
    expect(resolve).toMatchObject({ action: 'resolve', dedup_key: trigger?.dedup_key, receiver: 'pager' })
    expect(planner.activeIncidents()).toBe(0)
    planner.receive([alert({}, { status: 'resolved' })], T0 + 6 * m)
    expect(planner.due(T0 + 20 * m)).toEqual([])
  })

  it('sends nothing for a group that resolved inside its group_wait', () => {
    const planner = createNotificationPlanner({ routing })
    planner.receive([alert({})], T0)
    planner.receive([alert({}, { status: 'resolved' })], T0 + 10 * s)
    expect(planner.due(T0 + 30 * s)).toEqual([])
  })

  it('lets a page inhibit the tickets of the same service', () => {
    const planner = createNotificationPlanner({ routing })
    planner.receive([alert({}), alert({ alertname: 'decision.denies', severity: 'ticket' })], T0)
    planner.receive([alert({ alertname: 'decision.denies', severity: 'ticket', service: 'sso' })], T0)
    const notifications = planner.due(T0 + 30 * s)
    expect(notifications.map((n) => [n.receiver, n.group_labels.service])).toEqual([
      ['pager', 'pdp'],
      ['tickets', 'sso'],
    ])
  })

  it('mutes silenced alerts while the silence lasts', () => {
    const planner = createNotificationPlanner({ routing })
    planner.receive([alert({ service: 'legacy' })], T0)
    expect(planner.due(T0 + 30 * s)).toEqual([])
    const tomorrow = Date.UTC(2026, 10, 24, 0, 1)
    planner.receive([alert({ service: 'legacy' })], tomorrow)
    expect(brief(planner.due(tomorrow))).toEqual([{ receiver: 'pager', action: 'trigger', alerts: 1 }])
  })

  it('sends nothing during a maintenance window, and notifies after it', () => {
    const planner = createNotificationPlanner({ routing })
    const night = Date.UTC(2026, 10, 23, 2, 0)
    planner.receive([alert({ severity: 'ticket', service: 'batch' })], night)
    expect(planner.due(night + 30 * s)).toEqual([])
    planner.receive([alert({ severity: 'ticket', service: 'batch' })], night + 2 * 60 * m)
    expect(brief(planner.due(night + 2 * 60 * m + 1 * m))).toEqual([
      { receiver: 'tickets', action: 'trigger', alerts: 1 },
    ])
  })

  it('sends nothing for the null receiver', () => {
    const planner = createNotificationPlanner({ routing })
    planner.receive([alert({ severity: 'info' })], T0)
    expect(planner.due(T0 + 1 * m)).toEqual([])
  })

  it('never groups alerts of two tenants together', () => {
    const planner = createNotificationPlanner({ routing })
    planner.receive([alert({}), alert({}, { tenant: 'globex' })], T0)
    expect(planner.due(T0 + 30 * s).map((n) => n.tenant)).toEqual(['acme', 'globex'])
  })

  it('does not repeat what was notified before a restart, and resolves it', () => {
    const first = createNotificationPlanner({ routing })
    first.receive([alert({})], T0)
    const [trigger] = first.due(T0 + 30 * s)
    const notifiedBefore: NotifiedBefore[] = [{ notification: trigger!, at: T0 + 30 * s }]
    const second = createNotificationPlanner({ routing, notifiedBefore })
    second.receive([alert({})], T0 + 2 * m)
    expect(second.due(T0 + 3 * m)).toEqual([])
    expect(second.activeIncidents()).toBe(1)
    second.receive([alert({}, { status: 'resolved' })], T0 + 10 * m)
    expect(brief(second.due(T0 + 11 * m))).toEqual([{ receiver: 'pager', action: 'resolve', alerts: 1 }])
  })

  it('forgets a firing alert not re-sent for stale_after, without a resolve', () => {
    const planner = createNotificationPlanner({ routing })
    planner.receive([alert({})], T0)
    planner.due(T0 + 30 * s)
    expect(planner.due(T0 + 61 * m)).toEqual([])
    expect(planner.activeIncidents()).toBe(0)
  })

  it('flushes groups still in group_wait when asked to flush all', () => {
    const planner = createNotificationPlanner({ routing })
    planner.receive([alert({})], T0)
    expect(brief(planner.due(T0 + 1 * s, { flushAll: true }))).toEqual([
      { receiver: 'pager', action: 'trigger', alerts: 1 },
    ])
  })
})
