import { createEventWriter } from '@palisade/clickhouse'
import { loadDashboards } from '@palisade/declarations'
import { buildIntent } from '@palisade/intent'
import { type AnyEvent, type EventKind, validateEvent } from '@palisade/schema'
import { type DashboardTestServer, startDashboardTestServer, testTokens } from '@palisade/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDashboardRoutes, defaultDashboardsDir } from './dashboard-app.ts'

// The debug and executive dashboards' panel queries and the request timeline, over the seeded
// embedded store plus a few records of their own (a request seen by OPA and Envoy, egress, a
// token grant, a stale account).
let server: DashboardTestServer
let query: string
const MINUTE = 60_000
const DAY = 24 * 3600_000
const REQUEST = 'b7ad6b7169203331'

/** A default deny in the shop namespace, and nothing declared elsewhere. */
function shopIntent() {
  const documents = [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'default-deny-ingress', namespace: 'shop' },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    },
  ]
  return buildIntent(documents.map((document, i) => ({ source: `intent ${i}`, document }))).intent
}

function event(kind: EventKind, tenant: string, record: Record<string, unknown>): AnyEvent {
  const result = validateEvent(kind, record, { tenant, observedAt: server.now })
  if (!result.ok) throw new Error(result.reason)
  return result.event
}

beforeAll(async () => {
  server = await startDashboardTestServer((store) =>
    createDashboardRoutes({
      ...store,
      dashboards: loadDashboards(defaultDashboardsDir),
      intent: shopIntent(),
    }),
  )
  query = `from=${server.now - 7 * 3600_000}&to=${server.now + MINUTE}`
  const writer = createEventWriter(server.client)
  const hop = { service: 'payments', request_id: REQUEST, action: 'POST', resource: '/v1/refund' }
  await writer.write('decision', [
    event('decision', 'acme', {
      ...hop,
      ts: server.now - 2 * MINUTE,
      source: 'envoy',
      pdp: 'envoy_ext_authz',
      enforcement_point: 'ingress-gateway',
      src_identity: 'spiffe://acme.io/ns/edge/sa/api-gateway',
      decision: 'allow',
    }),
    event('decision', 'acme', {
      ...hop,
      ts: server.now - 2 * MINUTE + 40,
      source: 'opa',
      pdp: 'opa',
      enforcement_point: 'payments-sidecar',
      subject: 'user:mallory@acme.io',
      decision: 'deny',
      policy_id: 'envoy/authz/allow',
      policy_revision: 'bundle-r9',
      latency_ms: 3.5,
    }),
    event('decision', 'globex', { ...hop, ts: server.now - MINUTE, decision: 'deny' }),
  ])
  await writer.write('flow', [
    event('flow', 'acme', {
      ts: server.now - 5 * MINUTE,
      service: 'batch',
      src_identity: 'spiffe://acme.io/ns/batch/sa/legacy-batch',
      dst_ip: '93.184.216.34',
      dst_port: 443,
      bytes_sent: 9_000_000,
    }),
    event('flow', 'acme', {
      ts: server.now - 5 * MINUTE,
      service: 'batch',
      src_ip: '10.0.4.7',
      dst_ip: '10.0.9.9',
      dst_port: 5432,
    }),
  ])
  await writer.write('auth', [
    event('auth', 'acme', {
      ts: server.now - 10 * MINUTE,
      service: 'keycloak',
      principal: 'reporting-client',
      principal_type: 'service',
      method: 'client_credentials',
      outcome: 'success',
    }),
    event('auth', 'acme', {
      ts: server.now - 12 * DAY,
      service: 'sso',
      principal: 'former-contractor@acme.io',
      outcome: 'success',
    }),
  ])
})
afterAll(() => server?.close())

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read field by field by the assertions
type Json = Record<string, any>

async function get(path: string, tenant: keyof typeof testTokens = 'acme') {
  const response = await fetch(`${server.base}${path}`, {
    headers: { authorization: `Bearer ${testTokens[tenant]}` },
  })
  return { status: response.status, body: (await response.json()) as Json }
}
const panel = async (name: string, tenant: keyof typeof testTokens = 'acme') =>
  (await get(`/api/v1/panels/${name}?${query}`, tenant)).body.rows as Json[]

