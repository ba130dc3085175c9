import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseRoutingConfig } from '@palisade/alerting'
import { type Bus, topics } from '@palisade/bus'
import {
  type ClickHouseClient,
  createNotificationLedger,
  migrate,
  migrationsDir,
  openClickHouse,
} from '@palisade/clickhouse'
import { createKafkaBus } from '@palisade/kafka'
import type { Alert } from '@palisade/schema'
import { type KafkaBroker, startKafkaBroker, startPagerDutySink } from '@palisade/testing'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AlertRouter, type AlertRouterLog, createAlertRouter } from './alert-router.ts'
import { subscribeAlertRouter } from './bus-subscription.ts'
import { createReceivers } from './receivers/create-receivers.ts'

// Two routers, one page: two routers in cluster mode on a real Kafka broker (each its own consumer
// group, so both see every alert), sharing one ledger (the embedded ClickHouse engine: one process
// can open it, so both routers live in this one; across processes they share a ClickHouse server),
// a PagerDuty Events v2 sink. The first delivers; the standby delivers only what the first did not.

const ROUTING_KEY = 'R0UTINGKEY0000000000000000000000'
const routing = parseRoutingConfig(`
route:
  receiver: pagerduty
  group_by: [alertname, service]
  group_wait: 300ms
  group_interval: 1s
  repeat_interval: 4h
receivers: [{ name: pagerduty, pagerduty: {} }]
`)
const quietLog: AlertRouterLog = { info: () => {}, warn: () => {}, error: () => {} }

let broker: KafkaBroker
let client: ClickHouseClient
let dataDir: string
let sink: Awaited<ReturnType<typeof startPagerDutySink>>
let publisher: Bus

interface Peer {
  router: AlertRouter
  bus: Bus
  timer: NodeJS.Timeout
  close(): Promise<void>
}

async function peer(position: number): Promise<Peer> {
  const bus = createKafkaBus({
    brokers: broker.brokers,
    clientId: `router-${position}`,
    registry: new Registry(),
    log: quietLog,
  })
  const router = createAlertRouter({
    routing,
    receivers: createReceivers([
      { name: 'pagerduty', kind: 'pagerduty', url: sink.url, routingKey: ROUTING_KEY },
    ]),
    ledger: createNotificationLedger(client),
    log: quietLog,
    metrics: new Registry(),
    // Ticked by the test, so that "killing" a router stops all its work at once.
    tickIntervalMs: 0,
    peer: { position, waitMs: 2000 },
  })
  await router.start()
  const subscription = await subscribeAlertRouter(bus, router, { group: `alert-router-${position}` })
  const timer = setInterval(() => void router.tick().catch(() => {}), 100)
  return {
    router,
    bus,
    timer,
    async close() {
      clearInterval(timer)
      await subscription.close()
      await bus.close()
    },
  }
}

beforeAll(async () => {
  broker = await startKafkaBroker()
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-two-routers-'))
  client = await openClickHouse({ kind: 'embedded', dataDir: join(dataDir, 'clickhouse') })
  await migrate(client, { dir: migrationsDir })
  sink = await startPagerDutySink(ROUTING_KEY)
  publisher = createKafkaBus({
    brokers: broker.brokers,
    clientId: 'publisher',
    registry: new Registry(),
    log: quietLog,
  })
}, 600_000)

afterAll(async () => {
  await publisher?.close()
  await sink?.close()
  await client?.close()
  await broker?.stop()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

function alert(service: string, status: Alert['status']): Alert {
  return {
    tenant: 'acme',
    labels: { alertname: 'PdpErrors', severity: 'page', service },
    annotations: { summary: `${service} errors` },
    status,
    starts_at: Date.UTC(2026, 10, 23, 10),
  }
}

const publish = (alerts: Alert[]) =>
  publisher.publish(
    topics.alerts,
    alerts.map((value) => ({ key: `${value.tenant}/${value.labels.service}`, value })),
  )

const eventsFor = (service: string, action: string) =>
  sink.events.filter(
    (event) =>
      event.body.event_action === action &&
      (action === 'resolve' || event.body.payload?.summary.includes(service)),
  )

async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe('two routers sharing the ledger', () => {
  it('page once while both run, and once more only for what the survivor sees after one is killed', async () => {
    const first = await peer(0)
    const second = await peer(1)
    await publish([alert('pdp', 'firing'), alert('gateway', 'firing')])
    await until(
      'both pages',
      () => eventsFor('pdp', 'trigger').length === 1 && eventsFor('gateway', 'trigger').length === 1,
    )
    // The standby waited 2 s, found both delivered in the ledger, and sent nothing.
    await new Promise((resolve) => setTimeout(resolve, 3500))
    expect(sink.events.map((event) => event.body.event_action)).toEqual(['trigger', 'trigger'])

    // Kill the first: its timer and consumer stop at once, nothing flushed, nothing handed over.
    await first.close()
    await publish([alert('pdp', 'resolved'), alert('ledger', 'firing')])
    await until(
      'the survivor delivering',
      () =>
        eventsFor('ledger', 'trigger').length === 1 &&
        sink.events.some((e) => e.body.event_action === 'resolve'),
    )
    await new Promise((resolve) => setTimeout(resolve, 3000))
    // One page per incident, one resolve: the survivor knew the pdp page from its own planning.
    expect(eventsFor('pdp', 'trigger')).toHaveLength(1)
    expect(eventsFor('gateway', 'trigger')).toHaveLength(1)
    expect(eventsFor('ledger', 'trigger')).toHaveLength(1)
    expect(sink.events.filter((e) => e.body.event_action === 'resolve')).toHaveLength(1)
    await second.close()
    await second.router.stop()
  })
})
