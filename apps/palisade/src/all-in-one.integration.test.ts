import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { type ClickHouseClient, openClickHouse } from '@palisade/clickhouse'
import { type PalisadeProcess, startPalisadeProcess } from '@palisade/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The all-in-one process as a user starts it (`palisade start`), on the real embedded engine and
// real HTTP. What it stored is read back by opening its data directory after it stopped.

const token = 'integration-test-token-0123456789'
let dataDir: string
let palisade: PalisadeProcess

const auth = { authorization: `Bearer ${token}` }
// Recent, on the hour: the collector refuses events older than their kind's retention (30 days).
const t0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 6 * 3_600_000

function flowLine(i: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    event_id: `flow-${i}`,
    ts: t0 + i,
    src_identity: 'spiffe://acme.io/ns/shop/sa/web',
    dst_identity: 'spiffe://acme.io/ns/shop/sa/api',
    dst_port: 8080,
    service: 'api',
    ...extra,
  })
}

async function ingest(kind: string, body: string | Uint8Array, headers: Record<string, string> = {}) {
  const response = await fetch(`${palisade.collectorUrl}/v1/ingest/${kind}`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/x-ndjson', ...headers },
    body: typeof body === 'string' ? body : new Uint8Array(body),
  })
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    headers: response.headers,
  }
}

async function stopAndOpenStore(): Promise<ClickHouseClient> {
  palisade.child.kill('SIGTERM')
  expect(await palisade.exited).toBe(0)
  return openClickHouse({ kind: 'embedded', dataDir: join(dataDir, 'clickhouse') })
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-aio-'))
  palisade = await startPalisadeProcess({
    PALISADE_DATA_DIR: dataDir,
    PALISADE_TOKEN: token,
    PALISADE_MAX_BODY_BYTES: String(256 * 1024),
  })
})

afterAll(() => {
  if (palisade.child.exitCode === null) palisade.child.kill('SIGKILL')
  rmSync(dataDir, { recursive: true, force: true })
})