describe('debug dashboard', () => {
  it('joins the hops of one request by its id: the requests list, then its timeline in order', async () => {
    const row = (await panel('request_timelines')).find((r) => r.request_id === REQUEST)
    expect(row).toMatchObject({ records: 2, sources: 'envoy, opa', outcomes: 'allow → deny' })
    expect(row?.enforcement_points).toBe('ingress-gateway, payments-sidecar')
    const { status, body } = await get(`/api/v1/requests/${REQUEST}?${query}`)
    expect(status).toBe(200)
    expect(body.records.map((r: Json) => [r.source, r.decision, r.policy_revision])).toEqual([
      ['envoy', 'allow', ''],
      ['opa', 'deny', 'bundle-r9'],
    ])
    // globex's record with the same id stays globex's.
    expect(body.records.every((r: Json) => r.enforcement_point !== '')).toBe(true)
    const globex = await get(`/api/v1/requests/${REQUEST}?${query}`, 'globex')
    expect(globex.body.records).toHaveLength(1)
    expect((await get(`/api/v1/requests/no-such-request?${query}`)).status).toBe(404)
  })

  it('lists denies with their requests and policy evaluations with path, revision and eval time', async () => {
    const deny = (await panel('deny_requests')).find((r) => r.request_id === REQUEST)
    expect(deny).toMatchObject({ caller: 'user:mallory@acme.io', method: 'POST', path: '/v1/refund' })
    const evaluation = (await panel('policy_evaluations')).find(
      (r) => r.request_id === REQUEST && r.pdp === 'opa',
    )
    expect(evaluation).toMatchObject({
      decision_path: 'envoy/authz/allow',
      bundle_revision: 'bundle-r9',
      eval_ms: 3.5,
    })
  })

  it('answers PDP health per enforcement point: errors apart from denies, revisions, last decision', async () => {
    const rows = await panel('pdp_health')
    const sidecar = rows.find((r) => r.enforcement_point === 'envoy-sidecar')
    expect(sidecar?.decisions).toBeGreaterThan(100)
    expect(sidecar?.errors).toBeGreaterThan(0)
    expect(sidecar?.revisions).toBe(2)
    expect(rows.find((r) => r.enforcement_point === 'payments-sidecar')).toMatchObject({
      decisions: 1,
      errors: 0,
    })
  })

  it('lists token grants and egress to public addresses only', async () => {
    expect(await panel('token_events')).toEqual([
      expect.objectContaining({ principal: 'reporting-client', method: 'client_credentials', issued: 1 }),
    ])
    const egress = await panel('egress_by_destination')
    expect(egress).toEqual([
      expect.objectContaining({
        destination: '93.184.216.34',
        dst_port: 443,
        attempts: 1,
        bytes_sent: 9_000_000,
      }),
    ])
  })
})

describe('executive dashboard', () => {
  it('answers time to detect per bucket from the findings', async () => {
    const rows = await panel('time_to_detect_series')
    expect(rows.reduce((n, r) => n + r.finding_count, 0)).toBeGreaterThanOrEqual(4)
    // The seeded findings are detected 4 s after their event.
    expect(rows.every((r) => r.median_s === 4)).toBe(true)
  })

  it('answers unauthorized attempts per 1,000 requests from the rollups', async () => {
    const rows = await panel('unauthorized_attempts_series')
    const total = rows.reduce((n, r) => n + r.unauthorized_count, 0)
    expect(total).toBeGreaterThan(0)
    expect(rows.some((r) => r.per_1000 > 0 && r.per_1000 < 1000)).toBe(true)
  })

  it('answers mTLS coverage per destination service, and the stale identities', async () => {
    const coverage = await panel('mtls_coverage')
    expect(coverage.length).toBeGreaterThan(0)
    for (const row of coverage) expect(row.observed + row.unknown).toBeGreaterThan(0)
    const stale = await panel('stale_identities')
    expect(stale.map((r) => r.principal)).toEqual(['former-contractor@acme.io'])
    expect(stale[0]?.silent_days).toBeGreaterThanOrEqual(12)
  })
})

describe('compliance posture', () => {
  it('compares the declared intent with the edges observed: policy-as-code, default deny, STRICT mTLS', async () => {
    const { status, body } = await get(`/api/v1/compliance?${query}`)
    expect(status).toBe(200)
    expect(body.declared).toBe(true)
    expect(body.policyAsCode.total).toBeGreaterThan(3)
    // Only shop has a declaration: its destinations are decided (denied by default), data's are not.
    expect(body.defaultDeny.covered).toBeGreaterThan(0)
    expect(body.defaultDeny.gaps).toContain('data/postgres')
    expect(body.policyAsCode.gaps.some((gap: string) => gap.endsWith('data/postgres:5432'))).toBe(true)
    expect(body.strictMtls).toMatchObject({ covered: 0 })
  })
})

describe('annotations', () => {
  it('marks incidents opening (and rollouts) for every chart, oldest first', async () => {
    const rows = await panel('annotations')
    expect(rows.length).toBeGreaterThanOrEqual(3)
    expect(rows.every((r) => r.kind === 'incident' || r.kind === 'rollout')).toBe(true)
    expect(rows.map((r) => r.ts_ms)).toEqual([...rows.map((r) => r.ts_ms)].sort((a, b) => a - b))
    expect(rows.some((r) => r.kind === 'incident' && r.label.startsWith('AuthAvailabilityBurnRate: '))).toBe(
      true,
    )
  })
})
