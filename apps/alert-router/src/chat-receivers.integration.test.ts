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
import type { Alert } from '@palisade/schema'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AlertRouter, type AlertRouterLog, createAlertRouter } from './alert-router.ts'
import { createReceivers } from './receivers/create-receivers.ts'

// Slack, Microsoft Teams and Opsgenie receivers against local sinks that refuse the first attempts
// of each path (429 with Retry-After: 1, then 503) before accepting as the real service does; the
// router on a real clock with its ledger in the embedded ClickHouse engine.

const routing = parseRoutingConfig(`
route:
  receiver: slack
  group_by: [alertname, service]
  group_wait: 100ms
  group_interval: 300ms
  repeat_interval: 4h
  routes:
    - { matchers: ['channel="teams"'], receiver: teams }
    - { matchers: ['channel="opsgenie"'], receiver: opsgenie }
receivers:
  - { name: slack, slack: {} }
  - { name: teams, msteams: {} }
  - { name: opsgenie, opsgenie: {} }
`)
// biome-ignore lint/suspicious/noExplicitAny: JSON bodies are read field by field by the assertions
type Json = Record<string, any>
const quietLog: AlertRouterLog = { info: () => {}, warn: () => {}, error: () => {} }

interface Hit {
  path: string
  status: number
  at: number
  body: Record<string, unknown>
  authorization?: string
}

let client: ClickHouseClient
let dataDir: string
let server: Server
let base: string
let router: AlertRouter
const hits: Hit[] = []
/** Requests seen per path: the first two of each are refused. */
const seen = new Map<string, number>()