describe('palisade start', () => {
  it('answers /healthz and /readyz without a token and with no data in the answer', async () => {
    for (const url of [palisade.collectorUrl, palisade.dashboardUrl]) {
      expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' })
      expect(await (await fetch(`${url}/readyz`)).json()).toEqual({ status: 'ready' })
    }
  })

  it('serves /metrics once, on the collector port, with the token; the dashboard port has none', async () => {
    const url = palisade.collectorUrl
    expect((await fetch(`${url}/metrics`)).status).toBe(401)
    const text = await (await fetch(`${url}/metrics`, { headers: auth })).text()
    expect(text).toContain('# TYPE palisade_collector_requests_total counter')
    // The wall-clock silence check of expected sources runs here too, and the router's noise budget
    // reports per rule.
    expect(text).toContain('# TYPE palisade_detector_sources_silent gauge')
    expect(text).toContain('# TYPE palisade_alert_router_noise_budget_spent gauge')
    // One registry behind both ports: serving it twice would make every sum() in Prometheus double.
    expect((await fetch(`${palisade.dashboardUrl}/metrics`, { headers: auth })).status).toBe(404)
  })

  it('serves the Alertmanager API v2 on the dashboard port, with the token', async () => {
    const url = `${palisade.dashboardUrl}/api/v2`
    const json = { ...auth, 'content-type': 'application/json' }
    const alert = { labels: { alertname: 'FromPrometheus', severity: 'warning', service: 'pdp' } }
    expect((await fetch(`${url}/alerts`, { method: 'POST', body: JSON.stringify([alert]) })).status).toBe(401)
    const posted = await fetch(`${url}/alerts`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify([alert]),
    })
    expect(posted.status).toBe(200)
    const alerts = (await (await fetch(`${url}/alerts`, { headers: auth })).json()) as Array<{
      labels: Record<string, string>
    }>
    expect(alerts.map((a) => a.labels)).toContainEqual({
      alertname: 'FromPrometheus',
      severity: 'ticket',
      source_severity: 'warning',
      service: 'pdp',
    })
    const silence = {
      matchers: [{ name: 'service', value: 'pdp', isRegex: false, isEqual: true }],
      endsAt: new Date(Date.now() + 3_600_000).toISOString(),
      createdBy: 'oncall',
      comment: 'deploying',
    }
    const created = await fetch(`${url}/silences`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify(silence),
    })
    const { silenceID } = (await created.json()) as { silenceID: string }
    const read = await fetch(`${url}/silence/${silenceID}`, { headers: auth })
    expect(await read.json()).toMatchObject({
      id: silenceID,
      status: { state: 'active' },
      createdBy: 'oncall',
    })
    expect((await fetch(`${palisade.dashboardUrl}/-/ready`)).status).toBe(200)
  })

  it('answers 401 to an ingest without a valid token', async () => {
    const response = await fetch(`${palisade.collectorUrl}/v1/ingest/flow`, {
      method: 'POST',
      body: flowLine(0),
    })
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toContain('Bearer')
  })

  it('keeps the valid records of a request and quarantines the others with a reason per line', async () => {
    const body = [flowLine(1), '{"ts": oops', flowLine(2, { dst_port: 70000 }), '', flowLine(3)].join('\n')
    const result = await ingest('flow', body)
    expect(result.status).toBe(200)
    expect(result.body.accepted).toBe(2)
    expect(result.body.rejected).toBe(2)
    expect(result.body.errors).toEqual([
      { line: 2, reason: expect.stringContaining('not valid JSON') },
      { line: 3, reason: expect.stringContaining('dst_port') },
    ])
  })

  it('takes a gzip-compressed JSON array', async () => {
    const body = gzipSync(`[${flowLine(10)},${flowLine(11)}]`)
    const result = await ingest('flow', body, {
      'content-encoding': 'gzip',
      'content-type': 'application/json',
    })
    expect(result.body).toMatchObject({ accepted: 2, rejected: 0 })
  })

  it('stores nothing twice when a client retries the same request', async () => {
    const body = [20, 21, 22].map((i) => flowLine(i)).join('\n')
    expect((await ingest('flow', body)).body.accepted).toBe(3)
    expect((await ingest('flow', body)).body.accepted).toBe(3)
  })

  it('refuses a body over the limit with 413 naming the limit', async () => {
    const result = await ingest('flow', 'x'.repeat(300 * 1024))
    expect(result.status).toBe(413)
    expect(JSON.stringify(result.body)).toContain('262144 bytes')
  })

  it('answers 400 to an unreadable body and 404 to an unknown kind', async () => {
    expect((await ingest('flow', Buffer.from('not gzip'), { 'content-encoding': 'gzip' })).status).toBe(400)
    expect((await ingest('flow', '[1, 2')).status).toBe(400)
    expect((await ingest('teleport', flowLine(1))).status).toBe(404)
  })

  it('has stored every accepted record exactly once and every rejected one in quarantine', async () => {
    const client = await stopAndOpenStore()
    try {
      const rows = await (
        await client.query({
          query: 'SELECT event_id FROM flow_events ORDER BY event_id',
          format: 'JSONCompactEachRow',
        })
      ).json<[string]>()
      expect(rows.map(([id]) => id)).toEqual([
        'flow-1',
        'flow-10',
        'flow-11',
        'flow-20',
        'flow-21',
        'flow-22',
        'flow-3',
      ])
      const quarantined = await (
        await client.query({
          query: 'SELECT line, raw, reason FROM quarantine ORDER BY line',
          format: 'JSONEachRow',
        })
      ).json<{ line: number; raw: string; reason: string }>()
      expect(quarantined.map((row) => [row.line, row.raw])).toEqual([
        [2, '{"ts": oops'],
        [3, flowLine(2, { dst_port: 70000 })],
      ])
      expect(quarantined[1]!.reason).toContain('dst_port')
      expect(statSync(join(dataDir, 'clickhouse')).isDirectory()).toBe(true)
    } finally {
      await client.close()
    }
  })
})
