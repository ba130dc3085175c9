import { describe, expect, it } from 'vitest'
import { routeAlert } from './route-alert.ts'
import { parseRoutingConfig } from './routing-config.ts'

const { route } = parseRoutingConfig(`
route:
  receiver: default
  routes:
    - matchers: ['severity="page"']
      receiver: pager
      routes:
        - matchers: ['service="pdp"']
          receiver: pdp-oncall
    - matchers: ['severity="page"']
      receiver: never-reached
    - matchers: ['alertname=~"auth\\\\..*"']
      receiver: audit-log
      continue: true
    - matchers: ['alertname=~"auth\\\\..*"']
      receiver: security
receivers: [{ name: default }, { name: pager }, { name: pdp-oncall }, { name: never-reached }, { name: audit-log }, { name: security }]
`)

const receivers = (labels: Record<string, string>) => routeAlert(route, labels).map((node) => node.receiver)

describe('routeAlert', () => {
  it('gives the first matching child and stops there', () => {
    expect(receivers({ alertname: 'slo.burn', severity: 'page' })).toEqual(['pager'])
  })

  it('descends into the matching child', () => {
    expect(receivers({ alertname: 'slo.burn', severity: 'page', service: 'pdp' })).toEqual(['pdp-oncall'])
  })

  it('keeps looking after a child with continue', () => {
    expect(receivers({ alertname: 'auth.token_storm', severity: 'ticket' })).toEqual([
      'audit-log',
      'security',
    ])
  })

  it('falls back to the parent when no child matches', () => {
    expect(receivers({ alertname: 'drift.policy', severity: 'ticket' })).toEqual(['default'])
  })

  it('carries the timings of the node it ends at', () => {
    expect(routeAlert(route, { alertname: 'x', severity: 'page' })[0]).toMatchObject({
      groupWaitMs: 30_000,
      id: 'route.routes[0]',
    })
  })
})
