import { deriveEventId, validateEvent } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import type { ParseResult } from '../format-parser.ts'
import { istioMetricsParser } from './istio-metrics.ts'

const productpage = 'spiffe://cluster.local/ns/default/sa/bookinfo-productpage'
const reviews = 'spiffe://cluster.local/ns/default/sa/bookinfo-reviews'
const t1 = 1_700_000_000_000
const t2 = t1 + 15_000
const t3 = t2 + 15_000

function labelValues(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    reporter: 'destination',
    source_workload: 'productpage-v1',
    source_principal: productpage,
    destination_workload: 'reviews-v1',
    destination_principal: reviews,
    destination_service: 'reviews.default.svc.cluster.local',
    request_protocol: 'http',
    response_code: '200',
    connection_security_policy: 'mutual_tls',
    ...overrides,
  }
}

function labels(overrides: Record<string, string> = {}): string {
  const pairs = Object.entries(labelValues(overrides)).map(([key, value]) => `${key}="${value}"`)
  return `{${pairs.join(',')}}`
}

/** One scrape as a sidecar's /stats/prometheus gives it, with explicit timestamps. */
function scrape(
  ts: number | undefined,
  values: { mtls: number; plain: number; source: number; tcp: number },
): string {
  const at = ts === undefined ? '' : ` ${ts}`
  return [
    '# HELP istio_requests_total Total requests.',
    '# TYPE istio_requests_total counter',
    `istio_requests_total${labels()} ${values.mtls}${at}`,
    `istio_requests_total${labels({ connection_security_policy: 'none', source_principal: 'unknown' })} ${values.plain}${at}`,
    `istio_requests_total${labels({ reporter: 'source', connection_security_policy: 'unknown' })} ${values.source}${at}`,
    `istio_tcp_connections_opened_total${labels({ destination_service: 'mongo.db.svc.cluster.local' })} ${values.tcp}${at}`,
    `istio_request_duration_milliseconds_bucket${labels({ le: '5' })} 10${at}`,
    `envoy_cluster_upstream_cx_total{cluster_name="xds-grpc"} 3${at}`,
  ].join('\n')
}

function expectAllValid(result: ParseResult): void {
  for (const record of result.records) {
    expect(
      validateEvent('mtls', structuredClone(record.event), { tenant: 't', observedAt: 0 }),
    ).toMatchObject({
      ok: true,
    })
  }
}

describe('istio-metrics > cumulative counters (default)', () => {
  it('produces nothing from a single scrape: a total says nothing about when', () => {
    expect(istioMetricsParser.parse(scrape(t1, { mtls: 100, plain: 5, source: 100, tcp: 3 }))).toEqual({
      records: [],
      rejected: [],
    })
  })

  it('counts the increase between two scrapes, destination reporter only', () => {
    const input = `${scrape(t1, { mtls: 100, plain: 5, source: 100, tcp: 3 })}\n${scrape(t2, { mtls: 130, plain: 5, source: 130, tcp: 4 })}`
    const result = istioMetricsParser.parse(input)
    expect(result.rejected).toEqual([])
    expect(result.records.map((record) => record.event)).toEqual([
      {
        event_id: expect.any(String),
        ts: t2,
        source: 'istio',
        service: 'reviews.default.svc.cluster.local',
        src_identity: productpage,
        dst_identity: reviews,
        mode: 'mutual',
        outcome: 'success',
        count: 30,
      },
      expect.objectContaining({ service: 'mongo.db.svc.cluster.local', mode: 'mutual', count: 1 }),
    ])
    // The plaintext series did not grow: no traffic, no event.
    expect(result.records[0]!.line).toBe(11)
    expect(result.records[0]!.raw.split('\n')).toHaveLength(2)
    expectAllValid(result)
  })

  it('maps connection_security_policy none to plaintext, without a source identity for unknown', () => {
    const input = `${scrape(t1, { mtls: 0, plain: 5, source: 0, tcp: 0 })}\n${scrape(t2, { mtls: 0, plain: 7, source: 0, tcp: 0 })}`
    const [record] = istioMetricsParser.parse(input).records
    expect(record!.event).toMatchObject({ mode: 'plaintext', count: 2, dst_identity: reviews })
    expect(record!.event).not.toHaveProperty('src_identity')
  })

  it('reads a drop as a restart: the new total is the increase', () => {
    const input = `${scrape(t1, { mtls: 100, plain: 0, source: 0, tcp: 0 })}\n${scrape(t2, { mtls: 12, plain: 0, source: 0, tcp: 0 })}`
    expect(istioMetricsParser.parse(input).records[0]!.event.count).toBe(12)
  })

  it('orders samples by timestamp, as a series-major dump lists them', () => {
    const series = `istio_requests_total${labels()}`
    const input = [`${series} 130 ${t2}`, `${series} 100 ${t1}`, `${series} 160 ${t3}`].join('\n')
    expect(
      istioMetricsParser.parse(input).records.map((record) => [record.event.ts, record.event.count]),
    ).toEqual([
      [t2, 30],
      [t3, 30],
    ])
  })

  it('reads promtool tsdb dump lines', () => {
    const dump = (value: number, ts: number) =>
      `{__name__="istio_requests_total", reporter="destination", connection_security_policy="mutual_tls", destination_service="reviews.default.svc.cluster.local"} ${value} ${ts}`
    const result = istioMetricsParser.parse([dump(1, t1), dump(4, t2)].join('\n'))
    expect(result.records.map((record) => record.event.count)).toEqual([3])
    expectAllValid(result)
  })

  it('derives ids from both samples, so that overlapping inputs add each increase once', () => {
    const s1 = scrape(t1, { mtls: 100, plain: 0, source: 0, tcp: 0 })
    const s2 = scrape(t2, { mtls: 130, plain: 0, source: 0, tcp: 0 })
    const s3 = scrape(t3, { mtls: 170, plain: 0, source: 0, tcp: 0 })
    const ids = (input: string) =>
      istioMetricsParser.parse(input).records.map((record) => record.event.event_id)
    expect(ids(`${s1}\n${s2}`)).toEqual(ids(`${s1}\n${s2}`))
    const [first] = ids(`${s1}\n${s2}`)
    const [second] = ids(`${s2}\n${s3}`)
    expect(first).not.toBe(second)
    expect(ids(`${s1}\n${s2}\n${s3}`)).toEqual([first, second])
    const source = {
      name: 'istio_requests_total',
      labels: labelValues(),
      from: { value: 100, ts: t1 },
      to: { value: 130, ts: t2 },
    }
    expect(first).toBe(deriveEventId('istio-metrics/mtls', source))
  })

  it('takes the time of scrapes without timestamps from options.ts, in input order', () => {
    const input = `${scrape(undefined, { mtls: 100, plain: 0, source: 0, tcp: 0 })}\n${scrape(undefined, { mtls: 110, plain: 0, source: 0, tcp: 0 })}`
    const result = istioMetricsParser.parse(input, { ts: '2024-05-01T10:00:00Z' })
    expect(result.records.map((record) => [record.event.ts, record.event.count])).toEqual([
      [Date.parse('2024-05-01T10:00:00Z'), 10],
    ])
  })

  it('rejects samples with no time at all, naming the option', () => {
    const result = istioMetricsParser.parse(scrape(undefined, { mtls: 1, plain: 1, source: 1, tcp: 1 }))
    expect(result.rejected.map((record) => record.line)).toEqual([3, 4, 6])
    expect(result.rejected[0]!.reason).toContain('options.ts')
  })
})

