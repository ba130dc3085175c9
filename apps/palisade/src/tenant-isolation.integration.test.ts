import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseRoutingConfig } from '@palisade/alerting'
import { dashboardQueries } from '@palisade/clickhouse'
import { loadDeclarations } from '@palisade/declarations'
import { listRoutes } from '@palisade/http-server'
import type { Log } from '@palisade/runtime'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningPalisade, startAllInOne } from './all-in-one.ts'
import { loadConfig, loadReceivers } from './config.ts'

// Two tenants on one store (the all-in-one's embedded chDB), each with its own ingest and admin
// keys. Both send the same attack (a password spray from the SAME address, so that detector state
// shared across tenants would show), flows, an Alertmanager alert and a silence. Then every GET
// route of the dashboard port (found by walking the express app, so routes added later are walked
// too) is called with one tenant's admin key, its parameters filled with BOTH tenants' ids, keys
// and names: no answer may carry the other tenant's rows.

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url))
const token = 'isolation-test-token-0123456789ab'
const quiet: Log = { info: () => {}, warn: () => {}, error: () => {} } as unknown as Log
const tenants = ['red', 'blue'] as const
type Tenant = (typeof tenants)[number]
const other = (tenant: Tenant): Tenant => (tenant === 'red' ? 'blue' : 'red')
const SPRAY_IP = '192.0.2.77'

let dataDir: string
let running: RunningPalisade
const keys = {} as Record<Tenant, { ingest: string; admin: string }>
/** Route parameter name → values seen in either tenant (ids, keys, names). */
const paramValues = new Map<string, Set<string>>()
/** Strings only one tenant's rows contain. */
const markers = {} as Record<Tenant, Set<string>>

function note(param: string, value: string): void {
  const values = paramValues.get(param) ?? new Set<string>()
  paramValues.set(param, values)
  values.add(value)
}

