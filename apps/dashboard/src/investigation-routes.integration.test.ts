import { loadDashboards } from '@palisade/declarations'
import { type DashboardTestServer, startDashboardTestServer, testTokens } from '@palisade/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDashboardRoutes, defaultDashboardsDir } from './dashboard-app.ts'

// The investigation routes over a real embedded ClickHouse seeded with two tenants.
let server: DashboardTestServer
let range: string

beforeAll(async () => {
  server = await startDashboardTestServer((store) =>
    createDashboardRoutes({ ...store, dashboards: loadDashboards(defaultDashboardsDir) }),
  )
  range = `from=${server.now - 7 * 3600_000}&to=${server.now + 60_000}`
})
afterAll(() => server?.close())

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read field by field by the assertions
type Json = Record<string, any>
const FRONTEND = 'spiffe://acme.io/ns/shop/sa/frontend'
const POSTGRES = 'spiffe://acme.io/ns/data/sa/postgres'

async function get(path: string, tenant: keyof typeof testTokens = 'acme') {
  const response = await fetch(`${server.base}${path}`, {
    headers: { authorization: `Bearer ${testTokens[tenant]}` },
  })
  return { status: response.status, body: (await response.json()) as Json }
}

const entity = (kind: string, value: string, query = range) =>
  `/api/v1/entities/${kind}/${encodeURIComponent(value)}?${query}`

describe('GET /api/v1/findings/:id', () => {
  it('opens a finding with the stored events it cites, its baseline and the intent it contradicts', async () => {
    const { status, body } = await get('/api/v1/findings/acme-new-edge')
    expect(status).toBe(200)
    expect(body.finding).toMatchObject({ finding_id: 'acme-new-edge', rule: 'lateral.new_edge' })
    const { evidence } = body
    expect(evidence.eventIds).toHaveLength(1)
    expect(evidence.missingEventIds).toEqual([])
    expect(evidence.events).toHaveLength(1)
    expect(evidence.events[0]).toMatchObject({
      kind: 'flow',
      event_id: evidence.eventIds[0],
      fields: { src_identity: FRONTEND, dst_identity: POSTGRES, dst_port: 5432 },
    })
    expect(evidence.baseline).toMatchObject({ baseline_edges: 10, baseline_since: expect.any(Number) })
    expect(evidence.intent).toEqual({ sensitive_service: true })
  })

  it('reads ids under any *event_ids key and says which are not stored rather than hiding them', async () => {
    const { body } = await get('/api/v1/findings/acme-deny-spike')
    expect(body.evidence).toMatchObject({
      eventIds: ['rollout-r42-not-stored'],
      events: [],
      missingEventIds: ['rollout-r42-not-stored'],
      baseline: { before: 0.06 },
      other: { after: 0.5 },
    })
  })

  it('answers a finding that cites no events with its other evidence', async () => {
    const { body } = await get('/api/v1/findings/acme-spray')
    expect(body.evidence).toMatchObject({ eventIds: [], events: [], missingEventIds: [] })
    expect(body.evidence.other).toEqual({ failures: 41, users: 37 })
  })

  it("answers 404 for another tenant's finding, as for one that does not exist", async () => {
    expect((await get('/api/v1/findings/globex-secret-edge', 'acme')).status).toBe(404)
    expect((await get('/api/v1/findings/acme-new-edge', 'globex')).status).toBe(404)
    expect((await get('/api/v1/findings/globex-secret-edge', 'globex')).status).toBe(200)
  })

  it('refuses a malformed id or parameters with a reason', async () => {
    const bad = await get(`/api/v1/findings/${encodeURIComponent("x' OR 1=1")}`)
    expect(bad.status).toBe(400)
    expect(bad.body.error.message).toContain('id:')
    const extra = await get('/api/v1/findings/acme-new-edge?limit=5')
    expect(extra.status).toBe(400)
    expect(extra.body.error.message).toContain('no parameters')
  })
})

