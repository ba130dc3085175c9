import { loadDashboards } from '@palisade/declarations'
import { type DashboardTestServer, startDashboardTestServer, testTokens } from '@palisade/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDashboardRoutes, defaultDashboardsDir } from './dashboard-app.ts'

// A real embedded ClickHouse, seeded through the event writer and the finding store, behind a
// real HTTP server.
let server: DashboardTestServer
let from: number
let to: number

beforeAll(async () => {
  server = await startDashboardTestServer((store) =>
    createDashboardRoutes({ ...store, dashboards: loadDashboards(defaultDashboardsDir) }),
  )
  from = server.now - 7 * 3600_000
  to = server.now + 60_000
})
afterAll(() => server?.close())

type Json = Record<string, unknown>
type Row = Record<string, unknown>
const bearer = (tenant: keyof typeof testTokens) => ({ authorization: `Bearer ${testTokens[tenant]}` })

async function get(path: string, headers: Record<string, string> = bearer('acme')) {
  const response = await fetch(`${server.base}${path}`, { headers })
  return { status: response.status, headers: response.headers, body: (await response.json()) as Json }
}

async function panel(name: string, tenant: keyof typeof testTokens = 'acme', extra = ''): Promise<Row[]> {
  const answer = await get(`/api/v1/panels/${name}?from=${from}&to=${to}${extra}`, bearer(tenant))
  expect(answer.status).toBe(200)
  return answer.body.rows as Row[]
}

async function login(token: string, headers: Record<string, string> = {}) {
  return fetch(`${server.base}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ token }),
  })
}

function cookieOf(response: Response): string {
  const header = response.headers.get('set-cookie') ?? ''
  return header.split(';')[0] ?? ''
}

describe('dashboard API > authentication', () => {
  const routes: [string, string][] = [
    ['GET', '/api/v1/session'],
    ['DELETE', '/api/v1/session'],
    ['GET', '/api/v1/findings'],
    ['GET', '/api/v1/slos'],
    ['GET', '/api/v1/slos/auth-availability/burn-rate'],
    ['GET', '/api/v1/slos/auth-availability/budget'],
    ['GET', '/api/v1/dashboards'],
    ['GET', '/api/v1/dashboards/oncall'],
    ['GET', '/api/v1/panels/service_graph'],
    ['GET', '/api/v1/panels/no_such_query'],
    ['GET', '/api/v1/anything-else'],
  ]

  it.each(routes)('answers %s %s with a JSON 401 without a cookie or a token', async (method, path) => {
    const response = await fetch(`${server.base}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
    })
    expect(response.status).toBe(401)
    expect(((await response.json()) as Json).error).toMatchObject({ code: 'UNAUTHENTICATED' })
  })

  it('refuses a wrong bearer token even when a valid session cookie comes with it', async () => {
    const cookie = cookieOf(await login(testTokens.acme))
    const response = await fetch(`${server.base}/api/v1/findings`, {
      headers: { cookie, authorization: 'Bearer nope' },
    })
    expect(response.status).toBe(401)
  })

  it('refuses a forged session cookie', async () => {
    const response = await fetch(`${server.base}/api/v1/findings`, {
      headers: { cookie: 'palisade_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
    })
    expect(response.status).toBe(401)
  })

  it('logs in with a token, sets an HttpOnly SameSite=Strict cookie, and logs out', async () => {
    const response = await login(testTokens.acme)
    expect(response.status).toBe(201)
    expect(await response.json()).toMatchObject({ tenant: 'acme' })
    const setCookie = response.headers.get('set-cookie') ?? ''
    expect(setCookie).toMatch(/^palisade_session=[A-Za-z0-9_-]{43};/)
    expect(setCookie).toContain('HttpOnly')
    expect(setCookie).toContain('SameSite=Strict')
    expect(setCookie).toContain('Path=/')
    // Plain http: a Secure cookie would never be sent back.
    expect(setCookie).not.toContain('Secure')
    const cookie = cookieOf(response)

    const session = await get('/api/v1/session', { cookie })
    expect(session).toMatchObject({ status: 200, body: { tenant: 'acme' } })
    expect((await get('/api/v1/findings', { cookie })).status).toBe(200)

    const logout = await fetch(`${server.base}/api/v1/session`, {
      method: 'DELETE',
      headers: { cookie, 'content-type': 'application/json' },
    })
    expect(logout.status).toBe(204)
    expect(logout.headers.get('set-cookie')).toContain('Max-Age=0')
    expect((await get('/api/v1/findings', { cookie })).status).toBe(401)
  })

  it('refuses a login with an unknown token', async () => {
    const response = await login('not-a-token')
    expect(response.status).toBe(401)
    expect(response.headers.get('set-cookie')).toBeNull()
  })

  it('refuses a login that is not JSON or comes from another origin (CSRF)', async () => {
    const form = await fetch(`${server.base}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${testTokens.acme}`,
    })
    expect(form.status).toBe(415)
    expect((await login(testTokens.acme, { origin: 'https://evil.example' })).status).toBe(403)
    expect((await login(testTokens.acme, { origin: server.base })).status).toBe(201)
  })

  it('refuses a cookie-authenticated logout that is not JSON', async () => {
    const cookie = cookieOf(await login(testTokens.acme))
    const response = await fetch(`${server.base}/api/v1/session`, { method: 'DELETE', headers: { cookie } })
    expect(response.status).toBe(415)
    expect((await get('/api/v1/session', { cookie })).status).toBe(200)
  })
})