const json = (key: string, extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${key}`,
  'content-type': 'application/json',
  ...extra,
})

async function getJson(url: string, key: string): Promise<Record<string, unknown>> {
  const response = await fetch(url, { headers: json(key) })
  expect(response.status, url).toBe(200)
  return (await response.json()) as Record<string, unknown>
}

async function createKey(tenant: Tenant, role: string): Promise<string> {
  const response = await fetch(`${running.dashboardUrl}/api/v1/keys`, {
    method: 'POST',
    headers: json(token, { 'x-palisade-tenant': tenant }),
    body: JSON.stringify({ role, name: `${tenant} ${role}` }),
  })
  expect(response.status).toBe(201)
  return ((await response.json()) as { plain: string }).plain
}

function sprayLines(tenant: Tenant, t0: number): string {
  const lines: string[] = []
  for (let i = 0; i < 12; i++)
    lines.push(
      JSON.stringify({
        event_id: `${tenant}-auth-${i}`,
        ts: t0 + i * 20_000,
        principal: `u${i}@${tenant}.example`,
        outcome: 'failure',
        failure_kind: 'user',
        reason: 'INVALID_CREDENTIALS',
        method: 'password',
        client_ip: SPRAY_IP,
        service: `${tenant}-login`,
      }),
    )
  return `${lines.join('\n')}\n`
}

function flowLines(tenant: Tenant, t0: number): string {
  return `${[0, 1, 2]
    .map((i) =>
      JSON.stringify({
        event_id: `${tenant}-flow-${i}`,
        ts: t0 + i,
        src_identity: `spiffe://${tenant}.example/ns/shop/sa/web`,
        dst_identity: `spiffe://${tenant}.example/ns/shop/sa/api`,
        dst_port: 8080,
        service: `${tenant}-api`,
      }),
    )
    .join('\n')}\n`
}

async function ingest(key: string, kind: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${running.collectorUrl}/v1/ingest/${kind}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson', ...headers },
    body,
  })
  return {
    status: response.status,
    body: (await response.json()) as { accepted?: number; rejected?: number },
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 90_000
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-tenants-'))
  const env = {
    PALISADE_DATA_DIR: dataDir,
    PALISADE_TOKEN: token,
    PALISADE_COLLECTOR_PORT: '0',
    PALISADE_DASHBOARD_PORT: '0',
  }
  const config = loadConfig(env, repoRoot)
  const declarations = await loadDeclarations(config.declarationDirs)
  // The repository's routing with a group_wait short enough for the notifications to be recorded soon.
  const routing = parseRoutingConfig(
    readFileSync(join(repoRoot, 'alerts', 'routing.yaml'), 'utf8').replace(
      /group_wait: \w+/g,
      'group_wait: 1s',
    ),
  )
  running = await startAllInOne(
    config,
    { declarations: { ...declarations, routing }, receivers: loadReceivers(env, routing) },
    quiet,
  )
  const t0 = Date.now() - 10 * 60_000
  for (const tenant of tenants) {
    keys[tenant] = { ingest: await createKey(tenant, 'ingest'), admin: await createKey(tenant, 'admin') }
    markers[tenant] = new Set([
      `${tenant}.example`,
      `${tenant}-login`,
      `${tenant}-api`,
      `${tenant}-alert`,
      `${tenant}-silence`,
    ])
    expect((await ingest(keys[tenant].ingest, 'auth', sprayLines(tenant, t0))).body.accepted).toBe(12)
    expect((await ingest(keys[tenant].ingest, 'flow', flowLines(tenant, t0))).body.accepted).toBe(3)
    const alert = await fetch(`${running.dashboardUrl}/api/v2/alerts`, {
      method: 'POST',
      headers: json(keys[tenant].ingest),
      body: JSON.stringify([
        { labels: { alertname: `${tenant}-alert`, severity: 'ticket', service: `${tenant}-api` } },
      ]),
    })
    expect(alert.status).toBe(200)
    const silence = await fetch(`${running.dashboardUrl}/api/v2/silences`, {
      method: 'POST',
      headers: json(keys[tenant].admin),
      body: JSON.stringify({
        matchers: [{ name: 'service', value: `${tenant}-api`, isRegex: false }],
        startsAt: new Date().toISOString(),
        endsAt: new Date(Date.now() + 3600_000).toISOString(),
        createdBy: `${tenant}-silence`,
        comment: `${tenant}-silence`,
      }),
    })
    expect(silence.status).toBe(200)
    note('id', ((await silence.json()) as { silenceID: string }).silenceID)
  }
  for (const tenant of tenants) {
    const admin = keys[tenant].admin
    const findings = await until(`${tenant}'s findings`, async () => {
      const body = await getJson(`${running.dashboardUrl}/api/v1/findings`, admin)
      const list = body.findings as { finding_id: string }[]
      return list.length > 0 ? list : undefined
    })
    for (const finding of findings) {
      note('id', finding.finding_id)
      markers[tenant].add(finding.finding_id)
    }
    const incidents = await until(`${tenant}'s incidents`, async () => {
      const body = await getJson(`${running.dashboardUrl}/api/v1/panels/active_incidents`, admin)
      const rows = body.rows as { dedup_key: string }[]
      return rows.length > 0 ? rows : undefined
    })
    for (const incident of incidents) note('key', incident.dedup_key)
    note('kind', 'user')
    note('value', `u1@${tenant}.example`)
  }
  note('kind', 'ip')
  note('value', SPRAY_IP)
  note('kind', 'spiffe')
  for (const tenant of tenants) note('value', `spiffe://${tenant}.example/ns/shop/sa/web`)
  for (const query of Object.keys(dashboardQueries)) note('query', query)
  const dashboards = (await getJson(`${running.dashboardUrl}/api/v1/dashboards`, keys.red.admin))
    .dashboards as {
    id: string
  }[]
  for (const dashboard of dashboards) note('id', dashboard.id)
  const slos = (await getJson(`${running.dashboardUrl}/api/v1/slos`, keys.red.admin)).slos as {
    name: string
  }[]
  for (const slo of slos) note('name', slo.name)
}, 180_000)

