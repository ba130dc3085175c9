import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { topics } from '@palisade/bus'
import protobuf from 'protobufjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type CollectorUnderTest,
  retentionOfAnyDate,
  startCollectorUnderTest,
} from './testing/collector-under-test.ts'

// The OTLP routes on a real HTTP server and the in-process bus. Protobuf requests are encoded here
// with protobufjs from the same .proto files; the OpenTelemetry SDK's own exporters are exercised
// end to end in apps/palisade/src/otel-sdk.integration.test.ts.

let collector: CollectorUnderTest

const root = new protobuf.Root()
root.resolvePath = (_origin, target) => fileURLToPath(new URL(`./otlp-proto/${target}`, import.meta.url))
root.loadSync([
  'opentelemetry/proto/collector/logs/v1/logs_service.proto',
  'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
])
const logsRequest = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest')
const logsResponse = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse')
const status = protobuf.Root.fromJSON({
  nested: { Status: { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 } } } },
}).lookupType('Status')

const string = (key: string, value: string) => ({ key, value: { stringValue: value } })

function logs(...logRecords: unknown[]) {
  return {
    resourceLogs: [
      {
        resource: { attributes: [string('service.name', 'api')] },
        scopeLogs: [{ scope: { name: 'test' }, logRecords }],
      },
    ],
  }
}

const auth = (principal: string) => ({
  timeUnixNano: '1795424400000000000',
  attributes: [string('palisade.kind', 'auth'), string('principal', principal), string('outcome', 'success')],
})
const appLog = { timeUnixNano: '1795424400000000000', body: { stringValue: 'GET / 200' } }

function post(path: string, body: string | Uint8Array, headers: Record<string, string>) {
  return fetch(`${collector.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${collector.token}`, ...headers },
    body: typeof body === 'string' ? body : new Uint8Array(body),
  })
}

const json = { 'content-type': 'application/json' }
const binary = { 'content-type': 'application/x-protobuf' }

beforeAll(async () => {
  // The records are dated 2026-11-23: kept whatever day the test runs.
  collector = await startCollectorUnderTest(undefined, retentionOfAnyDate)
})
afterAll(() => collector.close())

describe('POST /v1/logs', () => {
  it('answers 200 {} in JSON when every record was taken, and publishes the events', async () => {
    const response = await post('/v1/logs', JSON.stringify(logs(auth('json@acme.io'))), json)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await response.json()).toEqual({})
    expect(collector.published.get(topics.events('auth'))).toContainEqual(
      expect.objectContaining({ principal: 'json@acme.io', tenant: 'acme', service: 'api', source: 'otlp' }),
    )
  })

  it('answers a partial success counting the rejected records, which go to quarantine', async () => {
    const response = await post('/v1/logs', gzipSync(JSON.stringify(logs(appLog, auth('gz@acme.io')))), {
      ...json,
      'content-encoding': 'gzip',
    })
    expect(response.status).toBe(200)
    const answer = (await response.json()) as {
      partialSuccess: { rejectedLogRecords: string; errorMessage: string }
    }
    expect(answer.partialSuccess.rejectedLogRecords).toBe('1')
    expect(answer.partialSuccess.errorMessage).toContain('1 of 2 log records rejected')
    expect(answer.partialSuccess.errorMessage).toContain('not perimeter telemetry')
    expect(collector.published.get(topics.quarantine)).toContainEqual(
      expect.objectContaining({ kind: 'otlp-logs', line: 1, raw: expect.stringContaining('GET / 200') }),
    )
  })

  it('decodes a protobuf request and answers in protobuf, ids as hex', async () => {
    const record = { ...appLog, traceId: Buffer.from('5b8efff798038103d269b633813fc60c', 'hex') }
    const body = logsRequest.encode(logsRequest.fromObject(logs(auth('proto@acme.io'), record))).finish()
    const response = await post('/v1/logs', body, binary)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/x-protobuf')
    const answer = logsResponse.toObject(logsResponse.decode(new Uint8Array(await response.arrayBuffer())), {
      longs: Number,
    })
    expect(answer).toEqual({ partialSuccess: { rejectedLogRecords: 1, errorMessage: expect.any(String) } })
    expect(collector.published.get(topics.events('auth'))).toContainEqual(
      expect.objectContaining({ principal: 'proto@acme.io', ts: 1795424400000 }),
    )
    expect(collector.published.get(topics.quarantine)).toContainEqual(
      expect.objectContaining({
        raw: expect.stringContaining('"traceId":"5b8efff798038103d269b633813fc60c"'),
      }),
    )
  })

  it('answers 400 with a protobuf Status to a body that is not protobuf', async () => {
    const response = await post('/v1/logs', Buffer.from([0x0a, 0xff, 0xff, 0xff]), binary)
    expect(response.status).toBe(400)
    expect(response.headers.get('content-type')).toBe('application/x-protobuf')
    const answer = status.toObject(status.decode(new Uint8Array(await response.arrayBuffer())))
    expect(answer.message).toContain('ExportLogsServiceRequest')
  })

  it('answers 400 with a JSON Status to JSON that does not parse', async () => {
    const response = await post('/v1/logs', '{"resourceLogs": [', json)
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({ message: expect.stringContaining('not readable as otlp-logs') })
  })

  it('answers 401 without a valid token and 415 to another Content-Type', async () => {
    const unauthenticated = await fetch(`${collector.url}/v1/logs`, {
      method: 'POST',
      headers: json,
      body: '{}',
    })
    expect(unauthenticated.status).toBe(401)
    expect(await unauthenticated.json()).toEqual({ message: expect.stringContaining('bearer token') })
    const other = await post('/v1/logs', '{}', { 'content-type': 'text/plain' })
    expect(other.status).toBe(415)
  })

  it('answers 413 to a body over the limit', async () => {
    const response = await post('/v1/logs', JSON.stringify({ pad: 'x'.repeat(70 * 1024) }), json)
    expect(response.status).toBe(413)
  })
})