describe('dashboard API > findings', () => {
  it('lists the tenant findings newest first', async () => {
    const { status, body } = await get(`/api/v1/findings?from=${from}&to=${to}`)
    expect(status).toBe(200)
    const findings = body.findings as { finding_id: string; ts: number; tenant: string }[]
    expect(findings.map((f) => f.finding_id)).toEqual([
      'acme-new-edge',
      'acme-deny-spike',
      'acme-spray',
      'acme-plaintext',
      'acme-drift',
    ])
    expect(new Set(findings.map((f) => f.tenant))).toEqual(new Set(['acme']))
  })

  it('filters by severity, rule and limit', async () => {
    const pages = (await get(`/api/v1/findings?from=${from}&to=${to}&severity=page`)).body.findings as Row[]
    expect(pages.map((f) => f.finding_id)).toEqual(['acme-new-edge', 'acme-spray'])
    const rule = (await get(`/api/v1/findings?from=${from}&to=${to}&rule=mtls.plaintext`)).body
      .findings as Row[]
    expect(rule.map((f) => f.finding_id)).toEqual(['acme-plaintext'])
    const limited = (await get(`/api/v1/findings?from=${from}&to=${to}&limit=2`)).body.findings as Row[]
    expect(limited).toHaveLength(2)
  })

  it('accepts relative and ISO times', async () => {
    const relative = await get('/api/v1/findings?from=now-7h')
    expect(relative.status).toBe(200)
    expect((relative.body.findings as Row[]).length).toBe(5)
    const iso = await get(
      `/api/v1/findings?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`,
    )
    expect((iso.body.findings as Row[]).length).toBe(5)
  })

  it.each([
    ['from=yesterday', 'from'],
    [`from=${Date.now()}&to=${Date.now() - 1000}`, 'before to'],
    ['severity=urgent', 'severity'],
    ['rule=DROP%20TABLE', 'rule'],
    ['limit=0', 'limit'],
    ['limit=9999999', 'limit'],
    ['limit=1&limit=2', 'limit'],
    ['sort=asc', 'unknown parameter'],
    ['from=2026-01-01T00:00:00', 'from'],
  ])('answers 400 with a reason for %s', async (query, reason) => {
    const { status, body } = await get(`/api/v1/findings?${query}`)
    expect(status).toBe(400)
    expect((body.error as Json).message).toContain(reason)
  })
})

