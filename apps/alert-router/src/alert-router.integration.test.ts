import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server } from 'node:http'
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
import type { Alert } from '@palisade/schema'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type AlertRouter, type AlertRouterLog, createAlertRouter } from './alert-router.ts'
import { defaultRoutingFile } from './config.ts'
import { createReceivers } from './receivers/create-receivers.ts'

// Real parts: the repository's routing file, the embedded ClickHouse engine (one data directory for
// this file), and a local HTTP sink that checks every PagerDuty Events API v2 body strictly.

const ROUTING_KEY = 'R0UTINGKEY0000000000000000000000'
const routing = parseRoutingConfig(readFileSync(defaultRoutingFile, 'utf8'))
const s = 1000
const m = 60 * s

interface Received {
  path: string
  body: Record<string, unknown>
  /** Wall-clock arrival, ms. */
  at: number
}

interface Sink {
  url: string
  received: Received[]
  /** Bodies that broke the Events v2 rules, with the reason; must stay empty. */
  invalid: string[]
  /** Answers for the next requests, in order; then 202 (PagerDuty) or 200 (webhook). */
  script: Array<{ status: number; headers?: Record<string, string>; delayMs?: number }>
  close(): Promise<void>
}

const TOP_KEYS = [
  'routing_key',
  'event_action',
  'dedup_key',
  'payload',
  'links',
  'images',
  'client',
  'client_url',
]
const PAYLOAD_KEYS = [
  'summary',
  'source',
  'severity',
  'timestamp',
  'component',
  'group',
  'class',
  'custom_details',
]

/** Why a body is not a valid Events API v2 alert event, or undefined when it is. */
function eventsV2Problem(body: Record<string, unknown>): string | undefined {
  const unknown = Object.keys(body).filter((key) => !TOP_KEYS.includes(key))
  if (unknown.length > 0) return `unknown keys ${unknown.join(', ')}`
  if (body.routing_key !== ROUTING_KEY) return 'wrong routing_key'
  if (typeof body.dedup_key !== 'string' || body.dedup_key.length === 0 || body.dedup_key.length > 255) {
    return 'dedup_key must be 1-255 characters'
  }
  if (body.event_action === 'resolve') {
    return Object.keys(body).length === 3
      ? undefined
      : 'a resolve carries only routing_key, event_action, dedup_key'
  }
  if (body.event_action !== 'trigger') return `event_action ${String(body.event_action)}`
  const payload = body.payload as Record<string, unknown> | undefined
  if (!payload || typeof payload !== 'object') return 'payload missing'
  const unknownPayload = Object.keys(payload).filter((key) => !PAYLOAD_KEYS.includes(key))
  if (unknownPayload.length > 0) return `unknown payload keys ${unknownPayload.join(', ')}`
  if (typeof payload.summary !== 'string' || payload.summary.length === 0 || payload.summary.length > 1024) {
    return 'payload.summary must be 1-1024 characters'
  }
  if (typeof payload.source !== 'string' || payload.source.length === 0) return 'payload.source missing'
  if (!['critical', 'error', 'warning', 'info'].includes(payload.severity as string))
    return 'payload.severity'
  if (
    typeof payload.timestamp !== 'string' ||
    !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(payload.timestamp) ||
    Number.isNaN(Date.parse(payload.timestamp))
  ) {
    return 'payload.timestamp must be ISO 8601'
  }
  return undefined
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    request.on('error', reject)
  })
}

async function startSink(): Promise<Sink> {
  const sink: Omit<Sink, 'url' | 'close'> = { received: [], invalid: [], script: [] }
  const server: Server = createServer(async (request, response) => {
    const at = Date.now()
    const text = await readBody(request)
    const body = JSON.parse(text) as Record<string, unknown>
    const path = request.url ?? ''
    sink.received.push({ path, body, at })
    const problem = path === '/pd' ? eventsV2Problem(body) : undefined
    if (problem) {
      sink.invalid.push(problem)
      response
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: 'invalid event', message: problem }))
      return
    }
    const next = sink.script.shift() ?? { status: path === '/pd' ? 202 : 200 }
    if (next.delayMs) await new Promise((resolve) => setTimeout(resolve, next.delayMs))
    response
      .writeHead(next.status, { 'content-type': 'application/json', ...next.headers })
      .end('{"status":"success"}')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    // The same arrays the server pushes into.
    ...sink,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

const quietLog: AlertRouterLog = { info: () => {}, warn: () => {}, error: () => {} }