describe('POST /v1/metrics', () => {
  const handshakes = (temporality: number) => ({
    resourceMetrics: [
      {
        resource: { attributes: [string('service.name', 'mesh')] },
        scopeMetrics: [
          {
            metrics: [
              {
                name: 'palisade.mtls.handshakes',
                sum: {
                  aggregationTemporality: temporality,
                  isMonotonic: true,
                  dataPoints: [
                    {
                      timeUnixNano: '1795424400000000000',
                      asInt: '4',
                      attributes: [string('outcome', 'success')],
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  })

  it('stores a delta handshake count as one mTLS event with that count', async () => {
    const response = await post('/v1/metrics', JSON.stringify(handshakes(1)), json)
    expect(await response.json()).toEqual({})
    expect(collector.published.get(topics.events('mtls'))).toContainEqual(
      expect.objectContaining({ count: 4, outcome: 'success', service: 'mesh' }),
    )
  })

  it('counts a cumulative sum as its increases between exports, and rejects a point that is no count', async () => {
    // A series that started after the collector did: it counts from 0 at its start.
    const startMs = Date.now() + 1000
    const cumulative = (value: string, atMs: number) => {
      const body = handshakes(2)
      const metric = body.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!
      ;(metric.sum as { dataPoints: unknown[] }).dataPoints = [
        {
          startTimeUnixNano: `${startMs}000000`,
          timeUnixNano: `${atMs}000000`,
          asInt: value,
          attributes: [string('outcome', 'success'), string('mode', 'tls')],
        },
      ]
      return JSON.stringify(body)
    }
    for (const [value, at] of [
      ['4', startMs + 10_000],
      ['9', startMs + 20_000],
    ] as const) {
      expect(await (await post('/v1/metrics', cumulative(value, at), json)).json()).toEqual({})
    }
    const counted = (collector.published.get(topics.events('mtls')) ?? []) as {
      mode?: string
      count: number
    }[]
    expect(counted.filter((event) => event.mode === 'tls').map((event) => event.count)).toEqual([4, 5])

    const response = await post('/v1/metrics', cumulative('-1', startMs + 30_000), json)
    const answer = (await response.json()) as {
      partialSuccess: { rejectedDataPoints: string; errorMessage: string }
    }
    expect(answer.partialSuccess.rejectedDataPoints).toBe('1')
    expect(answer.partialSuccess.errorMessage).toContain('not a whole non-negative count')
  })
})
