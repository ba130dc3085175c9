import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { parseRoutingConfig } from '@palisade/alerting'
import {
  type ClickHouseClient,
  createNotificationLedger,
  createSilenceStore,
  migrate,
  migrationsDir,
  openClickHouse,
} from '@palisade/clickhouse'
import {
  closeServer,
  createServiceApp,
  createTokenAuthenticator,
  finishServiceApp,
  listen,
} from '@palisade/http-server'
import { type ReceivedEvent, startPagerDutySink, startPrometheus } from '@palisade/testing'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AlertRouter, type AlertRouterLog, createAlertRouter } from './alert-router.ts'
import { mountAlertmanagerApi } from './alertmanager-api.ts'
import { type ApiSilences, createApiSilences } from './api-silences.ts'
import { createReceivers } from './receivers/create-receivers.ts'

// Real parts only: the embedded ClickHouse engine (ledger and silences), the router on a real clock,
// the API on a real port, a PagerDuty Events v2 sink, Debian's Prometheus evaluating a rules file
// and sending to Palisade as its Alertmanager, and Debian's amtool managing silences.

const run = promisify(execFile)
const TOKEN = 'alertmanager-api-test-token-0123456789'
const ROUTING_KEY = 'R0UTINGKEY0000000000000000000000'
// Short timers so that the test sees a notification in seconds; the tree is an ordinary one.
const routing = parseRoutingConfig(`
route:
  receiver: pagerduty
  group_by: [alertname, service]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 4h
receivers:
  - name: pagerduty
    pagerduty: {}
`)
const quietLog: AlertRouterLog = { info: () => {}, warn: () => {}, error: () => {} }

let client: ClickHouseClient
let dataDir: string
let sink: Awaited<ReturnType<typeof startPagerDutySink>>
let router: AlertRouter
let silences: ApiSilences
let server: Server
let baseUrl: string

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-alertmanager-api-'))
  client = await openClickHouse({ kind: 'embedded', dataDir: join(dataDir, 'clickhouse') })
  await migrate(client, { dir: migrationsDir })
  sink = await startPagerDutySink(ROUTING_KEY)
  silences = createApiSilences(createSilenceStore(client))
  await silences.load()
  router = createAlertRouter({
    routing,
    receivers: createReceivers([
      { name: 'pagerduty', kind: 'pagerduty', url: sink.url, routingKey: ROUTING_KEY },
    ]),
    ledger: createNotificationLedger(client),
    log: quietLog,
    metrics: new Registry(),
    tickIntervalMs: 100,
    muters: [silences],
  })
  await router.start()
  const authenticator = createTokenAuthenticator({ acme: TOKEN })
  const app = createServiceApp({ authenticator, metrics: new Registry(), ready: () => true })
  mountAlertmanagerApi(app, { authenticator, router, silences, ready: () => true })
  finishServiceApp(app, (error) => {
    throw error
  })
  server = await listen(app, 0)
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}, 60_000)