let client: ClickHouseClient
let dataDir: string
let sink: Sink

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-alert-router-'))
  client = await openClickHouse({ kind: 'embedded', dataDir })
  await migrate(client, { dir: migrationsDir })
})
afterAll(async () => {
  await client?.close()
  rmSync(dataDir, { recursive: true, force: true })
})
beforeEach(async () => {
  await sink?.close()
  sink = await startSink()
})

/** A router over the shared ledger, on a clock the test moves, with no timer: the test ticks. */
function routerAt(start: number, metrics?: Registry, stopGraceMs?: number) {
  let now = start
  const receivers = createReceivers(
    [
      { name: 'pagerduty', kind: 'pagerduty', url: `${sink.url}/pd`, routingKey: ROUTING_KEY },
      // Security's pager on the same service, as the routing file's fallback key does by default.
      { name: 'security', kind: 'pagerduty', url: `${sink.url}/pd`, routingKey: ROUTING_KEY },
      { name: 'ticket-webhook', kind: 'webhook', url: `${sink.url}/tickets` },
    ],
    { retry: { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 5000 } },
  )
  const router = createAlertRouter({
    routing,
    receivers,
    ledger: createNotificationLedger(client),
    clock: () => now,
    log: quietLog,
    tickIntervalMs: 0,
    ...(metrics ? { metrics } : {}),
    ...(stopGraceMs !== undefined ? { stopGraceMs } : {}),
  })
  return {
    router,
    advance: (ms: number) => {
      now += ms
    },
  }
}

function page(tenant: string, service: string, status: Alert['status'] = 'firing'): Alert {
  return {
    tenant,
    labels: { alertname: 'slo.availability_burn', severity: 'page', service, window: '1h' },
    annotations: {
      summary: `${service} availability is burning its error budget 14.4x`,
      runbook_url: 'https://runbooks.example/pdp',
    },
    status,
    starts_at: Date.UTC(2026, 10, 23, 9, 58),
  }
}

/** Receive `alerts` every minute for `minutes`, ticking in between, as the SLO evaluator re-sends. */
async function everyMinute(
  router: AlertRouter,
  advance: (ms: number) => void,
  minutes: number,
  alerts: Alert[],
) {
  for (let minute = 0; minute < minutes; minute++) {
    await router.receive(alerts)
    for (let second = 0; second < 60; second += 15) {
      await router.tick()
      advance(15 * s)
    }
  }
}

const pd = () => sink.received.filter((request) => request.path === '/pd')