afterAll(async () => {
  await running?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

/** Every concrete path of a pattern, each parameter filled with every value either tenant gave it. */
function expand(pattern: string): string[] {
  let paths = [pattern.replace(/[{}]/g, '')]
  for (const [, name] of pattern.matchAll(/:(\w+)/g)) {
    const values = [...(paramValues.get(name!) ?? new Set(['probe']))]
    paths = paths.flatMap((path) =>
      values.map((value) => path.replace(`:${name}`, encodeURIComponent(value))),
    )
  }
  return paths
}

describe('two tenants on one store', () => {
  it('each tenant sees its own findings and panels (the walk below is not vacuous)', async () => {
    for (const tenant of tenants) {
      const findings = JSON.stringify(
        await getJson(`${running.dashboardUrl}/api/v1/findings`, keys[tenant].admin),
      )
      expect(findings).toContain(`${tenant}.example`)
      const incidents = JSON.stringify(
        await getJson(`${running.dashboardUrl}/api/v1/panels/active_incidents`, keys[tenant].admin),
      )
      expect(incidents).toContain(`${tenant}`)
      const alerts = JSON.stringify(
        await getJson(`${running.dashboardUrl}/api/v2/alerts`, keys[tenant].admin),
      )
      expect(alerts).toContain(`${tenant}-alert`)
    }
  })

  // Every GET route of the all-in-one, twice: minutes on a loaded machine.
  it('no GET route shows one tenant the other tenant’s rows, whatever ids it is asked for', {
    timeout: 600_000,
  }, async () => {
    const leaks: string[] = []
    const routes = listRoutes(running.apps.dashboard).filter(
      (route) => route.method === 'GET' && route.access !== 'public',
    )
    expect(routes.length).toBeGreaterThan(10)
    for (const tenant of tenants) {
      for (const route of routes) {
        for (const path of expand(route.path)) {
          const response = await fetch(`${running.dashboardUrl}${path}`, {
            headers: json(keys[tenant].admin),
          })
          let text = await response.text()
          // An answer may name what it was asked for ("no finding <id>"); that is not a leak.
          for (const asked of decodeURIComponent(path).split('/'))
            if (asked.length > 3) text = text.split(asked).join('')
          for (const marker of markers[other(tenant)])
            if (text.includes(marker))
              leaks.push(`${tenant} GET ${path} (${response.status}) shows ${marker}`)
        }
      }
    }
    expect(leaks).toEqual([])
  })

  it('an ingest key writes only to its tenant: a record naming another is refused, so is asking for another', async () => {
    const t0 = Date.now() - 5 * 60_000
    const forged = JSON.stringify({
      ...JSON.parse(flowLines('blue', t0).split('\n')[0]!),
      tenant: 'blue',
      event_id: 'forged',
    })
    const answer = await ingest(keys.red.ingest, 'flow', `${forged}\n`)
    expect(answer.body).toMatchObject({ accepted: 0, rejected: 1 })
    const asked = await ingest(keys.red.ingest, 'flow', flowLines('red', t0), { 'x-palisade-tenant': 'blue' })
    expect(asked.status).toBe(403)
    // Nor can it read, even its own tenant.
    expect(
      (await fetch(`${running.dashboardUrl}/api/v1/findings`, { headers: json(keys.red.ingest) })).status,
    ).toBe(403)
  })

  it('a platform admin sees every tenant, one at a time, by naming it', async () => {
    for (const tenant of tenants) {
      const response = await fetch(`${running.dashboardUrl}/api/v1/findings`, {
        headers: json(token, { 'x-palisade-tenant': tenant }),
      })
      const text = await response.text()
      expect(text).toContain(`${tenant}.example`)
      expect(text).not.toContain(`${other(tenant)}.example`)
    }
    // A tenant admin naming another tenant is refused.
    const refused = await fetch(`${running.dashboardUrl}/api/v1/findings`, {
      headers: json(keys.red.admin, { 'x-palisade-tenant': 'blue' }),
    })
    expect(refused.status).toBe(403)
  })
})
