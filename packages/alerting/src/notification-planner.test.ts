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

  it('flushes due groups in slices of maxGroups and says when some are left', () => {
    const planner = createNotificationPlanner({ routing })
    planner.receive(
      Array.from({ length: 5 }, (_, i) => alert({ service: `svc-${i}` })),
      T0,
    )
    expect(planner.due(T0 + 30 * s, { maxGroups: 2 })).toHaveLength(2)
    expect(planner.hasDue(T0 + 30 * s)).toBe(true)
    expect(planner.due(T0 + 30 * s, { maxGroups: 2 })).toHaveLength(2)
    expect(planner.due(T0 + 30 * s, { maxGroups: 2 })).toHaveLength(1)
    expect(planner.hasDue(T0 + 30 * s)).toBe(false)
  })
})

const incidents = parseRoutingConfig(`
route:
  receiver: pager
  group_by: [incident]
  group_wait: 15s
  group_interval: 5m
receivers: [{ name: pager, pagerduty: {} }, { name: tickets, webhook: {} }]
`)

function finding(rule: string, labels: Record<string, string> = {}, severity = 'page'): Alert {
  return alert({ alertname: rule, severity, incident: 'platform/notification-svc', ...labels })
}

describe('notification planner > an open incident', () => {
  it('pages anew, under its own key and after group_wait, when a new rule joins', () => {
    const planner = createNotificationPlanner({ routing: incidents })
    planner.receive([finding('lateral.cross_namespace', { dst: 'a' })], T0)
    const [opened] = planner.due(T0 + 15 * s)
    expect(opened).toMatchObject({ reason: 'opened' })
    planner.receive([finding('lateral.fan_out_scan', { dst: 'b' })], T0 + 10 * m)
    const [escalated] = planner.due(T0 + 10 * m + 15 * s)
    expect(escalated).toMatchObject({
      action: 'trigger',
      reason: 'escalated',
      incident_key: opened?.dedup_key,
    })
    expect(escalated?.dedup_key).not.toBe(opened?.dedup_key)
    expect(escalated?.summary).toContain('rule=lateral.fan_out_scan')
    expect(escalated?.alerts).toHaveLength(2)
  })

  it('pages anew on a higher severity and on a new kind of evidence, but only updates on more of the same', () => {
    const planner = createNotificationPlanner({ routing: incidents })
    planner.receive([finding('identity.brute_force', { user: 'alice' }, 'ticket')], T0)
    planner.due(T0 + 15 * s)
    planner.receive([finding('identity.brute_force', { user: 'bob' }, 'ticket')], T0 + 1 * m)
    expect(planner.due(T0 + 1 * m + 15 * s)).toEqual([])
    expect(planner.due(T0 + 15 * s + 5 * m).map((n) => n.reason)).toEqual(['updated'])
    planner.receive([finding('identity.brute_force', { user: 'carol' }, 'page')], T0 + 10 * m)
    expect(planner.due(T0 + 10 * m + 15 * s).map((n) => n.summary.split(':')[0])).toEqual([
      'Escalated (severity=page)',
    ])
    planner.receive(
      [finding('identity.brute_force', { user: 'dan', client_ip: '203.0.113.9' }, 'page')],
      T0 + 20 * m,
    )
    expect(planner.due(T0 + 20 * m + 15 * s).map((n) => n.summary.split(':')[0])).toEqual([
      'Escalated (evidence=client_ip)',
    ])
  })

  it('resolves its escalations with it', () => {
    const planner = createNotificationPlanner({ routing: incidents })
    planner.receive([finding('slo.burn')], T0)
    planner.due(T0 + 15 * s)
    planner.receive([finding('slo.latency')], T0 + 1 * m)
    const [escalated] = planner.due(T0 + 1 * m + 15 * s)
    planner.receive(
      [finding('slo.burn'), finding('slo.latency')].map((a) => ({ ...a, status: 'resolved' as const })),
      T0 + 2 * m,
    )
    const resolves = planner.due(T0 + 7 * m)
    expect(resolves.map((n) => n.action)).toEqual(['resolve', 'resolve'])
    expect(resolves.map((n) => n.dedup_key)).toContain(escalated?.dedup_key)
  })

  it('does not escalate again after a restart for what the ledger shows was told', () => {
    const first = createNotificationPlanner({ routing: incidents })
    first.receive([finding('slo.burn')], T0)
    const [opened] = first.due(T0 + 15 * s)
    first.receive([finding('slo.latency')], T0 + 1 * m)
    const [escalated] = first.due(T0 + 1 * m + 15 * s)
    const second = createNotificationPlanner({
      routing: incidents,
      notifiedBefore: [
        { notification: opened!, at: T0 + 15 * s },
        { notification: escalated!, at: T0 + 1 * m + 15 * s },
      ],
    })
    second.receive([finding('slo.burn'), finding('slo.latency')], T0 + 2 * m)
    expect(second.due(T0 + 3 * m)).toEqual([])
    expect(second.activeIncidents()).toBe(1)
  })
})

