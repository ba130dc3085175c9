import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseRoutingConfig } from '@palisade/alerting'
import {
  type ClickHouseClient,
  createNoiseBudgetLog,
  createNotificationLedger,
  migrate,
  migrationsDir,
  openClickHouse,
} from '@palisade/clickhouse'
import type { Alert } from '@palisade/schema'
import { promtoolCheckMetrics, startPagerDutySink } from '@palisade/testing'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AlertRouterLog, createAlertRouter } from './alert-router.ts'
import { createReceivers } from './receivers/create-receivers.ts'

// The noise budget survives a restart: what a rule spent is kept beside the ledger in the embedded
// ClickHouse engine, so a router started again does not page a flooding rule anew. Real clock, a
// local PagerDuty sink.

const ROUTING_KEY = 'budget-routing-key-0123456789abcdef'
const routing = parseRoutingConfig(`
route:
  receiver: pagerduty
  group_by: [alertname, dst]
  group_wait: 0s
  group_interval: 200ms
  routes:
    - { matchers: ['alertname="palisade.noisy_rule"'], receiver: 'null' }
receivers:
  - { name: pagerduty, pagerduty: {} }
  - { name: 'null' }
noise_budget: { per_hour: 2 }
`)
const quietLog: AlertRouterLog = { info: () => {}, warn: () => {}, error: () => {} }
// Event time of the flood: last January, replayed now.
const T0 = Date.UTC(2026, 0, 5, 10)
const minute = 60_000

let client: ClickHouseClient
let dataDir: string
let sink: Awaited<ReturnType<typeof startPagerDutySink>>

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-budget-'))
  client = await openClickHouse({ kind: 'embedded', dataDir: join(dataDir, 'clickhouse') })
  await migrate(client, { dir: migrationsDir })
  sink = await startPagerDutySink(ROUTING_KEY)
})

afterAll(async () => {
  await sink?.close()
  await client?.close()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

function finding(dst: string, startsAt: number): Alert {
  return {
    tenant: 'acme',
    labels: { alertname: 'lateral.cross_namespace', severity: 'page', dst },
    annotations: { summary: `kube-system/coredns reached ${dst}` },
    status: 'firing',
    starts_at: startsAt,
  }
}

function startRouter(registry: Registry) {
  return createAlertRouter({
    routing,
    receivers: createReceivers([
      { name: 'pagerduty', kind: 'pagerduty', url: sink.url, routingKey: ROUTING_KEY },
    ]),
    ledger: createNotificationLedger(client),
    noiseBudgetLog: createNoiseBudgetLog(client),
    log: quietLog,
    metrics: registry,
    tickIntervalMs: 100,
  })
}

async function settle(ms = 1500) {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

const triggers = () => sink.events.filter((event) => event.body.event_action === 'trigger')

describe('noise budget across a restart', () => {
  it('keeps what a rule spent in its hour of event time, so the router started again collapses its flood', async () => {
    const first = startRouter(new Registry())
    await first.start()
    await first.receive([finding('payments/ledger:59001', T0), finding('payments/ledger:59002', T0 + minute)])
    await settle()
    expect(triggers()).toHaveLength(2)
    await first.stop()

    // Started again: the third finding of the same hour of event time is over the budget of 2.
    const registry = new Registry()
    const second = startRouter(registry)
    await second.start()
    await second.receive([finding('payments/ledger:59003', T0 + 10 * minute)])
    await settle()
    const sent = triggers()
    expect(sent.slice(2).map((event) => event.body.payload?.summary)).toEqual([
      expect.stringContaining('lateral.cross_namespace is over its noise budget (2/h): 1 alerts collapsed'),
    ])
    const metrics = await registry.metrics()
    expect(metrics).toContain('palisade_alert_router_noise_budget_spent{rule="lateral.cross_namespace"} 2')
    expect(metrics).toContain('palisade_alert_router_noise_budget_limit{rule="lateral.cross_namespace"} 2')
    expect(metrics).toContain(
      'palisade_alert_router_noise_collapsed_alerts{rule="lateral.cross_namespace"} 1',
    )
    expect(await promtoolCheckMetrics(metrics)).toEqual({ ok: true, output: '' })

    // An hour of event time later the rule pages again, whatever the wall clock says.
    await second.receive([finding('payments/ledger:59004', T0 + 70 * minute)])
    await settle()
    expect(triggers().at(-1)?.body.payload?.summary).toContain('payments/ledger:59004')
    await second.stop()
  })
})
