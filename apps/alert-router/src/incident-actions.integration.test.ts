import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseRoutingConfig } from '@palisade/alerting'
import {
  type ClickHouseClient,
  createIncidentActionLog,
  createNotificationLedger,
  createSilenceStore,
  type IncidentActionLog,
  type IncidentActionRecord,
  migrate,
  migrationsDir,
  openClickHouse,
} from '@palisade/clickhouse'
import type { Alert } from '@palisade/schema'
import { startPagerDutySink } from '@palisade/testing'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AlertRouter, type AlertRouterLog, createAlertRouter } from './alert-router.ts'
import { type ApiSilences, createApiSilences } from './api-silences.ts'
import { createIncidentActionFeed } from './incident-action-feed.ts'
import { createReceivers } from './receivers/create-receivers.ts'

// People's actions reach PagerDuty: the action log in the embedded ClickHouse engine (written as the
// dashboard writes it), the router on a real clock reading it, and a PagerDuty Events v2 sink.

const ROUTING_KEY = 'R0UTINGKEY0000000000000000000000'
const routing = parseRoutingConfig(`
route:
  receiver: pagerduty
  group_by: [alertname, service]
  group_wait: 200ms
  group_interval: 500ms
  repeat_interval: 1s
receivers:
  - name: pagerduty
    pagerduty: {}
`)
const quietLog: AlertRouterLog = { info: () => {}, warn: () => {}, error: () => {} }

let client: ClickHouseClient
let dataDir: string
let sink: Awaited<ReturnType<typeof startPagerDutySink>>
let router: AlertRouter
let actions: IncidentActionLog
let silences: ApiSilences

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-incident-actions-'))
  client = await openClickHouse({ kind: 'embedded', dataDir: join(dataDir, 'clickhouse') })
  await migrate(client, { dir: migrationsDir })
  sink = await startPagerDutySink(ROUTING_KEY)
  actions = createIncidentActionLog(client)
  silences = createApiSilences(createSilenceStore(client))
  await silences.load()
  router = createAlertRouter({
    routing,
    receivers: createReceivers(
      [{ name: 'pagerduty', kind: 'pagerduty', url: sink.url, routingKey: ROUTING_KEY }],
      { dashboardUrl: 'http://127.0.0.1:8080' },
    ),
    ledger: createNotificationLedger(client),
    log: quietLog,
    metrics: new Registry(),
    tickIntervalMs: 100,
    muters: [silences],
    actions: createIncidentActionFeed({
      log: actions,
      routerLog: quietLog,
      pollMs: 100,
      onSilence: () => silences.load(),
    }),
  })
  await router.start()
})

afterAll(async () => {
  await router?.stop()
  await sink?.close()
  await client?.close()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

function alert(service: string): Alert {
  return {
    tenant: 'acme',
    labels: { alertname: 'SLOBurnRate', severity: 'page', service, slo: `${service}-availability` },
    annotations: {
      summary: `${service} burns 37x`,
      title: `${service} availability burning 37× its budget (${service})`,
    },
    status: 'firing',
    starts_at: Date.now(),
  }
}

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** {@link until} for a check that reads the store. */
async function untilStored<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

function take(
  kind: IncidentActionRecord['kind'],
  incidentKey: string,
  extra: Partial<IncidentActionRecord> = {},
) {
  return actions.record({
    id: randomUUID(),
    tenant: 'acme',
    incident_key: incidentKey,
    kind,
    actor: 'alice',
    comment: '',
    at: Date.now(),
    until: 0,
    matchers: [],
    silence_id: '',
    ...extra,
  })
}

const eventsOf = (key: string) => sink.events.filter((event) => event.body.dedup_key === key)

/** Fire an alert for `service` (re-sent like Prometheus would) and wait for its page. */
async function paged(service: string): Promise<string> {
  await router.receive([alert(service)])
  const page = await until(`the ${service} page`, () =>
    sink.events.find((event) => event.body.payload?.summary?.includes(`${service} availability`)),
  )
  return page.body.dedup_key ?? ''
}

describe('incident actions through the router', () => {
  it('pages with a readable title and a link back to the incident', async () => {
    const key = await paged('identity')
    const page = eventsOf(key)[0]!.body as unknown as Record<string, unknown>
    expect((page.payload as { summary: string }).summary).toBe(
      '[acme] identity availability burning 37× its budget (identity)',
    )
    expect(page.client_url).toBe(`http://127.0.0.1:8080/#/incident/${key}`)
  })

  it('sends an acknowledge with the same dedup_key, records it in the ledger, and stops repeats', async () => {
    const key = await paged('pdp')
    await take('ack', key)
    await until('the acknowledge', () => eventsOf(key).find((e) => e.body.event_action === 'acknowledge'))
    // repeat_interval is 1 s: an unacknowledged incident would have repeated by now.
    await router.receive([alert('pdp')])
    await new Promise((resolve) => setTimeout(resolve, 2500))
    await router.receive([alert('pdp')])
    await new Promise((resolve) => setTimeout(resolve, 1000))
    expect(eventsOf(key).map((e) => e.body.event_action)).toEqual(['trigger', 'acknowledge'])
    const rows = await createNotificationLedger(client).latest()
    expect(rows.find((r) => r.dedup_key === key && r.action === 'acknowledge')).toMatchObject({
      status: 'delivered',
      receiver: 'pagerduty',
    })
  })

  it('sends a resolve when a person resolves the incident', async () => {
    const key = await paged('gateway')
    await take('resolve', key, { comment: 'rolled back' })
    await until('the resolve', () => eventsOf(key).find((e) => e.body.event_action === 'resolve'))
    // The router records the outcome once PagerDuty has answered, a moment after the sink saw it.
    const ledger = createNotificationLedger(client)
    const incident = await untilStored('the resolve recorded as delivered', async () => {
      const row = await ledger.incident('acme', key)
      return row?.status === 'delivered' ? row : undefined
    })
    expect(incident).toMatchObject({ action: 'resolve', status: 'delivered' })
  })

  it('mutes what a silence taken in the dashboard matches, once the router reads it', async () => {
    const silenceId = randomUUID()
    const now = Date.now()
    await createSilenceStore(client).save({
      tenant: 'acme',
      id: silenceId,
      matchers: JSON.stringify([{ name: 'service', value: 'batch', isRegex: false, isEqual: true }]),
      starts_at: now,
      ends_at: now + 3600_000,
      created_by: 'alice',
      comment: 'maintenance',
      updated_at: now,
    })
    await take('silence', 'k-batch', { silence_id: silenceId, until: now + 3600_000 })
    await until('the silence to be read', () => (silences.get('acme', silenceId) ? true : undefined))
    await router.receive([alert('batch')])
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(sink.events.filter((e) => e.body.payload?.summary?.includes('batch'))).toEqual([])
  })
})
