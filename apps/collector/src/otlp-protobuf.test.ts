import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import protobuf from 'protobufjs'
import { describe, expect, it } from 'vitest'
import { BodyUnreadableError } from './errors.ts'
import { loadOtlpProtobuf } from './otlp-protobuf.ts'

// The shared fixtures are OTLP's own JSON examples (open-telemetry/opentelemetry-proto examples/
// @ ac2c4b5d1f3a, see shared/fixtures/README.md); encoded to protobuf here, they must decode back
// to the same JSON-encoding shape the parsers read.
const fixturesDir = fileURLToPath(new URL('../../../../shared/fixtures/otlp-json/', import.meta.url))
const inCi = process.env.CI === 'true'
let fixturesHere = true
try {
  readFileSync(`${fixturesDir}otel-proto-examples-logs.json`)
} catch (error) {
  if (inCi) throw error
  fixturesHere = false
}

const root = new protobuf.Root()
root.resolvePath = (_origin, target) => fileURLToPath(new URL(`./otlp-proto/${target}`, import.meta.url))
root.loadSync([
  'opentelemetry/proto/collector/logs/v1/logs_service.proto',
  'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
])

/** The fixture as protobuf: hex ids become bytes (protobufjs reads base64 text as bytes). */
function encode(type: string, request: unknown): Uint8Array {
  const message = root.lookupType(type)
  const withBytes = JSON.parse(JSON.stringify(request), (key, value) =>
    key === 'traceId' || key === 'spanId' ? Buffer.from(value, 'hex') : value,
  )
  return message.encode(message.fromObject(withBytes)).finish()
}

const otlp = loadOtlpProtobuf()

describe.skipIf(!fixturesHere)('OTLP protobuf > shared fixtures', () => {
  it('decodes a logs request to the JSON encoding of the OTLP example (hex ids, int64 as text)', () => {
    const example = JSON.parse(readFileSync(`${fixturesDir}otel-proto-examples-logs.json`, 'utf8'))
    const decoded = otlp.decodeRequest(
      'logs',
      encode('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest', example),
    )
    const record = example.resourceLogs[0].scopeLogs[0].logRecords[0]
    record.traceId = record.traceId.toLowerCase()
    record.spanId = record.spanId.toLowerCase()
    expect(decoded).toEqual(example)
  })

  it('decodes a metrics request to the JSON encoding of the OTLP example', () => {
    const example = JSON.parse(readFileSync(`${fixturesDir}otel-proto-examples-metrics.json`, 'utf8'))
    const decoded = otlp.decodeRequest(
      'metrics',
      encode('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest', example),
    )
    // proto3 does not put zero scalars on the wire, so the example's explicit zeros come back unset.
    const point = example.resourceMetrics[0].scopeMetrics[0].metrics[3].exponentialHistogram.dataPoints[0]
    delete point.scale
    delete point.zeroThreshold
    expect(decoded).toEqual(example)
  })
})

describe('OTLP protobuf', () => {
  it('refuses bytes that are not the request message with BodyUnreadableError', () => {
    expect(() => otlp.decodeRequest('metrics', Uint8Array.from([0x0a, 0x05, 0x01]))).toThrow(
      BodyUnreadableError,
    )
  })

  it('encodes a partial success that protobuf readers decode back', () => {
    const type = root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse')
    const bytes = otlp.encodeResponse('metrics', {
      partialSuccess: { rejectedDataPoints: 3, errorMessage: 'why' },
    })
    expect(type.toObject(type.decode(bytes), { longs: Number })).toEqual({
      partialSuccess: { rejectedDataPoints: 3, errorMessage: 'why' },
    })
  })
})