describe('dashboard API > SLOs and dashboards', () => {
  it('answers the SLO statuses of the tenant, worst first', async () => {
    const { body } = await get('/api/v1/slos')
    // The source declares decision-latency first; auth-availability pages, so it leads.
    expect((body.slos as Row[]).map((s) => s.name)).toEqual(['auth-availability', 'decision-latency'])
    expect((await get('/api/v1/slos', bearer('globex'))).body).toEqual({ slos: [] })
  })

  it('says how much of the window the data covers, and when the budget runs out', async () => {
    const { body } = await get('/api/v1/slos')
    const [auth, latency] = body.slos as Row[]
    expect(auth?.coverage).toMatchObject({ covered: '8h', complete: false, coveredMs: 8 * 3600_000 })
    expect(auth?.budget).toMatchObject({ over: 'covered', currentBurnWindow: '1h', exhaustsInMs: 0 })
    expect(latency?.coverage).toMatchObject({ covered: '30d', complete: true })
    // 62% left at 2.1x the budget rate over the last hour: 0.62 × 30d / 2.1 ≈ 8.86 days.
    expect(latency?.budget).toMatchObject({ over: 'window', currentBurnRate: 2.1 })
    expect(Number((latency?.budget as Json | undefined)?.exhaustsInMs) / 86_400_000).toBeCloseTo(
      (0.62 * 30) / 2.1,
      2,
    )
  })

  it('answers the budget burn-down over the window, 404 for an unknown SLO or tenant', async () => {
    const { status, body } = await get('/api/v1/slos/decision-latency/budget')
    expect(status).toBe(200)
    expect(body).toMatchObject({ slo: 'decision-latency', window: '30d' })
    const points = body.points as Row[]
    expect(points[0]).toMatchObject({ budgetRemaining: 1, total: 0 })
    expect(Number(points.at(-1)?.budgetRemaining)).toBeCloseTo(0.62, 6)
    expect((await get('/api/v1/slos/nope/budget')).status).toBe(404)
    expect((await get('/api/v1/slos/decision-latency/budget', bearer('globex'))).status).toBe(404)
    expect((await get('/api/v1/slos/not%20a%20name/budget')).status).toBe(400)
  })

  it('answers a burn-rate series with the requested step, and 404 for an unknown SLO', async () => {
    const { status, body } = await get(
      `/api/v1/slos/auth-availability/burn-rate?from=${from}&to=${to}&step=5m&window=1h`,
    )
    expect(status).toBe(200)
    expect(body).toMatchObject({ slo: 'auth-availability', stepMs: 300_000, windowMs: 3600_000 })
    expect((body.points as Row[]).length).toBeGreaterThan(20)
    expect((await get('/api/v1/slos/nope/burn-rate')).status).toBe(404)
    expect((await get('/api/v1/slos/auth-availability/burn-rate', bearer('globex'))).status).toBe(404)
    expect((await get(`/api/v1/slos/auth-availability/burn-rate?from=${from}&to=${to}&step=1s`)).status).toBe(
      400,
    )
    expect((await get(`/api/v1/slos/auth-availability/burn-rate?from=now-30d&step=1m`)).status).toBe(400)
  })

  it('lists the declared dashboards and answers each declaration', async () => {
    const list = (await get('/api/v1/dashboards')).body.dashboards as Row[]
    expect(list.map((d) => d.id)).toEqual(['debug', 'executive', 'oncall', 'slos'])
    const oncall = (await get('/api/v1/dashboards/oncall')).body
    expect((oncall.panels as Row[]).map((p) => p.type)).toEqual(
      expect.arrayContaining([
        'slo-status',
        'timeseries',
        'findings-table',
        'service-graph',
        'incidents',
        'table',
      ]),
    )
    expect((await get('/api/v1/dashboards/nope')).status).toBe(404)
  })
})

