import { validateEvent } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import { readSharedFixture, sharedFixturesAvailable } from '../testing/shared-fixtures.ts'
import { otlpLogsParser } from './otlp-logs.ts'

const context = { tenant: 'acme', observedAt: 1 }
const string = (key: string, value: string) => ({ key, value: { stringValue: value } })

/** An ExportLogsServiceRequest with one resource (service.name `api`) and these log records. */
function request(...logRecords: unknown[]): string {
  return JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes: [string('service.name', 'api')] },
        scopeLogs: [{ scope: { name: 'palisade-test' }, logRecords }],
      },
    ],
  })
}

const authRecord = {
  timeUnixNano: '1795424400123456789',
  observedTimeUnixNano: '1795424400200000000',
  severityNumber: 9,
  body: { stringValue: 'login failed' },
  attributes: [
    string('palisade.kind', 'auth'),
    string('principal', 'alice@acme.io'),
    string('outcome', 'failure'),
    string('failure_kind', 'user'),
    string('client_ip', '192.0.2.7'),
    string('http.route', '/login'),
  ],
}

describe.skipIf(!sharedFixturesAvailable(process.env.CI === 'true'))('otlp-logs > shared fixtures', () => {
  // open-telemetry/opentelemetry-proto examples/logs.json @ ac2c4b5d1f3a (fixtures README).
  it('reads the OTLP example request and rejects its application log with a reason', () => {
    const result = otlpLogsParser.parse(readSharedFixture('otlp-json/otel-proto-examples-logs.json'))
    expect(result.records).toEqual([])
    expect(result.rejected).toEqual([
      {
        line: 1,
        raw: expect.stringContaining('Example log record'),
        reason: expect.stringContaining('palisade.kind'),
      },
    ])
  })

  it('maps the example record once it carries the Palisade attributes, reading every AnyValue kind', () => {
    const example = JSON.parse(readSharedFixture('otlp-json/otel-proto-examples-logs.json'))
    const record = example.resourceLogs[0].scopeLogs[0].logRecords[0]
    record.attributes.push(
      string('palisade.kind', 'decision'),
      { key: 'decision', value: { stringValue: 'deny' } },
      { key: 'latency_ms', value: { intValue: '12' } },
      { key: 'dry_run', value: { boolValue: true } },
    )
    const result = otlpLogsParser.parse(JSON.stringify(example))
    expect(result.records[0]!.event).toMatchObject({
      ts: 1544712660300,
      service: 'my.service',
      source: 'otlp',
      decision: 'deny',
      latency_ms: 12,
      dry_run: true,
    })
    expect(validateEvent('decision', result.records[0]!.event, context).ok).toBe(true)
  })
})

describe('otlp-logs', () => {
  it('maps a record with palisade.kind to that event, taking only our fields from its attributes', () => {
    const result = otlpLogsParser.parse(request(authRecord))
    expect(result.rejected).toEqual([])
    expect(result.records[0]).toMatchObject({ line: 1, kind: 'auth' })
    expect(result.records[0]!.event).toEqual({
      principal: 'alice@acme.io',
      outcome: 'failure',
      failure_kind: 'user',
      client_ip: '192.0.2.7',
      ts: 1795424400123,
      source: 'otlp',
      service: 'api',
      event_id: expect.stringMatching(/^[0-9a-f]{32}$/),
    })
    expect(validateEvent('auth', result.records[0]!.event, context).ok).toBe(true)
  })

  it('takes the kind from an event name palisade.<kind>, on the record or as event.name', () => {
    const attributes = [string('src_identity', 'spiffe://acme.io/a'), string('outcome', 'success')]
    const result = otlpLogsParser.parse(
      request(
        { timeUnixNano: '1000000', eventName: 'palisade.mtls', attributes },
        { timeUnixNano: '2000000', attributes: [...attributes, string('event.name', 'palisade.mtls')] },
      ),
    )
    expect(result.records.map((record) => [record.kind, record.event.ts])).toEqual([
      ['mtls', 1],
      ['mtls', 2],
    ])
  })

  it('falls back to the observed time, and lets attributes override ts, service and source', () => {
    const result = otlpLogsParser.parse(
      request({
        timeUnixNano: '0',
        observedTimeUnixNano: '5000000',
        attributes: [
          string('palisade.kind', 'auth'),
          string('principal', 'p'),
          string('outcome', 'success'),
          string('service', 'web'),
          string('source', 'keycloak'),
        ],
      }),
    )
    expect(result.records[0]!.event).toMatchObject({ ts: 5, service: 'web', source: 'keycloak' })
  })

  it('leaves the SDK placeholder service name out, so the event gets the default service', () => {
    const body = JSON.parse(request(authRecord))
    body.resourceLogs[0].resource.attributes = [string('service.name', 'unknown_service:node')]
    expect(otlpLogsParser.parse(JSON.stringify(body)).records[0]!.event.service).toBeUndefined()
  })

  it('rejects records without a Palisade kind or with an unknown one, each costing only itself', () => {
    const result = otlpLogsParser.parse(
      request({ body: { stringValue: 'GET /' } }, authRecord, {
        attributes: [string('palisade.kind', 'dns')],
      }),
    )
    expect(result.records.map((record) => record.line)).toEqual([2])
    expect(result.rejected.map((record) => [record.line, record.reason])).toEqual([
      [1, expect.stringContaining('not perimeter telemetry')],
      [3, expect.stringContaining('"dns" is not an event kind')],
    ])
  })

  it('derives the same event id from the same record, and a different one for another resource', () => {
    const first = otlpLogsParser.parse(request(authRecord)).records[0]!.event.event_id
    expect(otlpLogsParser.parse(request(authRecord)).records[0]!.event.event_id).toBe(first)
    const other = JSON.parse(request(authRecord))
    other.resourceLogs[0].resource.attributes = [string('service.name', 'web')]
    expect(otlpLogsParser.parse(JSON.stringify(other)).records[0]!.event.event_id).not.toBe(first)
  })

  it('throws on a body that is not a JSON object, which the collector answers 400', () => {
    expect(() => otlpLogsParser.parse('{"resourceLogs": [')).toThrow()
    expect(() => otlpLogsParser.parse('[]')).toThrow(/ExportLogsServiceRequest/)
  })

  it('accepts an empty request', () => {
    expect(otlpLogsParser.parse('{}')).toEqual({ records: [], rejected: [] })
  })
})
