import { readFileSync } from 'node:fs'
import { parseRoutingConfig, routeAlert } from '@palisade/alerting'
import { ConfigInvalidError, createEnvReader } from '@palisade/settings'
import { describe, expect, it } from 'vitest'
import { defaultRoutingFile, readAlertRouterConfig } from './config.ts'

const routing = parseRoutingConfig(readFileSync(defaultRoutingFile, 'utf8'))

describe('readAlertRouterConfig', () => {
  it('resolves every receiver of the repository routing file from the environment', () => {
    const env = createEnvReader({
      PALISADE_PAGERDUTY_ROUTING_KEY: 'R0UTING',
      PALISADE_TICKET_WEBHOOK_URL: 'http://127.0.0.1:9000/tickets',
    })
    const config = readAlertRouterConfig(env, routing)
    env.done()
    expect(config.receivers).toEqual([
      {
        name: 'pagerduty',
        kind: 'pagerduty',
        url: 'https://events.pagerduty.com/v2/enqueue',
        routingKey: 'R0UTING',
      },
      // Security's pager falls back to SRE's service until it has its own key.
      {
        name: 'security',
        kind: 'pagerduty',
        url: 'https://events.pagerduty.com/v2/enqueue',
        routingKey: 'R0UTING',
      },
      { name: 'ticket-webhook', kind: 'webhook', url: 'http://127.0.0.1:9000/tickets' },
      { name: 'null', kind: 'null' },
    ])
  })

  it('fails fast naming every missing or bad variable', () => {
    const env = createEnvReader({ PALISADE_PAGERDUTY_URL: 'ftp://pd' })
    readAlertRouterConfig(env, routing)
    expect(() => env.done()).toThrow(ConfigInvalidError)
    expect(env.problems).toEqual([
      expect.stringContaining('needs PALISADE_PAGERDUTY_ROUTING_KEY'),
      expect.stringContaining('PALISADE_PAGERDUTY_URL must be an http(s) URL'),
      expect.stringContaining('needs PALISADE_SECURITY_PAGERDUTY_ROUTING_KEY'),
      // Both pagers read the one endpoint setting.
      expect.stringContaining('PALISADE_PAGERDUTY_URL must be an http(s) URL'),
      expect.stringContaining('needs PALISADE_TICKET_WEBHOOK_URL'),
    ])
  })
})

describe('the repository routing tree', () => {
  const receiversOf = (labels: Record<string, string>) =>
    routeAlert(routing.route, { tenant: 'acme', ...labels }).map((route) => route.receiver)

  it('routes by owner: attacks and policy misconfiguration to security, authentication and availability to SRE', () => {
    expect(
      receiversOf({ alertname: 'identity.password_spray', severity: 'page', incident: 'ip:203.0.113.7' }),
    ).toEqual(['security'])
    expect(receiversOf({ alertname: 'lateral.fan_out_scan', severity: 'page' })).toEqual(['security'])
    expect(receiversOf({ alertname: 'policy.drift', severity: 'page' })).toEqual(['security'])
    expect(receiversOf({ alertname: 'mtls.plaintext_in_strict', severity: 'page' })).toEqual(['security'])
    expect(receiversOf({ alertname: 'SLOBurnRate', severity: 'page', service: 'identity' })).toEqual([
      'pagerduty',
    ])
    expect(receiversOf({ alertname: 'mtls.handshake_failure_burst', severity: 'page' })).toEqual([
      'pagerduty',
    ])
    expect(receiversOf({ alertname: 'telemetry.source_gap', severity: 'page' })).toEqual(['pagerduty'])
  })

  it("gives security's pager its own key once set", () => {
    const env = createEnvReader({
      PALISADE_PAGERDUTY_ROUTING_KEY: 'SRE',
      PALISADE_SECURITY_PAGERDUTY_ROUTING_KEY: 'SECURITY',
      PALISADE_TICKET_WEBHOOK_URL: 'http://127.0.0.1:9000/tickets',
    })
    const config = readAlertRouterConfig(env, routing)
    expect(config.receivers.find((r) => r.name === 'security')).toMatchObject({ routingKey: 'SECURITY' })
  })
})
