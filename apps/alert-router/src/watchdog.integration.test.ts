import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
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
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AlertRouterLog, createAlertRouter } from './alert-router.ts'
import { createReceivers } from './receivers/create-receivers.ts'

// The watchdog: the router's always-firing heartbeat reaches a dead-man's switch (a local webhook
// sink) every repeat_interval while the router runs, and stops when it stops. Real clock, ledger in
// the embedded ClickHouse engine.

const routing = parseRoutingConfig(`
route:
  receiver: 'null'
  group_by: [alertname]
  routes:
    - matchers: ['alertname="Watchdog"']
      receiver: deadmansswitch
      group_wait: 0s
      group_interval: 500ms
      repeat_interval: 1s
receivers:
  - { name: deadmansswitch, webhook: {} }
  - { name: 'null' }
`)
const quietLog: AlertRouterLog = { info: () => {}, warn: () => {}, error: () => {} }

let client: ClickHouseClient
let dataDir: string
let server: Server
let url: string
const beats: Array<{ at: number; body: { status: string; groupLabels: Record<string, string> } }> = []

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-watchdog-'))
  client = await openClickHouse({ kind: 'embedded', dataDir: join(dataDir, 'clickhouse') })
  await migrate(client, { dir: migrationsDir })
  server = createServer((request, response) => {
    let text = ''
    request.on('data', (chunk) => (text += chunk))
    request.on('end', () => {
      beats.push({ at: Date.now(), body: JSON.parse(text) })
      response.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/heartbeat`
})

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve))
  await client?.close()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

describe('watchdog heartbeat', () => {
  it('reaches the dead-man switch every repeat_interval while the router runs, and stops with it', async () => {
    const router = createAlertRouter({
      routing,
      receivers: createReceivers([{ name: 'deadmansswitch', kind: 'webhook', url }]),
      ledger: createNotificationLedger(client),
      log: quietLog,
      metrics: new Registry(),
      tickIntervalMs: 100,
      heartbeat: { tenant: 'acme', everyMs: 200 },
    })
    await router.start()
    await new Promise((resolve) => setTimeout(resolve, 4500))
    await router.stop()
    const sent = beats.length
    // Opened, then repeated about every second: at least three beats in 4.5 s, all firing Watchdog.
    expect(sent).toBeGreaterThanOrEqual(3)
    expect(
      beats.every((beat) => beat.body.status === 'firing' && beat.body.groupLabels.alertname === 'Watchdog'),
    ).toBe(true)
    // Not once per 200 ms heartbeat (about 22 in 4.5 s) but once per repeat_interval: the open and
    // at most one repeat a second (counted, not timed: a delivery held up by a busy machine makes
    // the next gap shorter without anything being wrong).
    expect(sent).toBeLessThanOrEqual(6)
    // Stopped: the switch hears nothing more, which is what makes it page.
    await new Promise((resolve) => setTimeout(resolve, 2000))
    expect(beats.length).toBe(sent)
  })
})