describe('istio-metrics > delta temporality', () => {
  it('counts each sample as it is, zero being no event', () => {
    const result = istioMetricsParser.parse(scrape(t1, { mtls: 7, plain: 0, source: 7, tcp: 2 }), {
      temporality: 'delta',
    })
    expect(result.records.map((record) => [record.line, record.event.mode, record.event.count])).toEqual([
      [3, 'mutual', 7],
      [6, 'mutual', 2],
    ])
    expect(result.records[0]!.event.event_id).toBe(
      istioMetricsParser.parse(scrape(t1, { mtls: 7, plain: 0, source: 7, tcp: 2 }), { temporality: 'delta' })
        .records[0]!.event.event_id,
    )
    expectAllValid(result)
  })
})

describe('istio-metrics > per-record errors', () => {
  const one = (line: string) => istioMetricsParser.parse(line, { temporality: 'delta' })

  it('rejects a destination sample that cannot tell mTLS from plaintext', () => {
    expect(
      one(`istio_requests_total${labels({ connection_security_policy: 'unknown' })} 3 ${t1}`).rejected[0]!
        .reason,
    ).toContain('connection_security_policy "unknown"')
  })

  it('rejects an invalid SPIFFE principal, naming it', () => {
    const reason = one(
      `istio_requests_total${labels({ source_principal: 'spiffe://cluster.local/ns//sa/x' })} 3 ${t1}`,
    ).rejected[0]!.reason
    expect(reason).toMatch(
      /^source_principal: invalid SPIFFE ID "spiffe:\/\/cluster\.local\/ns\/\/sa\/x": path cannot contain empty segments/,
    )
  })

  it('rejects a value that is not a count and a line that is not a sample', () => {
    expect(one(`istio_requests_total${labels()} 2.5 ${t1}`).rejected[0]!.reason).toContain('not a count')
    expect(one('istio_requests_total{reporter="destination" 3').rejected[0]!.reason).toContain('expected')
  })

  it('rejects the counted samples when an option is wrong', () => {
    const result = istioMetricsParser.parse(scrape(t1, { mtls: 1, plain: 1, source: 1, tcp: 1 }), {
      temporality: 'gauge',
    })
    expect(result.records).toEqual([])
    expect(result.rejected.map((record) => record.reason)).toEqual(
      Array(3).fill(expect.stringContaining('options.temporality')),
    )
    expect(
      istioMetricsParser.parse(scrape(undefined, { mtls: 1, plain: 0, source: 0, tcp: 0 }), {
        ts: 'yesterday',
      }).rejected[0]!.reason,
    ).toContain('options.ts')
  })
})