describe('dashboard API > panels', () => {
  it('answers the service graph with counts, blocked counts and first seen', async () => {
    const edges = await panel('service_graph')
    const edge = (src: string, dst: string) =>
      edges.find((e) => String(e.src).endsWith(src) && String(e.dst).endsWith(dst))
    expect(edge('/frontend', '/api-gateway')).toMatchObject({ dst_port: 8443, flows: 30, blocked: 0 })
    expect(edge('/orders', '/payments')).toMatchObject({ dst_port: 8081, flows: 3, blocked: 3 })
    expect(edge('/frontend', '/postgres')?.first_seen_ms).toEqual(expect.any(Number))
    expect(edges.filter((e) => Number(e.flows) > 0)).toHaveLength(11)
    // The decision logs' requests come on their own rows (a decision names no port).
    expect(edges.filter((e) => Number(e.flows) === 0).map((e) => [e.dst_port, e.requests])).toEqual([
      [0, 720],
      [0, 720],
      [0, 720],
    ])
  })

  it('answers the service graph with namespaces, mTLS state per link and rates', async () => {
    const edges = await panel('service_graph')
    const edge = (src: string, dst: string) =>
      edges.find((e) => String(e.src).endsWith(src) && String(e.dst).endsWith(dst) && Number(e.flows) > 0)
    expect(edge('/frontend', '/api-gateway')).toMatchObject({
      src_namespace: 'shop',
      dst_namespace: 'edge',
      mtls: 'mutual',
    })
    // 720 requests (more than its 30 flows) over the 7 h 1 min asked for.
    expect(edge('/frontend', '/api-gateway')?.rate_per_s).toBeCloseTo(720 / ((to - from) / 1000), 9)
    // Mutual flows, but one handshake ran in plaintext: the link shows the bypass.
    expect(edge('/api-gateway', '/orders')).toMatchObject({ mtls: 'plaintext', handshake_failures: 6 })
    expect(edge('/legacy-batch', '/orders')).toMatchObject({ mtls: 'plaintext', src_namespace: 'batch' })
    expect(edge('/orders', '/kafka')).toMatchObject({ mtls: 'unknown', dst_namespace: 'data' })
  })

  it('narrows the service graph by namespace, denies, mTLS state and rate', async () => {
    const links = async (filter: string) =>
      [...new Set((await panel('service_graph', 'acme', filter)).map((e) => `${e.src}>${e.dst}`))]
        .map((link) => link.replace(/spiffe:\/\/acme\.io\/ns\/[a-z]+\/sa\//g, ''))
        .sort()
    expect(await links('&namespace=finance')).toEqual(['payments>ledger'])
    expect(await links('&mtls=plaintext')).toEqual(['api-gateway>orders', 'legacy-batch>orders'])
    const denied = await links('&denied=true')
    expect(denied).toContain('orders>payments')
    expect(denied).toContain('frontend>payments')
    expect(denied).not.toContain('orders>inventory')
    expect(await links('&min_rate=0.02')).toEqual([
      'frontend>api-gateway',
      'frontend>orders',
      'frontend>payments',
    ])
    expect(await links('&namespace=data&mtls=unknown')).toEqual(['frontend>postgres', 'orders>kafka'])
    const bad = await get(`/api/v1/panels/service_graph?mtls=strict`)
    expect(bad.status).toBe(400)
    expect((bad.body.error as Json).message).toContain('mtls')
    // The filters are the service graph's: another panel refuses them.
    expect((await get('/api/v1/panels/top_denied?namespace=shop')).status).toBe(400)
  })

  it('answers new edges from lateral.new_edge findings', async () => {
    expect(await panel('new_edges')).toEqual([
      expect.objectContaining({
        finding_id: 'acme-new-edge',
        src: 'spiffe://acme.io/ns/shop/sa/frontend',
        dst: 'spiffe://acme.io/ns/data/sa/postgres',
        dst_port: 5432,
      }),
    ])
  })

  it('answers auth success per bucket from the rollup, a user mistake not counted as bad', async () => {
    const rows = await panel('auth_success_series')
    const total = rows.reduce((sum, row) => sum + Number(row.total), 0)
    const systemFailures = rows.reduce((sum, row) => sum + Number(row.system_failure_count), 0)
    expect(total).toBe(180 * 12)
    expect(systemFailures).toBe(3 * 3)
    for (const row of rows) expect(row.good).toBe(Number(row.total) - Number(row.system_failure_count))
  })

  it('answers decision latency percentiles merged per bucket, p50 ≤ p95 ≤ p99', async () => {
    const rows = await panel('decision_latency', 'acme', '&step=10m')
    expect(rows.length).toBeGreaterThanOrEqual(36)
    for (const row of rows) {
      expect(Number(row.p50_ms)).toBeLessThanOrEqual(Number(row.p95_ms))
      expect(Number(row.p95_ms)).toBeLessThanOrEqual(Number(row.p99_ms))
    }
    // The payments regression 20-30 minutes ago lifts the tail of its buckets above 50 ms.
    expect(Math.max(...rows.map((row) => Number(row.p99_ms)))).toBeGreaterThan(50)
    expect(rows.map((row) => Number(row.ts_ms) % 600_000)).toEqual(rows.map(() => 0))
  })

  it('answers deny ratio, PDP errors and mTLS failures per bucket', async () => {
    const denies = await panel('deny_ratio_series')
    // The OPA decisions of three services, and the WAF decisions the seed adds (waf-seed.ts).
    expect(denies.reduce((sum, row) => sum + Number(row.total), 0)).toBe(180 * 3 * 4 + 90 * 3 + 6 + 30)
    expect(denies.reduce((sum, row) => sum + Number(row.error_count), 0)).toBe(2)
    expect(Math.max(...denies.map((row) => Number(row.deny_ratio)))).toBeGreaterThan(0.1)
    const mtls = await panel('mtls_failures_series')
    expect(mtls.reduce((sum, row) => sum + Number(row.failure_count), 0)).toBe(3 * 2)
    expect(mtls.reduce((sum, row) => sum + Number(row.plaintext_count), 0)).toBe(1)
  })

  it('answers active incidents: the newest state per dedup key, resolved ones left out', async () => {
    const incidents = await panel('active_incidents')
    expect(incidents.map((row) => row.dedup_key)).toEqual(['k-slo', 'k-spray', 'k-mtls'])
    expect(incidents[0]).toMatchObject({
      alert: 'AuthAvailabilityBurnRate',
      last_severity: 'page',
      receivers: ['pagerduty'],
    })
  })

  it('answers recent denies with their context, newest first', async () => {
    const rows = await panel('top_denied', 'acme', '&limit=500')
    expect(rows.length).toBeGreaterThan(20)
    expect(rows.find((row) => row.pdp === 'opa')).toMatchObject({
      service: expect.any(String),
      subject: expect.stringMatching(/^user:/),
      policy_id: expect.stringContaining('requires_mfa'),
    })
    const times = rows.map((row) => Number(row.ts_ms))
    expect(times).toEqual([...times].sort((a, b) => b - a))
    // Every row names its caller (a user, a workload, or a WAF's client address) and a reason.
    expect(rows.filter((row) => row.caller === '' || row.reason === '')).toEqual([])
    expect(rows.find((row) => row.pdp === 'aws_waf')).toMatchObject({
      caller: expect.stringMatching(/^(203\.0\.113\.45|198\.51\.100\.23|192\.0\.2\.77)$/),
      enforcement_point: 'shop-edge-acl',
      reason: expect.stringMatching(/^block by /),
    })
    expect(rows.find((row) => row.pdp === 'modsecurity')).toMatchObject({
      caller: '203.0.113.45',
      enforcement_point: 'storefront-waf',
      policy_revision: 'OWASP_CRS/4.25.1',
      policy_id: '949110',
    })
  })

  it('answers the top triggered WAF rules with their actions and top clients, most hits first', async () => {
    const rows = await panel('top_waf_rules', 'acme')
    expect(rows.map((row) => [row.rule_id, row.rule_action, row.hit_count])).toEqual([
      ['AWSManagedRulesBotControlRuleSet/CategoryHttpLibrary', 'count', 180],
      ['AWSManagedRulesSQLiRuleSet/SQLi_QUERYARGUMENTS', 'block', 90],
      ['942100', 'match', 30],
      ['949110', 'block', 30],
      ['rate-limit-login', 'block', 6],
    ])
    const sqli = rows.find((row) => row.rule_id === 'AWSManagedRulesSQLiRuleSet/SQLi_QUERYARGUMENTS')
    expect(sqli).toMatchObject({ enforcement_point: 'shop-edge-acl', denied_count: 90 })
    expect((sqli?.top_client_ips as string[] | undefined)?.[0]).toBe('203.0.113.45')
    expect(await panel('top_waf_rules', 'globex')).toEqual([])
  })

  it('answers an unknown query name with 404, and bad parameters with 400', async () => {
    expect((await get('/api/v1/panels/drop_table')).status).toBe(404)
    expect((await get('/api/v1/panels/toString')).status).toBe(404)
    const bad = await get('/api/v1/panels/decision_latency?step=90s')
    expect(bad.status).toBe(400)
    expect((bad.body.error as Json).message).toContain('step')
    expect((await get('/api/v1/panels/decision_latency?from=now-90d')).status).toBe(400)
    expect((await get('/api/v1/panels/top_denied?limit=100000')).status).toBe(400)
  })
})

describe('dashboard API > tenant isolation', () => {
  it('shows a second tenant none of the first tenant findings, edges, incidents or series', async () => {
    const findings = (await get(`/api/v1/findings?from=${from}&to=${to}`, bearer('globex'))).body
      .findings as Row[]
    expect(findings.map((f) => f.finding_id)).toEqual(['globex-secret-edge'])
    const edges = await panel('service_graph', 'globex')
    expect(edges).toEqual([
      expect.objectContaining({
        src: 'spiffe://globex.io/ns/apps/sa/billing',
        dst: 'spiffe://globex.io/ns/sec/sa/vault',
      }),
    ])
    expect((await panel('new_edges', 'globex')).map((row) => row.finding_id)).toEqual(['globex-secret-edge'])
    expect((await panel('active_incidents', 'globex')).map((row) => row.dedup_key)).toEqual(['k-globex'])
    expect(await panel('decision_latency', 'globex')).toEqual([])
    expect(await panel('top_denied', 'globex')).toEqual([])
  })

  it('keeps the second tenant finding out of the first tenant answers', async () => {
    const findings = (await get(`/api/v1/findings?from=${from}&to=${to}`)).body.findings as Row[]
    expect(findings.map((f) => f.finding_id)).not.toContain('globex-secret-edge')
    const edges = await panel('service_graph')
    expect(edges.some((e) => String(e.src).includes('globex'))).toBe(false)
  })

  it('scopes a browser session to the tenant of its token', async () => {
    const cookie = cookieOf(await login(testTokens.globex))
    const findings = (await get(`/api/v1/findings?from=${from}&to=${to}`, { cookie })).body.findings as Row[]
    expect(findings.map((f) => f.finding_id)).toEqual(['globex-secret-edge'])
  })
})

describe('dashboard static front end', () => {
  it('serves the page with a Content-Security-Policy of default-src self', async () => {
    const response = await fetch(`${server.base}/`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('text/html')
    expect(response.headers.get('content-security-policy')).toMatch(/^default-src 'self'/)
    const html = await response.text()
    // No inline script: every <script> has a src.
    expect(html.match(/<script(?![^>]*\bsrc=)[^>]*>/g)).toBeNull()
  })

  it('serves d3 from the installed package and the app module', async () => {
    const d3 = await fetch(`${server.base}/vendor/d3/d3.min.js`)
    expect(d3.status).toBe(200)
    expect(await d3.text()).toContain('d3js.org')
    const app = await fetch(`${server.base}/app.js`)
    expect(app.status).toBe(200)
    expect(app.headers.get('content-type')).toContain('javascript')
    expect(app.headers.get('content-security-policy')).toMatch(/^default-src 'self'/)
    // The bundle of web/: the modules are inlined, none left for the browser to fetch.
    const script = await app.text()
    expect(script).toContain('function parseHash')
    expect(script).not.toMatch(/^\s*import\s/m)
  })
})
