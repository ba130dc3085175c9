import { describe, expect, it } from 'vitest'
import { createRouteCache, routeAlert } from './route-alert.ts'
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

describe('createRouteCache', () => {
  const samples: Array<Record<string, string>> = [
    { alertname: 'slo.burn', severity: 'page', instance: 'a' },
    { alertname: 'slo.burn', severity: 'page', service: 'pdp', instance: 'b' },
    { alertname: 'auth.token_storm', severity: 'ticket' },
    { alertname: 'drift.policy', severity: 'ticket', instance: 'c' },
    { alertname: 'drift.policy' },
    { alertname: 'drift.policy', service: '' },
  ]

  it('routes every label set as the tree does, remembered or not', () => {
    const cached = createRouteCache(route)
    for (const labels of [...samples, ...samples])
      expect(cached(labels).map((node) => node.receiver)).toEqual(receivers(labels))
  })

  it('walks the tree once for alerts that differ only in labels no matcher names', () => {
    const cached = createRouteCache(route)
    const first = cached({ alertname: 'slo.burn', severity: 'page', instance: 'i-1' })
    expect(cached({ alertname: 'slo.burn', severity: 'page', instance: 'i-2' })).toBe(first)
    expect(cached({ alertname: 'slo.burn', severity: 'page', service: 'pdp' })).not.toBe(first)
  })

  it('starts afresh when full, and still routes correctly', () => {
    const cached = createRouteCache(route, 2)
    for (const labels of [...samples, ...samples].reverse())
      expect(cached(labels).map((node) => node.receiver)).toEqual(receivers(labels))
  })
})