describe('alert router over a real ledger and a real HTTP receiver', () => {
  it('pages once while the same alert is re-sent every minute, and resolves with the same dedup_key', async () => {
    const { router, advance } = routerAt(Date.UTC(2026, 10, 23, 10))
    await router.start()
    await everyMinute(router, advance, 10, [page('t-once', 'pdp')])
    expect(pd().map((r) => r.body.event_action)).toEqual(['trigger'])

    await everyMinute(router, advance, 6, [page('t-once', 'pdp', 'resolved')])
    expect(sink.invalid).toEqual([])
    const [trigger, resolve] = pd()
    expect(pd()).toHaveLength(2)
    expect(resolve?.body).toEqual({
      routing_key: ROUTING_KEY,
      event_action: 'resolve',
      dedup_key: trigger?.body.dedup_key,
    })
    await router.stop()

    const [incident] = await router.incidents('t-once')
    expect(incident).toMatchObject({
      dedup_key: trigger?.body.dedup_key,
      alertname: 'slo.availability_burn',
      severity: 'page',
      action: 'resolve',
      status: 'delivered',
      delivered: true,
      receivers: ['pagerduty'],
    })
  })

  it('honours Retry-After on 429, then delivers once', async () => {
    sink.script.push({ status: 429, headers: { 'Retry-After': '1' } })
    const metrics = new Registry()
    const { router, advance } = routerAt(Date.UTC(2026, 10, 23, 11), metrics)
    await router.start()
    await router.receive([page('t-429', 'pdp')])
    advance(15 * s)
    await router.tick()
    const [first, second] = pd()
    expect(pd()).toHaveLength(2)
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950)
    // The delivery's latency includes the wait the receiver asked for.
    const text = await metrics.metrics()
    expect(text).toMatch(
      /^palisade_alert_router_delivery_seconds_count\{receiver="pagerduty",outcome="delivered"\} 1$/m,
    )
    expect(text).toMatch(
      /^palisade_alert_router_delivery_seconds_bucket\{le="0.5",receiver="pagerduty",outcome="delivered"\} 0$/m,
    )
    expect(sink.invalid).toEqual([])
    const [incident] = await router.incidents('t-429')
    expect(incident).toMatchObject({ action: 'trigger', status: 'delivered', delivered: true })
    await router.stop()
  })

  it('retries 500 with back-off and delivers', async () => {
    sink.script.push({ status: 500 }, { status: 500 })
    const { router, advance } = routerAt(Date.UTC(2026, 10, 23, 12))
    await router.start()
    await router.receive([page('t-500', 'pdp')])
    advance(15 * s)
    await router.tick()
    expect(pd()).toHaveLength(3)
    expect(new Set(pd().map((r) => r.body.dedup_key)).size).toBe(1)
    expect((await router.incidents('t-500'))[0]).toMatchObject({ status: 'delivered', delivered: true })
    await router.stop()
  })

  it('does not retry a 400 and records the notification as failed', async () => {
    sink.script.push({ status: 400 })
    const { router, advance } = routerAt(Date.UTC(2026, 10, 23, 13))
    await router.start()
    await router.receive([page('t-400', 'pdp')])
    advance(15 * s)
    await router.tick()
    advance(2 * m)
    await router.tick()
    expect(pd()).toHaveLength(1)
    expect((await router.incidents('t-400'))[0]).toMatchObject({
      action: 'trigger',
      status: 'failed',
      delivered: false,
    })
    await router.stop()
  })

  it('after a restart neither repeats a delivered page nor loses a pending one', async () => {
    const start = Date.UTC(2026, 10, 23, 14)
    // Before the restart: pdp's page is delivered; sso's meets a receiver that is down.
    const before = routerAt(start)
    await before.router.start()
    await before.router.receive([page('t-restart', 'pdp')])
    before.advance(15 * s)
    await before.router.tick()
    sink.script.push({ status: 503 }, { status: 503 }, { status: 503 })
    await before.router.receive([page('t-restart', 'sso')])
    before.advance(15 * s)
    await before.router.tick()
    await before.router.stop()
    const delivered = pd()[0]!.body.dedup_key
    expect(pd()).toHaveLength(4)
    const pending = pd()[3]!.body.dedup_key
    expect(pending).not.toBe(delivered)

    // After: a new router over the same ledger; the source keeps re-sending both alerts.
    const after = routerAt(start + 2 * m)
    await after.router.start()
    await after.router.tick()
    await everyMinute(after.router, after.advance, 10, [page('t-restart', 'pdp'), page('t-restart', 'sso')])
    await after.router.stop()
    expect(sink.invalid).toEqual([])
    const afterRestart = pd().slice(4)
    expect(afterRestart.map((r) => [r.body.event_action, r.body.dedup_key])).toEqual([['trigger', pending]])
    const incidents = await after.router.incidents('t-restart')
    expect(incidents.map((incident) => incident.status)).toEqual(['delivered', 'delivered'])
  })

  it('on stop, sends a group still in its group_wait rather than lose it', async () => {
    const { router } = routerAt(Date.UTC(2026, 10, 23, 15))
    await router.start()
    await router.receive([page('t-stop', 'pdp')])
    await router.stop()
    expect(pd().map((r) => r.body.event_action)).toEqual(['trigger'])
  })

  it('stops within its grace period while a receiver hangs, and the next start delivers the page it left pending', async () => {
    const start = Date.UTC(2026, 10, 23, 15, 30)
    sink.script.push({ status: 202, delayMs: 3000 })
    const before = routerAt(start, undefined, 200)
    await before.router.start()
    await before.router.receive([page('t-hang', 'pdp')])
    await before.router.stop()
    // stop() returned while the sink still held the request: nothing was recorded as delivered.
    expect((await before.router.incidents('t-hang'))[0]).toMatchObject({
      status: 'pending',
      delivered: false,
    })
    await new Promise((resolve) => setTimeout(resolve, 3200))

    const after = routerAt(start + 1 * m)
    await after.router.start()
    await after.router.tick()
    await after.router.stop()
    expect(pd().map((r) => r.body.event_action)).toEqual(['trigger', 'trigger'])
    expect(new Set(pd().map((r) => r.body.dedup_key)).size).toBe(1)
    expect((await after.router.incidents('t-hang'))[0]).toMatchObject({
      status: 'delivered',
      delivered: true,
    })
  })

  it('pages on-call again when a new rule joins an incident opened by earlier noise', async () => {
    const start = Date.UTC(2026, 10, 23, 16)
    const { router, advance } = routerAt(start)
    await router.start()
    const finding = (rule: string, dst: string): Alert => ({
      tenant: 't-escalate',
      labels: {
        alertname: rule,
        severity: 'page',
        incident: 'platform/notification-svc',
        src_workload: 'platform/notification-svc',
        dst_workload: dst,
      },
      annotations: { summary: `${rule}: platform/notification-svc reached ${dst}` },
      status: 'firing',
      starts_at: start,
      finding_id: `${rule}-${dst}`,
    })
    await router.receive([finding('lateral.new_edge', 'shop/api')])
    advance(15 * s)
    await router.tick()
    // A day later, as in the scenario: the real attack joins the incident the noise opened.
    advance(20 * 60 * m)
    await router.receive([
      finding('lateral.new_edge', 'shop/api'),
      finding('lateral.fan_out_scan', 'payments/*'),
    ])
    advance(15 * s)
    await router.tick()
    await router.stop()
    expect(sink.invalid).toEqual([])
    const triggers = pd().filter((r) => r.body.event_action === 'trigger')
    expect(triggers).toHaveLength(2)
    expect(triggers[1]!.body.dedup_key).not.toBe(triggers[0]!.body.dedup_key)
    const summary = (triggers[1]!.body.payload as { summary: string }).summary
    expect(summary).toContain('Escalated (rule=lateral.fan_out_scan')
    const details = (triggers[1]!.body.payload as { custom_details: Record<string, unknown> }).custom_details
    expect(details).toMatchObject({ reason: 'escalated', incident_key: triggers[0]!.body.dedup_key })
  })

  it('collapses a flooding rule into one page past its noise budget and tickets that the rule is noisy', async () => {
    const start = Date.UTC(2026, 10, 23, 17)
    const registry = new Registry()
    const { router, advance } = routerAt(start, registry)
    await router.start()
    const flood: Alert[] = Array.from({ length: 300 }, (_, i) => ({
      tenant: 't-flood',
      labels: {
        alertname: 'lateral.cross_namespace',
        severity: 'page',
        incident: `kube-system/coredns-${i % 30}`,
        src_workload: 'kube-system/coredns',
        dst: `payments/ledger:${59000 + i}`,
      },
      annotations: { summary: `kube-system/coredns reached payments/ledger:${59000 + i}` },
      status: 'firing',
      starts_at: start,
    }))
    await router.receive(flood)
    advance(15 * s)
    await router.tick()
    await router.stop()
    expect(sink.invalid).toEqual([])
    const pages = pd()
    // The routing file's budget is 10 an hour: ten incidents page, the other 20 fold into one digest.
    expect(pages).toHaveLength(11)
    const digest = pages
      .map((r) => (r.body.payload as { summary: string }).summary)
      .filter((t) => t.includes('collapsed'))
    expect(digest).toHaveLength(1)
    expect(digest[0]).toContain('200 alerts collapsed')
    expect(digest[0]).toContain('src_workload=kube-system/coredns ×200')
    const tickets = sink.received.filter((r) => r.path === '/tickets')
    expect(tickets).toHaveLength(1)
    expect(JSON.stringify(tickets[0]!.body)).toContain('Rule lateral.cross_namespace is noisy')
    const planned = await registry.getSingleMetricAsString(
      'palisade_alert_router_notifications_planned_total',
    )
    // Lateral movement is an attack: it pages the security team's receiver.
    expect(planned).toContain('receiver="security",reason="opened"} 10')
    expect(planned).toContain('receiver="security",reason="collapsed"} 1')
    expect(planned).toContain('receiver="ticket-webhook",reason="noisy_rule"} 1')
  })

  it('takes in and flushes a flood in slices, letting other callbacks run in between', async () => {
    const start = Date.UTC(2026, 10, 23, 18)
    const { router, advance } = routerAt(start)
    await router.start()
    const flood: Alert[] = Array.from({ length: 20_000 }, (_, i) => ({
      tenant: 't-slices',
      labels: { alertname: 'decision.denies', severity: 'ticket', service: `svc-${i}` },
      annotations: {},
      status: 'firing',
      starts_at: start,
    }))
    let interleaved = 0
    const beat = setInterval(() => interleaved++, 0)
    await router.receive(flood)
    clearInterval(beat)
    expect(interleaved).toBeGreaterThan(0)
    // 20,000 groups (one per service) are due at once: flushed 200 at a time.
    advance(1 * m)
    interleaved = 0
    const during = setInterval(() => interleaved++, 0)
    await router.tick()
    clearInterval(during)
    await router.stop()
    expect(interleaved).toBeGreaterThan(0)
    const tickets = sink.received.filter((r) => r.path === '/tickets')
    // Ten tickets within the rule's budget, one digest of the other 19,990, one noisy-rule ticket.
    expect(tickets).toHaveLength(12)
  })
})
