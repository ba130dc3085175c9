import type { Alert } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import type { Muter } from './muter.ts'
import { createNotificationPlanner } from './notification-planner.ts'
import { parseRoutingConfig } from './routing-config.ts'

// Maintenance windows and silences never lose a resolve (Alertmanager #226, #2370): the window here
// is 02:00-04:00 UTC every day on the page route.
const routing = parseRoutingConfig(`
route:
  receiver: pager
  group_by: [alertname, service]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
  mute_time_intervals: [maintenance]
receivers: [{ name: pager, pagerduty: {} }]
time_intervals:
  - name: maintenance
    time_intervals: [{ times: [{ start_time: '02:00', end_time: '04:00' }] }]
`)

const at = (hh: number, mm = 0) => Date.UTC(2026, 10, 23, hh, mm)
const WINDOW_END = at(4)

function alert(service: string, status: Alert['status'], startsAt: number): Alert {
  return {
    tenant: 'acme',
    labels: { alertname: 'PdpErrors', severity: 'page', service },
    annotations: { summary: `${service} errors` },
    status,
    starts_at: startsAt,
  }
}

const brief = (ns: ReturnType<ReturnType<typeof createNotificationPlanner>['due']>) =>
  ns.map((n) => [n.action, n.group_labels.service, n.not_before])

describe('notification planner > maintenance windows and silences', () => {
  it('records a resolve that comes during the window at once, to be delivered when the window ends', () => {
    const planner = createNotificationPlanner({ routing })
    planner.receive([alert('pdp', 'firing', at(1, 50))], at(1, 50))
    expect(brief(planner.due(at(1, 51)))).toEqual([['trigger', 'pdp', undefined]])
    planner.receive([alert('pdp', 'resolved', at(1, 50))], at(2, 30))
    expect(brief(planner.due(at(2, 40)))).toEqual([['resolve', 'pdp', WINDOW_END]])
  })

  it('notifies after the window only what still fires: what fired and resolved inside it never pages', () => {
    const planner = createNotificationPlanner({ routing })
    planner.receive([alert('flap', 'firing', at(2, 10)), alert('stuck', 'firing', at(2, 10))], at(2, 10))
    expect(planner.due(at(2, 11))).toEqual([])
    planner.receive([alert('flap', 'resolved', at(2, 10))], at(3))
    expect(planner.due(at(3, 30))).toEqual([])
    expect(brief(planner.due(at(4, 5)))).toEqual([['trigger', 'stuck', undefined]])
  })

  it('sends the resolve of a notified alert that a silence mutes (no queue: a silence is about alerts)', () => {
    let silenced = false
    const silence: Muter = { mutes: (labels) => silenced && labels.service === 'pdp' }
    const planner = createNotificationPlanner({ routing, muters: [silence] })
    planner.receive([alert('pdp', 'firing', at(10))], at(10))
    expect(brief(planner.due(at(10, 1)))).toEqual([['trigger', 'pdp', undefined]])
    silenced = true
    planner.receive([alert('pdp', 'firing', at(10))], at(10, 5))
    expect(planner.due(at(10, 7))).toEqual([])
    planner.receive([alert('pdp', 'resolved', at(10))], at(10, 10))
    expect(brief(planner.due(at(10, 20)))).toEqual([['resolve', 'pdp', undefined]])
  })
})
