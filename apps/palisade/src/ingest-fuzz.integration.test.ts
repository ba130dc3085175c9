import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { eventTables, openClickHouse } from '@palisade/clickhouse'
import { type FormatParser, formatParsers, type ParseOptions } from '@palisade/formats'
import {
  crs4BlockedModsecurityRecord,
  elasticAwsWafRecords,
  elasticModsecurityRecords,
} from '@palisade/formats/testing'
import { createRandom } from '@palisade/scenario-generator'
import { eventKinds, type RetentionDays, validateEvent } from '@palisade/schema'
import { type PalisadeProcess, startPalisadeProcess } from '@palisade/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// Fuzz, bounded and seeded: mixed valid and invalid records at every ingest route of a real
// `palisade start` (collector, in-process bus, ingester, embedded ClickHouse). Which record is
// valid is decided by the pure layers (the format's parser, then validateEvent); what is checked
// is that the pipeline behind them keeps its word: every valid record stored once (after a merge,
// so that a TTL drop counts as missing), every invalid one rejected with a reason and quarantined
// with the bytes it was sent in, nothing answered 5xx, nothing acknowledged and missing.

const seed = 20261207
const random = createRandom(seed)
const token = 'ingest-fuzz-integration-token-01'
const fixtures = new URL('../../../../shared/fixtures/', import.meta.url)
const fixture = (path: string) => readFileSync(new URL(path, fixtures), 'utf8')
// Fixtures carry their sources' dates (2015 on): keep a century, so validity is about content.
const retention = Object.fromEntries(eventKinds.map((kind) => [kind, 36_500])) as RetentionDays
const now = Date.now()

/** What the pure layers make of one body: the ids to store, and the raws to quarantine. */
interface Expected {
  ids: Set<string>
  accepted: number
  quarantined: string[]
}

function expectedOf(parser: FormatParser, body: string, options?: ParseOptions): Expected {
  const parsed = parser.parse(body, options)
  const expected: Expected = { ids: new Set(), accepted: 0, quarantined: parsed.rejected.map((r) => r.raw) }
  for (const record of parsed.records) {
    const result = validateEvent(record.kind, structuredClone(record.event), {
      tenant: 'default',
      observedAt: now,
      retention,
    })
    if (result.ok) {
      expected.accepted++
      expected.ids.add(`${record.kind}/${result.event.event_id}`)
    } else expected.quarantined.push(record.raw)
  }
  return expected
}

/** An invalid line: text no format reads, or a valid line broken (cut short, a lone surrogate). */
function brokenLine(valid: readonly string[]): string {
  const line = random.pick(valid)
  switch (random.int(0, 2)) {
    case 0:
      return `~~ fuzz ${random.int(0, 1e9)} ~~`
    case 1:
      return line.slice(0, Math.max(1, Math.floor(line.length / 2)))
    default:
      // Every string value gets a lone surrogate escape: some field the format maps has one.
      return line.replace(/":\s*"/g, (match) => `${match}\\ud800`)
  }
}

/** `valid` lines with `count` broken ones put in at seeded places (after `keep` header lines). */
function mixLines(valid: readonly string[], count: number, keep = 0): string {
  const lines = [...valid]
  for (let i = 0; i < count; i++)
    lines.splice(random.int(keep, lines.length), 0, brokenLine(valid.slice(keep)))
  return lines.join('\n')
}

const linesOf = (text: string) => text.split('\n').filter((line) => line.trim() !== '')

