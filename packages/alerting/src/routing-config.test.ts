import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { RoutingConfigInvalidError } from './errors.ts'
import { parseRoutingConfig } from './routing-config.ts'

const repoRouting = readFileSync(new URL('../../../alerts/routing.yaml', import.meta.url), 'utf8')

function problemsOf(text: string): string[] {
  try {
    parseRoutingConfig(text)
  } catch (error) {
    expect(error).toBeInstanceOf(RoutingConfigInvalidError)
    expect((error as RoutingConfigInvalidError).code).toBe('ROUTING_CONFIG_INVALID')
    expect((error as RoutingConfigInvalidError).retriable).toBe(false)
    return (error as RoutingConfigInvalidError).problems
  }
  return expect.unreachable('the routing file was accepted')
}

describe('parseRoutingConfig', () => {
  it('reads the repository routing file: page to PagerDuty within 30 s (detector pages one per incident), ticket to the webhook, info to null', () => {
    const routing = parseRoutingConfig(repoRouting)
    const [securityIncident, security, incidentPage, page, ticket, info] = routing.route.routes
    // Owners first: attacks and policy misconfiguration page security, the rest of the pages SRE.
    expect(securityIncident).toMatchObject({ receiver: 'security', groupBy: ['incident'] })
    expect(security).toMatchObject({ receiver: 'security', groupBy: ['alertname', 'service'] })
    expect(incidentPage).toMatchObject({ receiver: 'pagerduty', groupBy: ['incident'] })
    expect(incidentPage!.groupWaitMs).toBeLessThanOrEqual(30_000)
    expect(page).toMatchObject({ receiver: 'pagerduty', groupBy: ['alertname', 'service'] })
    expect(page!.groupWaitMs).toBeLessThanOrEqual(30_000)
    expect(ticket?.receiver).toBe('ticket-webhook')
    expect(info?.receiver).toBe('null')
    expect(routing.receivers.map((r) => r.kind)).toEqual(['pagerduty', 'pagerduty', 'webhook', 'null'])
    // Pages mute their service's tickets; a silent-source page mutes that source's gap ticket.
    expect(routing.inhibitRules).toHaveLength(2)
    expect(routing.inhibitRules[1]!.equal).toEqual(['source', 'enforcement_point'])
  })

  it('lets children inherit receiver, group_by and timings unless they set their own', () => {
    const routing = parseRoutingConfig(`
route:
  receiver: a
  group_by: [alertname]
  group_wait: 10s
  group_interval: 1m
  repeat_interval: 1h30m
  routes:
    - matchers: ['service=~"pdp-.*"']
      group_wait: 2s
receivers: [{ name: a }]
`)
    expect(routing.route.routes[0]).toMatchObject({
      receiver: 'a',
      groupBy: ['alertname'],
      groupWaitMs: 2000,
      groupIntervalMs: 60_000,
      repeatIntervalMs: 5_400_000,
    })
  })

  it("groups by every label with group_by: ['...']", () => {
    const routing = parseRoutingConfig("route: { receiver: a, group_by: ['...'] }\nreceivers: [{ name: a }]")
    expect(routing.route.groupBy).toBe('all')
  })

  it('names the environment variables of each receiver, defaulting to the PALISADE_ ones', () => {
    const routing = parseRoutingConfig(`
route: { receiver: sre }
receivers:
  - { name: sre, pagerduty: {} }
  - { name: security, pagerduty: { routing_key_env: SECURITY_PD_KEY } }
  - { name: tickets, webhook: {} }
`)
    expect(routing.receivers).toEqual([
      {
        name: 'sre',
        kind: 'pagerduty',
        routingKeyEnv: 'PALISADE_PAGERDUTY_ROUTING_KEY',
        urlEnv: 'PALISADE_PAGERDUTY_URL',
      },
      {
        name: 'security',
        kind: 'pagerduty',
        routingKeyEnv: 'SECURITY_PD_KEY',
        urlEnv: 'PALISADE_PAGERDUTY_URL',
      },
      { name: 'tickets', kind: 'webhook', urlEnv: 'PALISADE_TICKET_WEBHOOK_URL' },
    ])
  })

  it('reads silences and time intervals', () => {
    const routing = parseRoutingConfig(`
route:
  receiver: a
  routes: [{ matchers: ['severity="ticket"'], mute_time_intervals: [nights] }]
receivers: [{ name: a }]
time_intervals:
  - name: nights
    time_intervals: [{ weekdays: ['monday:friday'], times: [{ start_time: '22:00', end_time: '24:00' }] }]
silences:
  - { matchers: ['service="pdp"'], starts_at: '2026-11-28T22:00:00Z', ends_at: '2026-11-29T02:00:00Z', comment: drill }
`)
    expect(routing.timeIntervals[0]).toEqual({
      name: 'nights',
      periods: [{ weekdays: [[1, 5]], times: [[1320, 1440]] }],
    })
    expect(routing.silences[0]).toMatchObject({
      startsAt: Date.UTC(2026, 10, 28, 22),
      endsAt: Date.UTC(2026, 10, 29, 2),
      comment: 'drill',
    })
  })

  it('lists every problem at once', () => {
    const problems = problemsOf(`
route:
  receiver: nobody
  group_wait: soon
  routes:
    - matchers: ['severity=="page"', 'service=~"("']
      receiver: pagerduty
      mute_time_intervals: [weekends]
      colour: red
receivers:
  - { name: pagerduty, pagerduty: {}, webhook: {} }
  - { name: pagerduty }
inhibit_rules: [{ equal: [service] }]
silences: [{ matchers: [], starts_at: '2026-11-29T00:00:00Z', ends_at: '2026-11-28T00:00:00Z' }]
`)
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('route.group_wait must be a duration'),
        expect.stringContaining('route.routes[0].matchers[1]'),
        expect.stringContaining('colour is not a known key'),
        expect.stringContaining('declares pagerduty and webhook'),
        expect.stringContaining('receiver "pagerduty" is declared twice'),
        expect.stringContaining('route.receiver "nobody" is not declared'),
        expect.stringContaining('"weekends" is not declared'),
        expect.stringContaining('inhibit_rules[0] needs source_matchers and target_matchers'),
        expect.stringContaining('silences[0].matchers must name at least one matcher'),
        expect.stringContaining('silences[0].ends_at must be after starts_at'),
      ]),
    )
    expect(problems.length).toBeGreaterThanOrEqual(10)
  })

  it('refuses matchers on the root and a missing root receiver', () => {
    const problems = problemsOf('route: { matchers: [\'a="b"\'] }\nreceivers: []')
    expect(problems).toEqual([
      expect.stringContaining('takes no matchers or continue'),
      expect.stringContaining('route.receiver is required'),
    ])
  })

  it('reads the noise budget, defaulting to 10 an hour, with per-rule overrides', () => {
    expect(parseRoutingConfig(repoRouting).noiseBudget.perHour).toBe(10)
    const routing = parseRoutingConfig(
      'route: { receiver: r }\nreceivers: [{ name: r }]\nnoise_budget: { per_hour: 4, rules: { lateral.new_edge: 20 } }',
    )
    expect(routing.noiseBudget).toEqual({ perHour: 4, rules: { 'lateral.new_edge': 20 } })
    expect(
      problemsOf('route: { receiver: r }\nreceivers: [{ name: r }]\nnoise_budget: { per_hour: 0, burst: 2 }'),
    ).toEqual([
      'noise_budget.burst is not a known key (per_hour, rules)',
      'noise_budget.per_hour must be a whole number of notifications an hour, at least 1',
    ])
  })

  it('reports a file that is not YAML', () => {
    expect(problemsOf('route: [unclosed')[0]).toMatch(/^not valid YAML/)
  })
})