describe('notification planner > noise budget', () => {
  const budgeted = parseRoutingConfig(`
route:
  receiver: pager
  group_by: [alertname, dst]
  group_wait: 15s
  group_interval: 5m
  routes:
    - { matchers: ['severity="ticket"'], receiver: tickets }
receivers: [{ name: pager, pagerduty: {} }, { name: tickets, webhook: {} }]
noise_budget: { per_hour: 3 }
`)

  it('collapses a rule past its budget into one digest with counts and top entities, and tickets that the rule is noisy', () => {
    const planner = createNotificationPlanner({ routing: budgeted })
    const flood = Array.from({ length: 50 }, (_, i) =>
      alert({
        alertname: 'lateral.cross_namespace',
        src: 'kube-system/coredns',
        dst: `payments/ledger:${59000 + i}`,
      }),
    )
    planner.receive(flood, T0)
    const sent = planner.due(T0 + 15 * s)
    expect(sent.map((n) => [n.reason, n.receiver])).toEqual([
      ['opened', 'pager'],
      ['opened', 'pager'],
      ['opened', 'pager'],
      ['collapsed', 'pager'],
      ['noisy_rule', 'tickets'],
    ])
    const digest = sent[3]!
    expect(digest.summary).toContain('47 alerts collapsed')
    expect(digest.summary).toContain('src=kube-system/coredns ×47')
    expect(digest.alerts.length).toBeLessThanOrEqual(10)
    expect(sent[4]!.summary).toContain('Rule lateral.cross_namespace is noisy')
  })

  it('updates the digest under the same key, at most every group_interval, and sends the ticket once', () => {
    const planner = createNotificationPlanner({ routing: budgeted })
    const wave = (from: number, at: number) =>
      planner.receive(
        Array.from({ length: 10 }, (_, i) =>
          alert({ alertname: 'lateral.cross_namespace', dst: `d${from + i}` }),
        ),
        at,
      )
    wave(0, T0)
    const first = planner.due(T0 + 15 * s).filter((n) => n.reason === 'collapsed')
    wave(100, T0 + 1 * m)
    expect(planner.due(T0 + 1 * m + 15 * s)).toEqual([])
    const later = planner.due(T0 + 15 * s + 5 * m)
    expect(later.map((n) => n.reason)).toEqual(['collapsed'])
    expect(later[0]?.dedup_key).toBe(first[0]?.dedup_key)
    expect(later[0]?.summary).toContain('17 alerts collapsed')
  })

  it('pages the rule again once its hour has passed, and tickets anew if it floods again', () => {
    const planner = createNotificationPlanner({ routing: budgeted })
    // Live: each wave's findings start when they arrive.
    const wave = (from: number, at: number) =>
      planner.receive(
        Array.from({ length: 5 }, (_, i) =>
          alert({ alertname: 'lateral.cross_namespace', dst: `d${from + i}` }, { starts_at: at }),
        ),
        at,
      )
    wave(0, T0)
    expect(planner.due(T0 + 15 * s).map((n) => n.reason)).toEqual([
      'opened',
      'opened',
      'opened',
      'collapsed',
      'noisy_rule',
    ])
    const later = T0 + 2 * 60 * m
    // The digest closes after an hour with nothing collapsed into it.
    expect(planner.due(later)).toEqual([])
    wave(100, later)
    expect(planner.due(later + 15 * s).map((n) => n.reason)).toEqual([
      'opened',
      'opened',
      'opened',
      'collapsed',
      'noisy_rule',
    ])
  })

  it('lets another rule of the same tenant page while one is over budget', () => {
    const planner = createNotificationPlanner({ routing: budgeted })
    planner.receive(
      Array.from({ length: 10 }, (_, i) => alert({ alertname: 'lateral.cross_namespace', dst: `d${i}` })),
      T0,
    )
    planner.receive([alert({ alertname: 'lateral.fan_out_scan', dst: 'many' })], T0)
    const reasons = planner.due(T0 + 15 * s).map((n) => `${n.alertname}:${n.reason}`)
    expect(reasons).toContain('lateral.fan_out_scan:opened')
  })

  const flood = (count: number, eventTime: (i: number) => number) =>
    Array.from({ length: count }, (_, i) =>
      alert({ alertname: 'lateral.cross_namespace', dst: `d${i}` }, { starts_at: eventTime(i) }),
    )

  it('counts the budget in event time: a replayed day paged in seconds spends it as the live day did', () => {
    // Six findings half an hour apart in event time, all replayed within a minute of the wall clock:
    // at most two fall in any hour of event time, within the budget of 3, so none collapses.
    const planner = createNotificationPlanner({ routing: budgeted })
    const reasons: string[] = []
    flood(6, (i) => T0 - 6 * 60 * m + i * 30 * m).forEach((one, i) => {
      planner.receive([one], T0 + i * s)
      reasons.push(...planner.due(T0 + i * s + 15 * s).map((n) => n.reason ?? ''))
    })
    expect(reasons).toEqual(['opened', 'opened', 'opened', 'opened', 'opened', 'opened'])
  })

  it('collapses a flood within one hour of event time even when it arrives over hours of wall clock', () => {
    // A slow replay (or a lagging source): six findings within ten minutes of event time, one an hour.
    const planner = createNotificationPlanner({ routing: budgeted })
    const reasons: string[] = []
    flood(6, (i) => T0 + i * 2 * m).forEach((one, i) => {
      const at = T0 + i * 60 * m
      planner.receive([one], at)
      reasons.push(...planner.due(at + 15 * s).map((n) => n.reason ?? ''))
    })
    expect(reasons.filter((reason) => reason === 'opened')).toHaveLength(3)
    expect(reasons).toContain('collapsed')
    expect(planner.budgetUsage()).toEqual([
      expect.objectContaining({
        tenant: 'acme',
        rule: 'lateral.cross_namespace',
        limit: 3,
        spent: 3,
        collapsed: 3,
      }),
    ])
  })

  it('keeps what was spent across a restart: the spends taken to persist restore the budget', () => {
    const before = createNotificationPlanner({ routing: budgeted })
    before.receive(
      flood(3, (i) => T0 + i * m),
      T0,
    )
    expect(before.due(T0 + 15 * s).map((n) => n.reason)).toEqual(['opened', 'opened', 'opened'])
    const spent = before.takeBudgetSpends()
    expect(spent.map((spend) => [spend.rule, spend.at - T0])).toEqual([
      ['lateral.cross_namespace', 0],
      ['lateral.cross_namespace', m],
      ['lateral.cross_namespace', 2 * m],
    ])
    expect(before.takeBudgetSpends()).toEqual([])
    // Restarted ten minutes later: the fourth finding of the hour collapses, as it would have.
    const after = createNotificationPlanner({ routing: budgeted, budgetSpentBefore: spent })
    after.receive(
      [alert({ alertname: 'lateral.cross_namespace', dst: 'd9' }, { starts_at: T0 + 10 * m })],
      T0 + 10 * m,
    )
    expect(after.due(T0 + 10 * m + 15 * s).map((n) => n.reason)).toEqual(['collapsed', 'noisy_rule'])
  })
})