function success(path: string): number {
  if (path.startsWith('/slack')) return 200
  if (path.startsWith('/teams')) return 202
  return 202
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-chat-receivers-'))
  client = await openClickHouse({ kind: 'embedded', dataDir: join(dataDir, 'clickhouse') })
  await migrate(client, { dir: migrationsDir })
  server = createServer((request, response) => {
    let text = ''
    request.on('data', (chunk) => (text += chunk))
    request.on('end', () => {
      const path = request.url ?? ''
      const count = (seen.get(path) ?? 0) + 1
      seen.set(path, count)
      const status = count === 1 ? 429 : count === 2 ? 503 : success(path)
      hits.push({
        path,
        status,
        at: Date.now(),
        body: JSON.parse(text) as Record<string, unknown>,
        ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}),
      })
      response.writeHead(status, status === 429 ? { 'retry-after': '1' } : {})
      response.end(
        status === 200 ? 'ok' : status === 202 ? '{"result":"Request will be processed"}' : 'try later',
      )
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  router = createAlertRouter({
    routing,
    receivers: createReceivers(
      [
        { name: 'slack', kind: 'slack', url: `${base}/slack/T000/B000/XXX` },
        { name: 'teams', kind: 'msteams', url: `${base}/teams/webhook` },
        { name: 'opsgenie', kind: 'opsgenie', url: `${base}/opsgenie`, apiKey: 'genie-key-123' },
      ],
      { retry: { maxAttempts: 5, baseDelayMs: 50, maxDelayMs: 5000 }, dashboardUrl: 'http://127.0.0.1:8080' },
    ),
    ledger: createNotificationLedger(client),
    log: quietLog,
    metrics: new Registry(),
    tickIntervalMs: 100,
  })
  await router.start()
})

afterAll(async () => {
  await router?.stop()
  await new Promise((resolve) => server?.close(resolve))
  await client?.close()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

function alert(channel: string, status: Alert['status']): Alert {
  return {
    tenant: 'acme',
    labels: { alertname: 'PdpErrors', severity: 'page', service: `pdp-${channel}`, channel },
    annotations: {
      summary: `PDP errors <${channel}> & more`,
      title: `PDP ${channel} burning 20× its budget`,
      runbook_url: 'https://runbooks.example/pdp',
    },
    status,
    starts_at: Date.UTC(2026, 10, 23, 10),
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const accepted = (prefix: string) => hits.filter((hit) => hit.path.startsWith(prefix) && hit.status < 300)

describe('chat and Opsgenie receivers', () => {
  it('deliver each trigger once after a 429 (waiting its Retry-After) and a 503', async () => {
    await router.receive(['slack', 'teams', 'opsgenie'].map((channel) => alert(channel, 'firing')))
    await until('three deliveries', () =>
      ['/slack', '/teams', '/opsgenie'].every((p) => accepted(p).length === 1),
    )
    for (const prefix of ['/slack', '/teams', '/opsgenie/v2/alerts']) {
      const tries = hits.filter((hit) => hit.path === hits.find((h) => h.path.startsWith(prefix))?.path)
      expect(tries.map((hit) => hit.status)).toEqual([429, 503, prefix === '/slack' ? 200 : 202])
      // Retry-After: 1 is honoured before the second attempt.
      expect(tries[1]!.at - tries[0]!.at).toBeGreaterThanOrEqual(950)
    }
    // The outcome is recorded after the receiver answered (outcomes are batched into one insert).
    const delivered = async () =>
      (await createNotificationLedger(client).latest())
        .filter((row) => row.status === 'delivered')
        .map((row) => [row.receiver, row.attempts])
        .sort()
    const deadline = Date.now() + 30_000
    while ((await delivered()).length < 3 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50))
    expect(await delivered()).toEqual([
      ['opsgenie', 3],
      ['slack', 3],
      ['teams', 3],
    ])
  })

  it('speak each service language: Block Kit, an Adaptive Card, an Opsgenie alert with its alias', () => {
    const slack = accepted('/slack')[0]!.body as { text: string; blocks: Json[] }
    expect(slack.blocks.map((block) => block.type)).toEqual(['header', 'section', 'context'])
    expect(slack.blocks[0]!.text).toEqual({
      type: 'plain_text',
      text: 'Page: PDP slack burning 20× its budget',
      emoji: true,
    })
    // Alert text is escaped for mrkdwn; links go to the incident and the rule's runbook.
    expect(slack.blocks[1]!.text.text).toContain('PDP errors &lt;slack&gt; &amp; more')
    expect(slack.blocks[2]!.elements[0].text).toContain('<http://127.0.0.1:8080/#/incident/')
    expect(slack.blocks[2]!.elements[0].text).toContain('<https://runbooks.example/pdp|Runbook: PdpErrors>')
    const teams = accepted('/teams')[0]!.body as { type: string; attachments: Json[] }
    expect(teams.type).toBe('message')
    expect(teams.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive')
    expect(teams.attachments[0]!.content.type).toBe('AdaptiveCard')
    expect(teams.attachments[0]!.content.body[0].text).toBe('Page: PDP teams burning 20× its budget')
    const genie = accepted('/opsgenie')[0]!
    expect(genie.path).toBe('/opsgenie/v2/alerts')
    expect(genie.authorization).toBe('GenieKey genie-key-123')
    expect(genie.body).toMatchObject({
      message: '[acme] Page: PDP opsgenie burning 20× its budget',
      alias: expect.stringMatching(/^[0-9a-f]{64}$/),
      priority: 'P1',
      source: 'Palisade',
      entity: 'pdp-opsgenie',
    })
  })

  it('deliver each resolve once: a resolved message, and Opsgenie closes the alert by its alias', async () => {
    const alias = accepted('/opsgenie')[0]!.body.alias as string
    await router.receive(['slack', 'teams', 'opsgenie'].map((channel) => alert(channel, 'resolved')))
    await until(
      'the resolves',
      () =>
        accepted('/slack').length === 2 &&
        accepted('/teams').length === 2 &&
        accepted('/opsgenie').length === 2,
    )
    const close = accepted('/opsgenie')[1]!
    expect(close.path).toBe(`/opsgenie/v2/alerts/${alias}/close?identifierType=alias`)
    expect(close.body).toMatchObject({ source: 'Palisade' })
    expect((accepted('/slack')[1]!.body as { text: string }).text).toContain('Resolved: PDP slack')
    // Nothing more arrives: each notification was delivered once.
    await new Promise((resolve) => setTimeout(resolve, 1000))
    expect(['/slack', '/teams', '/opsgenie'].map((p) => accepted(p).length)).toEqual([2, 2, 2])
  })
})
