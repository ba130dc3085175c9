import { loadDashboards } from '@palisade/declarations'
import { type DashboardTestServer, startDashboardTestServer, testTokens } from '@palisade/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { createDashboardRoutes, defaultDashboardsDir } from './dashboard-app.ts'

// The hunt routes over a real embedded ClickHouse seeded with two tenants (acme, globex).
let server: DashboardTestServer
let range: { from: number; to: number }

beforeAll(async () => {
  server = await startDashboardTestServer((store) =>
    createDashboardRoutes({ ...store, dashboards: loadDashboards(defaultDashboardsDir) }),
  )
  range = { from: server.now - 7 * 3600_000, to: server.now + 60_000 }
})
afterAll(() => server?.close())

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read field by field by the assertions
type Json = Record<string, any>
type Tenant = keyof typeof testTokens

async function call(method: string, path: string, body?: unknown, tenant: Tenant = 'acme') {
  const response = await fetch(`${server.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${testTokens[tenant]}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const type = response.headers.get('content-type') ?? ''
  return {
    status: response.status,
    headers: response.headers,
    body: (type.startsWith('application/json') ? await response.json() : await response.text()) as Json &
      string,
  }
}

const run = (query: string, tenant: Tenant = 'acme', extra: Json = {}) =>
  call('POST', '/api/v1/hunts/run', { query, ...range, ...extra }, tenant)

describe('POST /api/v1/hunts/run', () => {
  it("answers the signed-in tenant's rows only: the same hunt differs between tenants", async () => {
    const query = `SELECT count() AS n, groupUniqArray(substring(src_identity, 1, 15)) AS who FROM decision WHERE pdp = 'opa'`
    const acme = await run(query)
    expect(acme.status).toBe(200)
    expect(acme.body.columns.map((c: Json) => c.name)).toEqual(['n', 'who'])
    expect(acme.body.rows[0][0]).toBeGreaterThan(100)
    expect(acme.body.rows[0][1]).toEqual(['spiffe://acme.i'])
    const globex = await run(query, 'globex')
    expect(globex.body.rows[0][1]).not.toContain('spiffe://acme.i')
  })

  it('refuses with 400 and the reason, naming what to change', async () => {
    const refusals: [string, string][] = [
      ["SELECT * FROM decision_events WHERE tenant = 'globex'", 'stored_table'],
      ['DROP TABLE decision_events', 'write'],
      ['SELECT * FROM system.tables', 'system_table'],
      ["SELECT * FROM url('http://127.0.0.1:1/')", 'table_function'],
      ['SELECT * FROM decision SETTINGS max_rows_to_read = 0', 'settings'],
    ]
    for (const [query, reason] of refusals) {
      const { status, body } = await run(query)
      expect(status, query).toBe(400)
      expect(body.error).toMatchObject({ code: 'HUNT_REFUSED', reason })
    }
    const wide = await run('SELECT count() FROM decision', 'acme', { from: server.now - 60 * 86_400_000 })
    expect(wide.status).toBe(400)
    expect(wide.body.error.message).toContain('at most 31 days')
  })

  it('refuses a hunt without a session or token', async () => {
    const response = await fetch(`${server.base}/api/v1/hunts/run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'SELECT 1' }),
    })
    expect(response.status).toBe(401)
  })
})

describe('GET /api/v1/hunts/export', () => {
  const exportPath = (format: string) =>
    `/api/v1/hunts/export?${new URLSearchParams({
      format,
      query: `SELECT request_id, decision, policy_id FROM decision WHERE decision = 'deny' AND pdp = 'opa' ORDER BY request_id LIMIT 3`,
      from: String(range.from),
      to: String(range.to),
    })}`

  it('exports CSV with a header row, as an attachment', async () => {
    const { status, headers, body } = await call('GET', exportPath('csv'))
    expect(status).toBe(200)
    expect(headers.get('content-disposition')).toContain('hunt.csv')
    const lines = body.trimEnd().split('\r\n')
    expect(lines[0]).toBe('request_id,decision,policy_id')
    expect(lines).toHaveLength(4)
    expect(lines[1]).toMatch(/^req-\d+-\d+-\d+,deny,[a-z-]+\.requires_mfa$/)
  })

  it('exports NDJSON, one object a row', async () => {
    const { body } = await call('GET', exportPath('ndjson'))
    const rows = body
      .trimEnd()
      .split('\n')
      .map((line: string) => JSON.parse(line))
    expect(rows).toHaveLength(3)
    expect(rows[0]).toMatchObject({ decision: 'deny', request_id: expect.stringMatching(/^req-/) })
  })
})

describe('saved hunts', () => {
  it('saves a hunt that runs, opens it by id for its tenant, and not for another', async () => {
    const query = "SELECT subject, count() AS denies FROM decision WHERE decision = 'deny' GROUP BY subject"
    const saved = await call('POST', '/api/v1/hunts', { name: 'Denies by subject', query, range: '24h' })
    expect(saved.status).toBe(201)
    expect(saved.body.id).toMatch(/^[A-Za-z0-9_-]{12}$/)
    const opened = await call('GET', `/api/v1/hunts/${saved.body.id}`)
    expect(opened.body).toMatchObject({ name: 'Denies by subject', query, range: '24h' })
    expect((await call('GET', `/api/v1/hunts/${saved.body.id}`, undefined, 'globex')).status).toBe(404)
    expect((await call('GET', '/api/v1/hunts')).body.hunts.map((h: Json) => h.id)).toContain(saved.body.id)
  })

  it('refuses to save a hunt that would be refused', async () => {
    const { status, body } = await call('POST', '/api/v1/hunts', {
      name: 'sneaky',
      query: 'SELECT * FROM system.tables',
      range: '24h',
    })
    expect(status).toBe(400)
    expect(body.error.reason).toBe('system_table')
  })

  it('turns a saved hunt into a rule file: detector hunt, its query, a test that must fire and one that must not', async () => {
    const query = "SELECT subject FROM decision WHERE decision = 'deny'"
    const saved = await call('POST', '/api/v1/hunts', { name: 'Denied subjects', query, range: '1h' })
    const { status, body } = await call('GET', `/api/v1/hunts/${saved.body.id}/rule`)
    expect(status).toBe(200)
    const rule = parse(body).rules[0]
    expect(rule).toMatchObject({ id: 'hunt.denied_subjects', detector: 'hunt', params: { query } })
    expect(rule.tests.map((t: Json) => t.expect.length)).toEqual([1, 0])
  })
})