afterAll(async () => {
  await router?.stop()
  if (server) await closeServer(server)
  await sink?.close()
  await client?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

function api(path: string, init: RequestInit = {}, token = TOKEN): Promise<Response> {
  return fetch(`${baseUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
  })
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

const eventsFor = (summary: string, action: ReceivedEvent['body']['event_action']) =>
  sink.events.filter(
    (event) =>
      event.body.event_action === action &&
      (action === 'resolve' || event.body.payload?.summary === `[acme] ${summary}`),
  )

interface GettableAlert {
  labels: Record<string, string>
  annotations: Record<string, string>
  fingerprint: string
  generatorURL: string
  receivers: Array<{ name: string }>
  status: { state: string; silencedBy: string[] }
}

describe('Alertmanager API v2', () => {
  it('takes a real Prometheus alerts as one alert and one page across re-sends, and its resolve once', async () => {
    const prometheus = await startPrometheus({
      targets: [],
      bearerToken: TOKEN,
      alertmanager: { url: baseUrl, bearerToken: TOKEN },
      alertResendDelay: '1s',
      ruleGroups: [
        {
          name: 'always',
          interval: '1s',
          rules: [
            {
              // Fires for its first seconds, then Prometheus sends it resolved (endsAt = now).
              alert: 'FiresThenResolves',
              expr: `vector(time()) < ${Math.floor(Date.now() / 1000) + 12}`,
              labels: { severity: 'page', service: 'gateway' },
              annotations: { summary: 'the gateway flaps' },
            },
            {
              alert: 'AlwaysFiring',
              expr: 'vector(1)',
              labels: { severity: 'critical', service: 'pdp' },
              annotations: { summary: 'Prometheus says the PDP is on fire' },
            },
          ],
        },
      ],
    })
    try {
      const held = await waitFor('the alert in GET /api/v2/alerts', async () => {
        const alerts = (await (await api('/api/v2/alerts')).json()) as GettableAlert[]
        return alerts.find((alert) => alert.labels.alertname === 'AlwaysFiring')
      })
      // Critical is Palisade's page; the sender's word stays as a label.
      expect(held.labels).toMatchObject({ severity: 'page', source_severity: 'critical', service: 'pdp' })
      expect(held.annotations.summary).toBe('Prometheus says the PDP is on fire')
      expect(held.generatorURL).toContain('/graph?')
      expect(held.receivers).toEqual([{ name: 'pagerduty' }])
      await waitFor('the page', async () =>
        eventsFor('Prometheus says the PDP is on fire', 'trigger').length > 0 ? true : undefined,
      )
      // Several re-sends later (every second), still one alert and one page, and nothing failed.
      // Prometheus drops what it evaluates before its Alertmanager is discovered (about 5 s after
      // start); from the first delivery on, nothing may be dropped.
      const sentBefore = await notificationsSent(prometheus.url)
      const droppedBefore = await prometheusMetric(prometheus.url, 'prometheus_notifications_dropped_total')
      await waitFor('three more re-sends', async () =>
        (await notificationsSent(prometheus.url)) >= sentBefore + 3 ? true : undefined,
      )
      const alerts = (await (await api('/api/v2/alerts')).json()) as GettableAlert[]
      expect(alerts.filter((alert) => alert.labels.alertname === 'AlwaysFiring')).toHaveLength(1)
      expect(eventsFor('Prometheus says the PDP is on fire', 'trigger')).toHaveLength(1)
      expect(await prometheusMetric(prometheus.url, 'prometheus_notifications_errors_total')).toBe(0)
      expect(await prometheusMetric(prometheus.url, 'prometheus_notifications_dropped_total')).toBe(
        droppedBefore,
      )
      // The other rule stopped firing: Prometheus's resolve reaches the page once, however often it is re-sent.
      const flapTrigger = await waitFor(
        'the flapping page',
        async () => eventsFor('the gateway flaps', 'trigger')[0],
      )
      const flapResolves = () =>
        sink.events.filter(
          (e) => e.body.event_action === 'resolve' && e.body.dedup_key === flapTrigger.body.dedup_key,
        )
      await waitFor('the resolve from Prometheus', async () => (flapResolves().length > 0 ? true : undefined))
      const resolvedSent = await notificationsSent(prometheus.url)
      await waitFor('resolved re-sends', async () =>
        (await notificationsSent(prometheus.url)) >= resolvedSent + 3 ? true : undefined,
      )
      expect(flapResolves()).toHaveLength(1)
      expect(eventsFor('the gateway flaps', 'trigger')).toHaveLength(1)
      expect(await prometheusMetric(prometheus.url, 'prometheus_notifications_errors_total')).toBe(0)
      expect(await prometheusMetric(prometheus.url, 'prometheus_notifications_dropped_total')).toBe(
        droppedBefore,
      )
      const groups = (await (await api('/api/v2/alerts/groups')).json()) as Array<{
        labels: Record<string, string>
        receiver: { name: string }
        alerts: GettableAlert[]
      }>
      expect(groups.find((group) => group.labels.alertname === 'AlwaysFiring')).toMatchObject({
        labels: { alertname: 'AlwaysFiring', service: 'pdp' },
        receiver: { name: 'pagerduty' },
      })
    } finally {
      await prometheus.stop()
    }
  }, 90_000)

  it('resolves an alert whose endsAt has passed, once, however often the resolve is re-sent', async () => {
    const labels = { alertname: 'ExternalDiskFull', severity: 'critical', service: 'store' }
    const firing = [
      { labels, annotations: { summary: 'disk full on store' }, startsAt: new Date().toISOString() },
    ]
    expect((await api('/api/v2/alerts', { method: 'POST', body: JSON.stringify(firing) })).status).toBe(200)
    await waitFor('the page', async () =>
      eventsFor('disk full on store', 'trigger').length > 0 ? true : undefined,
    )
    const trigger = eventsFor('disk full on store', 'trigger')[0]
    const ended = [{ ...firing[0], endsAt: new Date(Date.now() - 1000).toISOString() }]
    for (let i = 0; i < 3; i++)
      expect((await api('/api/v2/alerts', { method: 'POST', body: JSON.stringify(ended) })).status).toBe(200)
    const resolves = () =>
      sink.events.filter(
        (e) => e.body.event_action === 'resolve' && e.body.dedup_key === trigger?.body.dedup_key,
      )
    await waitFor('the resolve', async () => (resolves().length > 0 ? true : undefined))
    // More resolves (Prometheus sends them for 15 minutes) must not notify again.
    for (let i = 0; i < 3; i++)
      expect((await api('/api/v2/alerts', { method: 'POST', body: JSON.stringify(ended) })).status).toBe(200)
    await new Promise((resolve) => setTimeout(resolve, 3000))
    expect(resolves()).toHaveLength(1)
    expect(eventsFor('disk full on store', 'trigger')).toHaveLength(1)
    const alerts = (await (await api('/api/v2/alerts')).json()) as GettableAlert[]
    expect(alerts.some((alert) => alert.labels.alertname === 'ExternalDiskFull')).toBe(false)
  }, 30_000)

  it('answers a bad request 400 with the reason, and a request without the token 401', async () => {
    const empty = await api('/api/v2/alerts', { method: 'POST', body: JSON.stringify([{ labels: {} }]) })
    expect(empty.status).toBe(400)
    expect(await empty.json()).toMatch(/at least one label pair/)
    const notJson = await api('/api/v2/alerts', { method: 'POST', body: '[{' })
    expect(notJson.status).toBe(400)
    expect(typeof (await notJson.json())).toBe('string')
    const badSilence = await api('/api/v2/silences', {
      method: 'POST',
      body: JSON.stringify({
        matchers: [],
        endsAt: new Date(Date.now() + 60_000).toISOString(),
        createdBy: 'a',
        comment: 'c',
      }),
    })
    expect(badSilence.status).toBe(400)
    expect(await badSilence.json()).toMatch(/matchers/)
    expect((await api('/api/v2/alerts', {}, 'wrong-token')).status).toBe(401)
    expect((await fetch(`${baseUrl}/api/v2/silences`)).status).toBe(401)
    expect((await fetch(`${baseUrl}/-/healthy`)).status).toBe(200)
    expect((await fetch(`${baseUrl}/-/ready`)).status).toBe(200)
    const status = (await (await api('/api/v2/status')).json()) as { cluster: { status: string } }
    expect(status.cluster.status).toBe('disabled')
  })

  it('takes a compressed body and a 401 without the token as before, and refuses a body over 8 MB with 413', async () => {
    const alert = { labels: { alertname: 'ExternalGzipped', service: 'edge', severity: 'warning' } }
    const gzipped = await api('/api/v2/alerts', {
      method: 'POST',
      headers: { 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify([alert])),
    })
    expect(gzipped.status).toBe(200)
    const latin = await api('/api/v2/alerts', {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify([{ labels: { ...alert.labels, alertname: 'ExternalCharset' } }]),
    })
    expect(latin.status).toBe(200)
    const held = (await (await api('/api/v2/alerts')).json()) as GettableAlert[]
    const names = held.map((a) => a.labels.alertname)
    expect(names).toContain('ExternalGzipped')
    expect(names).toContain('ExternalCharset')
    const huge = await api('/api/v2/alerts', { method: 'POST', body: `[${'"x",'.repeat(2_200_000)}"x"]` })
    expect(huge.status).toBe(413)
    expect(typeof (await huge.json())).toBe('string')
    const unauthenticated = await fetch(`${baseUrl}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([alert]),
    })
    expect(unauthenticated.status).toBe(401)
  })

  it('lets amtool add, query and expire a silence with the token, and keeps silences across a restart', async () => {
    const configDir = mkdtempSync(join(tmpdir(), 'palisade-amtool-'))
    try {
      const httpConfig = join(configDir, 'http.yml')
      writeFileSync(httpConfig, JSON.stringify({ authorization: { credentials: TOKEN } }))
      const amtool = async (...args: string[]) =>
        (
          await run('/usr/bin/amtool', [
            `--alertmanager.url=${baseUrl}`,
            `--http.config.file=${httpConfig}`,
            ...args,
          ])
        ).stdout.trim()
      // Without the token amtool is refused.
      await expect(
        run('/usr/bin/amtool', [`--alertmanager.url=${baseUrl}`, 'silence', 'query']),
      ).rejects.toThrow(/401|[Uu]nauthori/)

      const id = await amtool(
        'silence',
        'add',
        'alertname=ExternalSilenced',
        '--duration=1h',
        '--author=oncall',
        '--comment=maintenance',
        '--output=simple',
      )
      expect(id).toMatch(/^[0-9a-f-]{36}$/)
      expect((await amtool('silence', 'query', '--quiet')).split('\n')).toContain(id)

      // A silenced alert is held and listed as suppressed, and pages no one.
      const body = [
        {
          labels: { alertname: 'ExternalSilenced', severity: 'critical' },
          annotations: { summary: 'silenced one' },
        },
      ]
      expect((await api('/api/v2/alerts', { method: 'POST', body: JSON.stringify(body) })).status).toBe(200)
      const held = await waitFor('the silenced alert', async () => {
        const alerts = (await (await api('/api/v2/alerts')).json()) as GettableAlert[]
        return alerts.find((alert) => alert.labels.alertname === 'ExternalSilenced')
      })
      expect(held.status).toMatchObject({ state: 'suppressed', silencedBy: [id] })
      // amtool lists active alerts by default, and the silenced one when asked.
      const query = async (...flags: string[]) =>
        (
          JSON.parse(
            await amtool('alert', 'query', '--output=json', ...flags, 'alertname=ExternalSilenced'),
          ) as unknown[]
        ).length
      expect(await query()).toBe(0)
      expect(await query('--silenced')).toBe(1)

      // A router started again reads the silence back from ClickHouse.
      const restarted = createApiSilences(createSilenceStore(client))
      await restarted.load()
      expect(restarted.get('acme', id)?.createdBy).toBe('oncall')
      expect(
        restarted.mutes({ tenant: 'acme', alertname: 'ExternalSilenced', severity: 'page' }, Date.now()),
      ).toBe(true)
      expect(
        restarted.mutes({ tenant: 'other', alertname: 'ExternalSilenced', severity: 'page' }, Date.now()),
      ).toBe(false)

      await amtool('silence', 'expire', id)
      expect(await amtool('silence', 'query', '--quiet')).not.toContain(id)
      expect(await amtool('silence', 'query', '--expired', '--quiet')).toContain(id)
      const expired = createApiSilences(createSilenceStore(client))
      await expired.load()
      expect(
        expired.mutes({ tenant: 'acme', alertname: 'ExternalSilenced', severity: 'page' }, Date.now()),
      ).toBe(false)
      // Once the silence expired, the held alert pages at the group's next flush.
      await waitFor('the page after the silence expired', async () =>
        eventsFor('silenced one', 'trigger').length > 0 ? true : undefined,
      )
    } finally {
      rmSync(configDir, { recursive: true, force: true })
    }
  }, 60_000)
})

/** A counter of Prometheus's own /metrics, summed over its labels. */
async function prometheusMetric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0)
}

function notificationsSent(url: string): Promise<number> {
  return prometheusMetric(url, 'prometheus_notifications_sent_total')
}
