import { loadDashboards } from '@palisade/declarations'
import { type DashboardTestServer, startDashboardTestServer, testTokens } from '@palisade/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDashboardRoutes, defaultDashboardsDir } from './dashboard-app.ts'

// The rollout gate over the test server's SLOs: `sso` burns 15× over the hour and 16× over 5
// minutes (frozen); `payments` burned 2.1× over the hour but 0.4× over 5 minutes (recovered: open).
// Called the way Argo Rollouts' web metric (GET, bearer header) and Flagger's webhooks (POST of
// {name, namespace, phase, metadata}, no headers) call it.
let server: DashboardTestServer

beforeAll(async () => {
  server = await startDashboardTestServer((store) =>
    createDashboardRoutes({ ...store, dashboards: loadDashboards(defaultDashboardsDir) }),
  )
})
afterAll(() => server?.close())

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read field by field by the assertions
type Json = Record<string, any>

async function argo(service: string | undefined, token: string | null = testTokens.acme) {
  const query = service === undefined ? '' : `?service=${encodeURIComponent(service)}`
  const response = await fetch(`${server.base}/api/v1/gate${query}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  })
  return { status: response.status, body: (await response.json()) as Json }
}

async function flagger(body: unknown) {
  const response = await fetch(`${server.base}/api/v1/gate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: response.status, body: (await response.json()) as Json }
}

describe('GET /api/v1/gate (Argo Rollouts web metric)', () => {
  it('answers 200 frozen with the reason while the service budget burns above 2x over the hour', async () => {
    const { status, body } = await argo('sso')
    expect(status).toBe(200)
    expect(body).toMatchObject({ service: 'sso', state: 'frozen', open: false, frozen: true })
    expect(body.reasons).toEqual([expect.objectContaining({ slo: 'auth-availability' })])
    expect(body.message).toContain('Auth availability burning 15× its budget over the last hour')
  })

  it('answers open for a service whose burn has stopped, and for one without SLOs', async () => {
    expect((await argo('payments')).body).toMatchObject({ state: 'open', open: true })
    expect((await argo('nothing-here')).body).toMatchObject({ state: 'open', slos: [] })
  })

  it('refuses without a token or a service', async () => {
    expect((await argo('sso', null)).status).toBe(401)
    const missing = await argo(undefined)
    expect(missing.status).toBe(400)
    expect(missing.body.error.message).toContain('?service=')
  })

  it('lists every service gate for the dashboard', async () => {
    const response = await fetch(`${server.base}/api/v1/gates`, {
      headers: { authorization: `Bearer ${testTokens.acme}` },
    })
    const { gates } = (await response.json()) as Json
    expect(gates.map((gate: Json) => [gate.service, gate.state])).toEqual([
      ['payments', 'open'],
      ['sso', 'frozen'],
    ])
  })
})

describe('POST /api/v1/gate (Flagger webhook)', () => {
  const canary = { name: 'sso', namespace: 'identity', phase: 'Progressing' }

  it('holds a canary with a non-2xx while frozen, and lets it go on with 200 when open', async () => {
    const frozen = await flagger({ ...canary, metadata: { token: testTokens.acme } })
    expect(frozen.status).toBe(423)
    expect(frozen.body).toMatchObject({ service: 'sso', state: 'frozen' })
    const open = await flagger({ ...canary, metadata: { token: testTokens.acme, service: 'payments' } })
    expect(open.status).toBe(200)
    expect(open.body).toMatchObject({ service: 'payments', state: 'open' })
  })

  it('refuses a webhook without a token, or with another tenant token for its SLOs', async () => {
    expect((await flagger({ ...canary, metadata: {} })).status).toBe(401)
    expect((await flagger({ ...canary, metadata: { token: 'wrong' } })).status).toBe(401)
    // globex has no SLOs: its gate for sso is open, acme's burn is not globex's to see.
    expect((await flagger({ ...canary, metadata: { token: testTokens.globex } })).status).toBe(200)
  })
})