describe('GET /api/v1/entities/:kind/:value', () => {
  it('answers a SPIFFE ID: a timeline across kinds, peers, first/last seen and risk from findings', async () => {
    const { status, body } = await get(entity('spiffe', FRONTEND))
    expect(status).toBe(200)
    expect(body).toMatchObject({ kind: 'spiffe', value: FRONTEND })
    const kinds = new Set(body.timeline.map((row: Json) => row.kind))
    expect(kinds).toEqual(new Set(['flow', 'decision', 'finding']))
    expect(body.counts.flow).toBe(32)
    expect(body.counts.finding).toBe(1)
    // Newest first.
    const times = body.timeline.map((row: Json) => row.ts_ms)
    expect(times).toEqual([...times].sort((a: number, b: number) => b - a))
    expect(body.firstSeenMs).toBeLessThan(body.lastSeenMs)
    expect(body.peers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ peer: POSTGRES, direction: 'out', dst_port: 5432, flows: 2 }),
        expect.objectContaining({
          peer: 'spiffe://acme.io/ns/edge/sa/api-gateway',
          direction: 'out',
          flows: 30,
        }),
      ]),
    )
    expect(body.risk).toEqual({
      score: 10,
      contributions: [expect.objectContaining({ finding_id: 'acme-new-edge', severity: 'page', points: 10 })],
    })
  })

  it('answers a client IP with its auth finding and incident notifications', async () => {
    const { body } = await get(entity('ip', '203.0.113.7'))
    expect(body.timeline.map((row: Json) => row.kind).sort()).toEqual(['finding', 'notification'])
    expect(body.risk.score).toBe(10)
  })

  it("answers a WAF's client IP with the decisions the WAFs made on its requests", async () => {
    const { body } = await get(entity('ip', '203.0.113.45'))
    expect(body.counts.decision).toBeGreaterThan(50)
    const waf = body.timeline.find((row: Json) => row.kind === 'decision')
    expect(waf).toMatchObject({ outcome: 'deny', text: expect.stringMatching(/^203\.0\.113\.45 GET \//) })
  })

  it('answers a policy revision with the decisions made under it', async () => {
    const { body } = await get(entity('revision', 'r42', `${range}&limit=5`))
    expect(body.timeline).toHaveLength(5)
    expect(body.counts.decision).toBeGreaterThan(5)
    expect(body.timeline.every((row: Json) => row.kind === 'decision' && row.text.includes('@r42'))).toBe(
      true,
    )
  })

  it('narrows the timeline to one kind with only=, the counts still covering every kind', async () => {
    const { body } = await get(entity('spiffe', FRONTEND, `${range}&only=flow`))
    expect(body.only).toBe('flow')
    expect(body.timeline).toHaveLength(32)
    expect(body.timeline.every((row: Json) => row.kind === 'flow')).toBe(true)
    expect(body.counts).toMatchObject({ flow: 32, finding: 1 })
  })

  it("shows nothing of another tenant's entity", async () => {
    const { status, body } = await get(entity('spiffe', 'spiffe://globex.io/ns/apps/sa/billing'), 'acme')
    expect(status).toBe(200)
    expect(body).toMatchObject({ timeline: [], peers: [], firstSeenMs: null, risk: { score: 0 } })
    const own = await get(entity('spiffe', 'spiffe://globex.io/ns/apps/sa/billing'), 'globex')
    expect(own.body.timeline.length).toBeGreaterThan(0)
    expect(JSON.stringify((await get(entity('spiffe', FRONTEND), 'globex')).body.timeline)).toBe('[]')
    // acme's finding and incident name this IP: none of it reaches globex.
    const ip = await get(entity('ip', '203.0.113.7'), 'globex')
    expect(ip.body).toMatchObject({ timeline: [], counts: {}, risk: { score: 0, contributions: [] } })
  })

  it.each([
    ['an unknown kind', entity('table', 'x'), 'kind: must be one of'],
    ['a value with spaces', entity('user', 'a b'), 'value:'],
    ['a range over 31 days', entity('user', 'ann', `from=0&to=${40 * 86_400_000}`), 'at most 31 days'],
    ['a reversed range', entity('user', 'ann', 'from=2000&to=1000'), 'before to'],
    ['too many rows', entity('user', 'ann', 'limit=100000'), 'limit:'],
    ['an unknown parameter', entity('user', 'ann', 'tenant=globex'), 'unknown parameter'],
    ['an unknown timeline kind', entity('user', 'ann', 'only=system.tables'), 'only: must be one of'],
  ])('refuses %s with 400 and a reason', async (_name, path, reason) => {
    const { status, body } = await get(path)
    expect(status).toBe(400)
    expect(body.error.message).toContain(reason)
  })
})

describe('GET /api/v1/incidents/:key', () => {
  it('opens an incident: its notifications newest first and the findings of its rule', async () => {
    const { status, body } = await get(`/api/v1/incidents/k-spray?${range}`)
    expect(status).toBe(200)
    expect(body.notifications).toEqual([
      expect.objectContaining({ alertname: 'auth.password_spray', action: 'trigger', receiver: 'pagerduty' }),
    ])
    expect(body.findings).toEqual([expect.objectContaining({ kind: 'finding', id: 'acme-spray' })])
  })

  it("answers 404 for another tenant's incident and refuses bad parameters", async () => {
    expect((await get(`/api/v1/incidents/k-globex?${range}`, 'acme')).status).toBe(404)
    expect((await get(`/api/v1/incidents/k-globex?${range}`, 'globex')).status).toBe(200)
    const bad = await get(`/api/v1/incidents/k-spray?from=abc`)
    expect(bad.status).toBe(400)
    expect(bad.body.error.message).toContain('from:')
  })
})

describe('GET /api/v1/panels/top_denied', () => {
  it('names the caller, enforcement point, revision and reason of every deny', async () => {
    const { body } = await get(`/api/v1/panels/top_denied?${range}`)
    expect(body.rows.length).toBeGreaterThan(10)
    for (const row of body.rows.filter((row: { pdp: string }) => row.pdp === 'opa')) {
      expect(row.caller).toMatch(/^(user:|spiffe:)/)
      expect(row.enforcement_point).toBe('envoy-sidecar')
      expect(row.policy_revision).toMatch(/^r4[12]$/)
      expect(row.reason).toMatch(/^denied by [a-z-]+\.requires_mfa$/)
    }
    // A WAF names no user or workload: its caller is the client address, its reason the rule's words.
    const waf = body.rows.filter((row: { pdp: string }) => row.pdp !== 'opa')
    expect(waf.length).toBeGreaterThan(10)
    for (const row of waf) {
      expect(row.caller).toMatch(/^\d+\.\d+\.\d+\.\d+$/)
      expect(row.enforcement_point).toMatch(/^(shop-edge-acl|storefront-waf)$/)
      expect(row.reason).not.toBe('')
      // ModSecurity names its rule set's version; AWS WAF logs none.
      if (row.pdp === 'modsecurity') expect(row.policy_revision).toBe('OWASP_CRS/4.25.1')
    }
  })
})