/** Our own NDJSON of `kind`: records in range, and records each invalid in its own way. */
function nativeBody(kind: 'flow' | 'auth'): string {
  const valid = Array.from({ length: 12 }, (_, i) => {
    const ts = now - random.int(0, 29 * 86_400_000)
    return kind === 'flow'
      ? { event_id: `fuzz-flow-${i}`, ts, dst_port: random.int(1, 65535), service: `svc-${random.int(1, 3)}` }
      : { event_id: `fuzz-auth-${i}`, ts, principal: `u${i}@acme.io`, outcome: 'success' }
  })
  const lines = valid.map((record) => JSON.stringify(record))
  const invalid = [
    // The issue's reproductions: the far future kept, a lone surrogate refused alone.
    `{"event_id":"w2106","ts":"2106-06-01T00:00:00Z","dst_port":1}`,
    `{"event_id":"w2299","ts":"2299-12-31T23:59:59.999Z","dst_port":1}`,
    `{"event_id":"w2300","ts":"2300-01-01T00:00:00Z","dst_port":1}`,
    `{"ts":${now},"dst_port":1,"service":"\\ud800"}`,
    `{"ts":${now},"principal":"\\udc00x","outcome":"success"}`,
    `{"ts":"1900-01-01T00:00:00Z","dst_port":1,"principal":"a","outcome":"success"}`,
    `{"ts":${now},"dst_port":70000,"outcome":"maybe"}`,
    `{"ts":${now},"dst_port":1e400,"principal":1e400}`,
    '[1,2]',
  ]
  for (const line of invalid) lines.splice(random.int(0, lines.length), 0, line)
  return lines.join('\n')
}

function istioScrape(): string {
  const series = (reporter: string, value: number, ts: number) =>
    `istio_requests_total{reporter="${reporter}",source_principal="spiffe://acme.io/ns/a/sa/web",destination_principal="spiffe://acme.io/ns/a/sa/api",destination_service="api.a.svc.cluster.local",connection_security_policy="mutual_tls",response_code="200"} ${value} ${ts}`
  return [
    series('destination', 10, now - 60_000),
    '% not a sample',
    series('destination', 25, now),
    'istio_requests_total{reporter="destination" 4',
  ].join('\n')
}

function tlsStats(): string {
  const dump = (handshakes: number) =>
    [
      `listener.0.0.0.0_15006.ssl.handshake: ${handshakes}`,
      'listener.0.0.0.0_15006.ssl.connection_error: 0',
      'cluster.xds.upstream_cx_total: 3',
    ].join('\n')
  return [dump(5), '{"listener": "x"}', dump(9), 'status: fine'].join('\n')
}

function otlpLogs(): string {
  const attribute = (key: string, value: string) => ({ key, value: { stringValue: value } })
  const record = (principal: string) => ({
    timeUnixNano: `${now}000000`,
    attributes: [
      attribute('palisade.kind', 'auth'),
      attribute('principal', principal),
      attribute('outcome', 'success'),
    ],
  })
  const body = JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes: [attribute('service.name', 'fuzz')] },
        scopeLogs: [
          {
            logRecords: [
              record('otlp-1@acme.io'),
              record('@@SURROGATE@@'),
              { timeUnixNano: `${now}000000`, body: { stringValue: 'GET / 200' } },
              record('otlp-2@acme.io'),
            ],
          },
        ],
      },
    ],
  })
  return body.replace('@@SURROGATE@@', '\\ud800')
}

function otlpMetrics(): string {
  const point = (value: string, mode: string) => ({
    startTimeUnixNano: `${now - 60_000}000000`,
    timeUnixNano: `${now}000000`,
    asInt: value,
    attributes: [
      { key: 'outcome', value: { stringValue: 'success' } },
      { key: 'mode', value: { stringValue: mode } },
    ],
  })
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fuzz-mesh' } }] },
        scopeMetrics: [
          {
            metrics: [
              {
                name: 'palisade.mtls.handshakes',
                sum: {
                  aggregationTemporality: 1,
                  isMonotonic: true,
                  dataPoints: [point('3', 'tls'), point('-4', 'tls')],
                },
              },
              {
                name: 'http.requests',
                sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [point('1', 'tls')] },
              },
            ],
          },
        ],
      },
    ],
  })
}

function opaUpload(): string {
  const upload = JSON.parse(fixture('opa-decision/opa-docs-decision-log-upload-body.json')) as Record<
    string,
    unknown
  >[]
  const decisions = upload.map((decision, i) => ({ ...decision, decision_id: `fuzz-opa-${i}` }))
  const elements = decisions.map((decision) => JSON.stringify(decision))
  elements.push(
    '"oops"',
    '{"decision_id":"fuzz-opa-bad","path":"\\ud800","result":true,"timestamp":"2026-01-01T00:00:00Z"}',
  )
  elements.push('{"decision_id":"fuzz-opa-1e400","result":1e400,"timestamp":1e400}')
  return `[${elements.join(',')}]`
}

