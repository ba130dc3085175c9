import { readFileSync } from 'node:fs'
import { parseRoutingConfig } from '@palisade/alerting'
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
      expect.stringContaining('needs PALISADE_TICKET_WEBHOOK_URL'),
    ])
  })
})
