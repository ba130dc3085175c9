import { loadDashboards } from '@palisade/declarations'
import { type DashboardTestServer, startDashboardTestServer, testTokens } from '@palisade/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDashboardRoutes, defaultDashboardsDir } from './dashboard-app.ts'

// Acting on incidents through the dashboard's API over a real embedded ClickHouse seeded with two
// tenants' incidents: what is accepted lands in the action log (and a silence in the silence store),
// where the alert routers pick it up; what is not is refused with its reason.
let server: DashboardTestServer
let range: string

beforeAll(async () => {
  server = await startDashboardTestServer((store) =>
    createDashboardRoutes({ ...store, dashboards: loadDashboards(defaultDashboardsDir) }),
  )
  range = `from=${server.now - 7 * 3600_000}&to=${server.now + 600_000}`
})
afterAll(() => server?.close())

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read field by field by the assertions
type Json = Record<string, any>

async function act(
  key: string,
  kind: string,
  body: unknown,
  tenant: keyof typeof testTokens | null = 'acme',
) {
  const response = await fetch(`${server.base}/api/v1/incidents/${encodeURIComponent(key)}/${kind}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(tenant ? { authorization: `Bearer ${testTokens[tenant]}` } : {}),
    },
    body: JSON.stringify(body),
  })
  return { status: response.status, body: (await response.json()) as Json }
}

async function timeline(key: string): Promise<Json> {
  const response = await fetch(`${server.base}/api/v1/incidents/${key}?${range}`, {
    headers: { authorization: `Bearer ${testTokens.acme}` },
  })
  return (await response.json()) as Json
}

describe('POST /api/v1/incidents/:key/:action', () => {
  it('acknowledges an incident: 202, recorded with who did it, and shown in its timeline', async () => {
    const { status, body } = await act('k-spray', 'ack', { comment: 'looking at the IdP' })
    expect(status).toBe(202)
    expect(body.action).toMatchObject({
      kind: 'ack',
      tenant: 'acme',
      incident_key: 'k-spray',
      actor: 'acme API token',
      comment: 'looking at the IdP',
    })
    const { actions } = await timeline('k-spray')
    expect(actions).toHaveLength(1)
    expect(actions[0]).toMatchObject({ id: body.action.id, kind: 'ack', actor: 'acme API token' })
  })

  it('silences an incident by its group labels for a duration, in the silence store amtool reads', async () => {
    const { status, body } = await act('k-mtls', 'silence', { duration: '2h', comment: 'cert rotation' })
    expect(status).toBe(202)
    expect(body.action.until - body.action.at).toBe(2 * 3600_000)
    const result = await server.client.query({
      query: `SELECT id, matchers, created_by, comment FROM alert_silences WHERE tenant = 'acme'`,
      format: 'JSONEachRow',
    })
    const silences = await result.json<{
      id: string
      matchers: string
      created_by: string
      comment: string
    }>()
    const silence = silences.find((row) => row.id === body.action.silence_id)
    expect(silence).toMatchObject({ created_by: 'acme API token', comment: 'cert rotation' })
    expect(JSON.parse(silence!.matchers)).toEqual([
      { name: 'alertname', value: 'MtlsPlaintext', isRegex: false, isEqual: true },
      { name: 'severity', value: 'ticket', isRegex: false, isEqual: true },
    ])
  })

  it('snoozes and resolves', async () => {
    expect((await act('k-slo', 'snooze', { duration: '30m' })).status).toBe(202)
    expect((await act('k-slo', 'resolve', {})).status).toBe(202)
    expect((await timeline('k-slo')).actions.map((a: Json) => a.kind)).toEqual(['resolve', 'snooze'])
  })

  it('refuses with reasons: no token, unknown incident, another tenant, bad action, resolved incident', async () => {
    expect((await act('k-spray', 'ack', {}, null)).status).toBe(401)
    const unknown = await act('k-nope', 'ack', {})
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.message).toContain('no incident "k-nope"')
    expect((await act('k-globex', 'ack', {})).status).toBe(404)
    const kind = await act('k-spray', 'mute', {})
    expect(kind.status).toBe(400)
    expect(kind.body.error.message).toContain('unknown action "mute"')
    const duration = await act('k-spray', 'snooze', { duration: 'soon' })
    expect(duration.status).toBe(400)
    expect(duration.body.error.message).toContain('not a duration')
    const comment = await act('k-spray', 'silence', { duration: '1h' })
    expect(comment.body.error.message).toContain('comment is required')
    const resolved = await act('k-old', 'ack', {})
    expect(resolved.status).toBe(409)
    expect(resolved.body.error.message).toContain('already resolved')
  })
})