describe('notification planner with muters and what it holds', () => {
  it('asks the given muters after the routing file silences, and notifies once they stop muting', () => {
    let muting = true
    const planner = createNotificationPlanner({
      routing,
      muters: [{ mutes: (labels) => muting && labels.service === 'api' }],
    })
    planner.receive([alert({ service: 'api' }), alert({ service: 'pdp' })], T0)
    expect(planner.due(T0 + 30 * s).map((n) => n.group_labels.service)).toEqual(['pdp'])
    const held = planner.held('acme', T0 + 30 * s)
    expect(held.alerts.map((a) => [a.alert.labels.service, a.silenced, a.receivers])).toEqual([
      ['api', true, ['pager']],
      ['pdp', false, ['pager']],
    ])
    expect(held.groups.map((g) => g.groupLabels)).toEqual([
      { alertname: 'slo.burn', service: 'api' },
      { alertname: 'slo.burn', service: 'pdp' },
    ])
    expect(planner.held('other', T0 + 30 * s)).toEqual({ alerts: [], groups: [] })
    muting = false
    expect(planner.due(T0 + 5 * m + 30 * s).map((n) => n.group_labels.service)).toEqual(['api'])
  })
})

describe('notification planner and end times', () => {
  it('resolves a firing alert whose endsAt passed without a re-send, at the group flush after it', () => {
    const planner = createNotificationPlanner({ routing })
    planner.receive([alert({}, { ends_at: T0 + 4 * m })], T0)
    expect(brief(planner.due(T0 + 30 * s))).toEqual([{ receiver: 'pager', action: 'trigger', alerts: 1 }])
    // A re-send pushes the end back: nothing resolves at the first end time.
    planner.receive([alert({}, { ends_at: T0 + 8 * m })], T0 + 3 * m)
    expect(planner.due(T0 + 5 * m + 30 * s)).toEqual([])
    expect(brief(planner.due(T0 + 10 * m + 30 * s))).toEqual([
      { receiver: 'pager', action: 'resolve', alerts: 1 },
    ])
    expect(planner.activeIncidents()).toBe(0)
  })
})
