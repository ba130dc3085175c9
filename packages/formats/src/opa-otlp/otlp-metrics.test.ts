import { validateEvent } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import { readSharedFixture, sharedFixturesAvailable } from '../testing/shared-fixtures.ts'
import { otlpMetricsParser } from './otlp-metrics.ts'

const context = { tenant: 'acme', observedAt: 1 }
const string = (key: string, value: string) => ({ key, value: { stringValue: value } })

/** An ExportMetricsServiceRequest with one resource (service.name `mesh`) and these metrics. */
function request(...metrics: unknown[]): string {
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: { attributes: [string('service.name', 'mesh')] },
        scopeMetrics: [{ scope: { name: 't' }, metrics }],
      },
    ],
  })
}

function handshakes(points: Record<string, unknown>[], sum: Record<string, unknown> = {}) {
  return {
    name: 'palisade.mtls.handshakes',
    unit: '{handshake}',
    sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: points, ...sum },
  }
}

const failurePoint = {
  startTimeUnixNano: '1795424340000000000',
  timeUnixNano: '1795424400000000000',
  asInt: '7',
  attributes: [
    string('outcome', 'failure'),
    string('reason', 'expired_cert'),
    string('src_identity', 'spiffe://acme.io/ns/shop/sa/web'),
    string('dst_identity', 'spiffe://acme.io/ns/pay/sa/api'),
    { key: 'dst_port', value: { intValue: '8443' } },
    string('k8s.pod.name', 'web-1'),
  ],
}

describe.skipIf(!sharedFixturesAvailable(process.env.CI === 'true'))('otlp-metrics > shared fixtures', () => {
  // open-telemetry/opentelemetry-proto examples/metrics.json @ ac2c4b5d1f3a (fixtures README).
  it('reads the OTLP example request and rejects each of its four points with a reason', () => {
    const result = otlpMetricsParser.parse(readSharedFixture('otlp-json/otel-proto-examples-metrics.json'))
    expect(result.records).toEqual([])
    expect(result.rejected.map((record) => record.line)).toEqual([1, 2, 3, 4])
    expect(result.rejected[0]!.reason).toContain('"my.counter" is not one Palisade maps')
  })

  it('maps the example delta counter once named and labelled by the convention', () => {
    const example = JSON.parse(readSharedFixture('otlp-json/otel-proto-examples-metrics.json'))
    const counter = example.resourceMetrics[0].scopeMetrics[0].metrics[0]
    counter.name = 'palisade.mtls.handshakes'
    counter.sum.dataPoints[0].attributes.push(string('outcome', 'success'))
    const result = otlpMetricsParser.parse(JSON.stringify(example))
    expect(result.records).toHaveLength(1)
    expect(result.records[0]!.event).toMatchObject({
      count: 5,
      outcome: 'success',
      ts: 1544712660300,
      service: 'my.service',
    })
    expect(validateEvent('mtls', result.records[0]!.event, context).ok).toBe(true)
  })
})

describe('otlp-metrics', () => {
  it('maps a delta point of palisade.mtls.handshakes to one mTLS event whose count is the value', () => {
    const result = otlpMetricsParser.parse(request(handshakes([failurePoint])))
    expect(result.rejected).toEqual([])
    expect(result.records[0]).toMatchObject({ line: 1, kind: 'mtls' })
    expect(result.records[0]!.event).toEqual({
      outcome: 'failure',
      reason: 'expired_cert',
      src_identity: 'spiffe://acme.io/ns/shop/sa/web',
      dst_identity: 'spiffe://acme.io/ns/pay/sa/api',
      dst_port: 8443,
      count: 7,
      ts: 1795424400000,
      source: 'otlp',
      service: 'mesh',
      event_id: expect.stringMatching(/^[0-9a-f]{32}$/),
    })
    expect(validateEvent('mtls', result.records[0]!.event, context).ok).toBe(true)
  })

  it('reads a whole asDouble value (what the JS SDK sends for a counter)', () => {
    const point = { ...failurePoint, asInt: undefined, asDouble: 3 }
    expect(otlpMetricsParser.parse(request(handshakes([point]))).records[0]!.event.count).toBe(3)
  })

  it('rejects cumulative sums with a reason that says to send deltas', () => {
    const result = otlpMetricsParser.parse(
      request(handshakes([failurePoint, failurePoint], { aggregationTemporality: 2 })),
    )
    expect(result.records).toEqual([])
    expect(result.rejected.map((record) => record.line)).toEqual([1, 2])
    expect(result.rejected[0]!.reason).toContain('cumulative temporality; send delta')
  })

  it('rejects gauges, non-monotonic sums and fractional values, each point alone', () => {
    const result = otlpMetricsParser.parse(
      request(
        { name: 'palisade.mtls.handshakes', gauge: { dataPoints: [failurePoint] } },
        handshakes([failurePoint], { isMonotonic: false }),
        handshakes([{ ...failurePoint, asInt: undefined, asDouble: 2.5 }, failurePoint]),
      ),
    )
    expect(result.records.map((record) => record.line)).toEqual([4])
    expect(result.rejected.map((record) => [record.line, record.reason])).toEqual([
      [1, expect.stringContaining('is a gauge')],
      [2, expect.stringContaining('not monotonic')],
      [3, expect.stringContaining('not a whole non-negative count')],
    ])
  })

  it('skips points that stand for no handshake: value 0 or no recorded value', () => {
    const result = otlpMetricsParser.parse(
      request(
        handshakes([
          { ...failurePoint, asInt: '0' },
          { ...failurePoint, flags: 1 },
        ]),
      ),
    )
    expect(result).toEqual({ records: [], rejected: [] })
  })

  it('keeps a rejected point readable on its own: the metric with that one point', () => {
    const result = otlpMetricsParser.parse(
      request({ name: 'http.server.duration', histogram: { dataPoints: [{ count: '1' }] } }),
    )
    expect(JSON.parse(result.rejected[0]!.raw)).toEqual({
      name: 'http.server.duration',
      histogram: { dataPoints: [{ count: '1' }] },
    })
  })

  it('derives the same event id for a re-sent point', () => {
    const ids = [1, 2].map(
      () => otlpMetricsParser.parse(request(handshakes([failurePoint]))).records[0]!.event.event_id,
    )
    expect(ids[1]).toBe(ids[0])
  })
})
