import type { Alert } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import type { IncidentAction } from './incident-action.ts'
import { createNotificationPlanner, type NotificationPlanner } from './notification-planner.ts'
import { parseRoutingConfig } from './routing-config.ts'

const routing = parseRoutingConfig(`
route:
  receiver: tickets
  group_by: [alertname, service]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 1h
  routes:
    - matchers: ['severity="page"']
      receiver: pager
receivers: [{ name: pager, pagerduty: {} }, { name: tickets, webhook: {} }]
`)

const T0 = Date.UTC(2026, 10, 23, 10, 0)
const s = 1000
const m = 60 * s

function alert(labels: Record<string, string>, extra: Partial<Alert> = {}): Alert {
  return {
    tenant: 'acme',
    labels: { alertname: 'SLOBurnRate', severity: 'page', service: 'pdp', ...labels } as Alert['labels'],
    annotations: { summary: 'PDP burns 37x', title: 'Decision availability burning 37× its budget (pdp)' },
    status: 'firing',
    starts_at: T0,
    ...extra,
  }
}

function opened(): { planner: NotificationPlanner; key: string } {
  const planner = createNotificationPlanner({ routing })
  planner.receive([alert({})], T0)
  const [page] = planner.due(T0 + 30 * s)
  if (!page) throw new Error('no page')
  return { planner, key: page.dedup_key }
}

function action(kind: IncidentAction['kind'], key: string, at: number, until = 0): IncidentAction {
  return {
    id: `${kind}-${at}`,
    tenant: 'acme',
    incident_key: key,
    kind,
    actor: 'alice',
    comment: 'on it',
    at,
    until,
    matchers: [],
    silence_id: '',
  }
}

describe('notification planner > incident actions', () => {
  it('titles an incident by its first alert title annotation, not its alertname', () => {
    const planner = createNotificationPlanner({ routing })
    planner.receive([alert({})], T0)
    expect(planner.due(T0 + 30 * s)[0]?.title).toBe('Decision availability burning 37× its budget (pdp)')
  })

  it('sends an acknowledgement with the incident dedup key, to PagerDuty receivers only', () => {
    const { planner, key } = opened()
    const told = planner.act(action('ack', key, T0 + m), T0 + m)
    expect(told).toHaveLength(1)
    expect(told[0]).toMatchObject({
      action: 'acknowledge',
      receiver: 'pager',
      dedup_key: key,
      reason: 'acknowledged',
      actor: 'alice',
      action_id: `ack-${T0 + m}`,
    })
    expect(told[0]?.summary).toMatch(/^Acknowledged by alice \(on it\): /)
  })

  it('repeats nothing while acknowledged, and pages again for news that escalates', () => {
    const { planner, key } = opened()
    planner.act(action('ack', key, T0 + m), T0 + m)
    // More of the same (another pod): not news to whoever has it in hand, now or at repeat_interval.
    planner.receive([alert({ src_pod: 'b' })], T0 + 2 * m)
    expect(planner.due(T0 + 6 * m)).toEqual([])
    expect(planner.due(T0 + 2 * 3600 * s)).toEqual([])
    // A new kind of evidence (a user) escalates even so.
    planner.receive([alert({ user: 'mallory' })], T0 + 3 * 3600 * s)
    const escalated = planner.due(T0 + 3 * 3600 * s + 5 * m)
    expect(escalated.map((n) => [n.action, n.reason])).toEqual([['trigger', 'escalated']])
  })

  it('resolves an incident by hand: PagerDuty hears a resolve; its still-firing alerts do not reopen it', () => {
    const { planner, key } = opened()
    const told = planner.act(action('resolve', key, T0 + m), T0 + m)
    expect(told.map((n) => [n.action, n.reason, n.dedup_key])).toEqual([['resolve', 'resolved_by_hand', key]])
    planner.receive([alert({})], T0 + 2 * m)
    expect(planner.due(T0 + 10 * m)).toEqual([])
    // The same alert firing anew (a later start) is a new incident.
    planner.receive([alert({}, { starts_at: T0 + 20 * m })], T0 + 20 * m)
    expect(planner.due(T0 + 26 * m).map((n) => [n.action, n.reason])).toEqual([['trigger', 'opened']])
  })

  it('snoozes: nothing until the snooze ends, then pages again if it still fires', () => {
    const { planner, key } = opened()
    const told = planner.act(action('snooze', key, T0 + m, T0 + 30 * m), T0 + m)
    expect(told.map((n) => n.action)).toEqual(['acknowledge'])
    planner.receive([alert({})], T0 + 5 * m)
    expect(planner.due(T0 + 29 * m)).toEqual([])
    const after = planner.due(T0 + 31 * m)
    expect(after.map((n) => [n.action, n.reason])).toEqual([['trigger', 'snooze_ended']])
    // Its own key, so that PagerDuty pages anew (an acknowledged alert is not re-paged by a trigger).
    expect(after[0]?.dedup_key).not.toBe(key)
    expect(after[0]?.incident_key).toBe(key)
  })

  it('restores acknowledgements by replay without sending anything', () => {
    const { planner, key } = opened()
    expect(planner.act(action('ack', key, T0 + m), T0 + m, { replay: true })).toEqual([])
    expect(planner.due(T0 + 2 * 3600 * s)).toEqual([])
  })

  it('leaves a silence to the muters', () => {
    const { planner, key } = opened()
    expect(planner.act(action('silence', key, T0 + m, T0 + 2 * m), T0 + m)).toEqual([])
  })
})