/** One request of the fuzz run: where it goes, how, and which format reads it. */
interface Send {
  path: string
  format: string
  body: string
  options?: ParseOptions
  headers?: Record<string, string>
  gzip?: boolean
}

function sends(): Send[] {
  const gcp = (
    JSON.parse(fixture('gcp-vpc-flow/elastic-test-vpcflow-event-first13.json')) as {
      events: { json: unknown }[]
    }
  ).events.map((event) => JSON.stringify(event.json))
  const wire: [string, string[], ParseOptions?, number?][] = [
    ['aws-vpc-flow', linesOf(fixture('aws-vpc-flow/awsdocs-default-v2.log')), undefined, 0],
    ['aws-vpc-flow', linesOf(fixture('aws-vpc-flow/elastic-test-v5-all-fields.log'))],
    ['gcp-vpc-flow', gcp],
    ['azure-nsg-flow', linesOf(fixture('azure-nsg-flow/elastic-sample-testdata.log'))],
    ['hubble-flow', linesOf(fixture('hubble-flow/hubble-otel-basic-sample-10-flows.json'))],
    ['zeek-conn', linesOf(fixture('zeek-conn/zeek-docs-conn-examples.json.log'))],
    ['envoy-access-log', linesOf(fixture('istio-access-log/elastic-test-access-json-logs.log'))],
    ['okta-system-log', linesOf(fixture('okta-system-log/elastic-test-okta-system-events.log'))],
    ['keycloak-event', linesOf(fixture('keycloak-event/elastic-test-log.log')), { date: '2021-10-22' }],
    ['cloudtrail-login', linesOf(fixture('cloudtrail-login/awsdocs-console-signin-events.ndjson'))],
    // Real WAF records (the shared fixtures have none; sources in the formats' testing module).
    ['aws-waf', [...elasticAwsWafRecords]],
    ['modsecurity-audit', [...elasticModsecurityRecords, crs4BlockedModsecurityRecord]],
  ]
  const json = { 'content-type': 'application/json' }
  return [
    { path: '/v1/ingest/flow', format: 'flow', body: nativeBody('flow') },
    { path: '/v1/ingest/auth', format: 'auth', body: nativeBody('auth'), gzip: true },
    ...wire.map(([format, lines, options, header]) => ({
      path: `/v1/ingest/${format}${options ? `?${new URLSearchParams(options)}` : ''}`,
      format,
      options,
      body: mixLines(lines, 4, header ?? 0),
    })),
    { path: '/v1/ingest/istio-metrics', format: 'istio-metrics', body: istioScrape() },
    {
      path: `/v1/ingest/envoy-tls-stats?ts=${now}`,
      format: 'envoy-tls-stats',
      body: tlsStats(),
      options: { ts: String(now) },
    },
    { path: '/v1/ingest/opa-decision-log', format: 'opa-decision-log', body: opaUpload() },
    {
      path: '/v1/opa/logs',
      format: 'opa-decision-log',
      body: opaUpload().replaceAll('fuzz-opa', 'agent-opa'),
      gzip: true,
      headers: json,
    },
    { path: '/v1/ingest/otlp-logs', format: 'otlp-logs', body: otlpLogs() },
    { path: '/v1/logs', format: 'otlp-logs', body: otlpLogs().replaceAll('otlp-', 'route-'), headers: json },
    { path: '/v1/ingest/otlp-metrics', format: 'otlp-metrics', body: otlpMetrics() },
    {
      path: '/v1/metrics',
      format: 'otlp-metrics',
      body: otlpMetrics().replace('fuzz-mesh', 'route-mesh'),
      headers: json,
    },
  ]
}

let dataDir: string
let palisade: PalisadeProcess

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-fuzz-'))
  palisade = await startPalisadeProcess({
    PALISADE_DATA_DIR: dataDir,
    PALISADE_TOKEN: token,
    ...Object.fromEntries(
      eventKinds.map((kind) => [`PALISADE_RETENTION_DAYS_${kind.toUpperCase()}`, '36500']),
    ),
  })
})

