import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseRoutingConfig } from '@palisade/alerting'
import {
  type ClickHouseClient,
  createNotificationLedger,
  migrate,
  migrationsDir,
  openClickHouse,
} from '@palisade/clickhouse'
import type { Alert } from '@palisade/schema'
import { startPagerDutySink } from '@palisade/testing'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AlertRouter, type AlertRouterLog, createAlertRouter } from './alert-router.ts'
import { createReceivers } from './receivers/create-receivers.ts'

// A resolve during a maintenance window is never lost: recorded pending in the ledger (embedded
// ClickHouse) at once, kept across a restart, and delivered to a PagerDuty Events v2 sink when the
// window ends. The router runs on an injected clock, ticked by hand.

const ROUTING_KEY = 'R0UTINGKEY0000000000000000000000'
const routing = parseRoutingConfig(`
route:
  receiver: pagerduty
  group_by: [alertname, service]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
  mute_time_intervals: [maintenance]
receivers: [{ name: pagerduty, pagerduty: {} }]
time_intervals:
  - name: maintenance
    time_intervals: [{ times: [{ start_time: '02:00', end_time: '04:00' }] }]
`)
const quietLog: AlertRouterLog = { info: () => {}, warn: () => {}, error: () => {} }
const at = (hh: number, mm = 0) => Date.UTC(2026, 10, 23, hh, mm)

let client: ClickHouseClient
let dataDir: string
let sink: Awaited<ReturnType<typeof startPagerDutySink>>
let now = at(1, 50)

function router(): AlertRouter {
  return createAlertRouter({
    routing,
    receivers: createReceivers([
      { name: 'pagerduty', kind: 'pagerduty', url: sink.url, routingKey: ROUTING_KEY },
    ]),
    ledger: createNotificationLedger(client),
    log: quietLog,
    metrics: new Registry(),
    clock: () => now,
    tickIntervalMs: 0,
  })
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-queued-resolves-'))
  client = await openClickHouse({ kind: 'embedded', dataDir: join(dataDir, 'clickhouse') })
  await migrate(client, { dir: migrationsDir })
  sink = await startPagerDutySink(ROUTING_KEY)
})

afterAll(async () => {
  await sink?.close()
  await client?.close()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

const pdp = (status: Alert['status']): Alert => ({
  tenant: 'acme',
  labels: { alertname: 'PdpErrors', severity: 'page', service: 'pdp' },
  annotations: { summary: 'PDP errors' },
  status,
  starts_at: at(1, 50),
})

describe('a resolve during a maintenance window', () => {
  it('is pending in the ledger during the window, survives a restart, and is delivered once when it ends', async () => {
    const first = router()
    await first.start()
    await first.receive([pdp('firing')])
    now = at(1, 51)
    await first.tick()
    expect(sink.events.map((e) => e.body.event_action)).toEqual(['trigger'])

    now = at(2, 30)
    await first.receive([pdp('resolved')])
    now = at(2, 40)
    await first.tick()
    // In the window: the resolve is in the ledger, queued, and PagerDuty has not heard of it.
    const resolveRow = async () =>
      (await createNotificationLedger(client).latest()).find((row) => row.action === 'resolve')
    expect(await resolveRow()).toMatchObject({
      status: 'pending',
      detail: 'queued until 2026-11-23T04:00:00.000Z',
    })
    expect(sink.events.map((e) => e.body.event_action)).toEqual(['trigger'])
    await first.stop()

    // A restart during the window keeps it queued until the window ends.
    now = at(3)
    const second = router()
    await second.start()
    await second.tick()
    now = at(3, 59)
    await second.tick()
    expect(sink.events.map((e) => e.body.event_action)).toEqual(['trigger'])
    now = at(4)
    await second.tick()
    expect(sink.events.map((e) => e.body.event_action)).toEqual(['trigger', 'resolve'])
    expect(await resolveRow()).toMatchObject({ status: 'delivered' })
    now = at(4, 30)
    await second.tick()
    await second.stop()
    expect(sink.events.map((e) => e.body.event_action)).toEqual(['trigger', 'resolve'])
  })
})