afterAll(() => {
  if (palisade.child.exitCode === null) palisade.child.kill('SIGKILL')
  rmSync(dataDir, { recursive: true, force: true })
})

describe(`ingest fuzz (seed ${seed})`, () => {
  const plan = sends()
  const expected = plan.map((send) => expectedOf(formatParsers.get(send.format)!, send.body, send.options))
  const answers: { status: number; body: Record<string, unknown> }[] = []

  it('has invalid records at every route, and valid ones beside them', () => {
    for (const [index, send] of plan.entries()) {
      expect({ path: send.path, invalid: expected[index]!.quarantined.length > 0 }).toEqual({
        path: send.path,
        invalid: true,
      })
    }
    expect(expected.reduce((sum, e) => sum + e.accepted, 0)).toBeGreaterThan(100)
  })

  it('answers every request 200, counting what the pure layers accept and reject', async () => {
    for (const send of plan) {
      const body = send.gzip ? new Uint8Array(gzipSync(send.body)) : send.body
      const response = await fetch(`${palisade.collectorUrl}${send.path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          ...send.headers,
          ...(send.gzip ? { 'content-encoding': 'gzip' } : {}),
        },
        body,
      })
      answers.push({ status: response.status, body: (await response.json()) as Record<string, unknown> })
    }
    // A retry of a whole request (a client that lost the answer) stores nothing twice.
    const retry = await fetch(`${palisade.collectorUrl}/v1/ingest/flow`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: plan[0]!.body,
    })
    expect(retry.status).toBe(200)
    expect(answers.map((answer, index) => [plan[index]!.path, answer.status])).toEqual(
      plan.map((send) => [send.path, 200]),
    )
    for (const [index, send] of plan.entries()) {
      if (send.path.startsWith('/v1/ingest/')) {
        expect({ path: send.path, ...answers[index]!.body }).toMatchObject({
          path: send.path,
          accepted: expected[index]!.accepted,
          rejected: expected[index]!.quarantined.length,
        })
      }
    }
  })

  it('stored every valid record once and quarantined every invalid one as sent: 0 acknowledged-but-missing', async () => {
    palisade.child.kill('SIGTERM')
    expect(await palisade.exited).toBe(0)
    const client = await openClickHouse({ kind: 'embedded', dataDir: join(dataDir, 'clickhouse') })
    try {
      const stored = new Set<string>()
      for (const kind of eventKinds) {
        // A merge applies the TTL: what survives it is what the store keeps.
        await client.command({ query: `OPTIMIZE TABLE ${eventTables[kind]} FINAL` })
        const rows = await (
          await client.query({
            query: 'SELECT event_id FROM {table:Identifier}',
            query_params: { table: eventTables[kind] },
            format: 'JSONEachRow',
          })
        ).json<{ event_id: string }>()
        const ids = rows.map((row) => `${kind}/${row.event_id}`)
        expect({ kind, duplicates: ids.length - new Set(ids).size }).toEqual({ kind, duplicates: 0 })
        for (const id of ids) stored.add(id)
      }
      const valid = new Set(expected.flatMap((e) => [...e.ids]))
      expect([...valid].filter((id) => !stored.has(id))).toEqual([])
      expect([...stored].filter((id) => !valid.has(id))).toEqual([])

      const quarantine = await (
        await client.query({ query: 'SELECT kind, raw, reason FROM quarantine', format: 'JSONEachRow' })
      ).json<{ kind: string; raw: string; reason: string }>()
      const kept = new Set(quarantine.map((row) => `${row.kind}\n${row.raw}`))
      const missing = plan.flatMap((send, index) =>
        expected[index]!.quarantined.filter((raw) => !kept.has(`${send.format}\n${raw}`)).map((raw) => [
          send.path,
          raw,
        ]),
      )
      expect(missing).toEqual([])
      expect(quarantine.filter((row) => row.reason.trim() === '')).toEqual([])
      // Line-based bodies: each broken line is quarantined as the bytes it was sent in.
      const flowBody = linesOf(plan[0]!.body)
      expect(kept.has(`flow\n${flowBody.find((line) => line.includes('\\ud800'))}`)).toBe(true)
    } finally {
      await client.close()
    }
  })
})
