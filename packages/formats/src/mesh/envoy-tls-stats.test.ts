import { validateEvent } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import type { ParseResult } from '../format-parser.ts'
import { envoyTlsStatsParser } from './envoy-tls-stats.ts'

const t1 = 1_700_000_000_000
const t2 = t1 + 60_000

interface Counters {
  handshake: number
  no_certificate: number
  connection_error: number
  fail_verify_no_cert: number
  fail_verify_error: number
  fail_verify_san: number
  fail_verify_cert_hash: number
}

const zero: Counters = {
  handshake: 0,
  no_certificate: 0,
  connection_error: 0,
  fail_verify_no_cert: 0,
  fail_verify_error: 0,
  fail_verify_san: 0,
  fail_verify_cert_hash: 0,
}

/** An admin `/stats` dump of one listener, with the neighbours such a dump has. */
function adminDump(counters: Partial<Counters>, listener = '0.0.0.0_15006'): string {
  return [
    `cluster.outbound|9080||reviews.default.svc.cluster.local.ssl.handshake: 99`,
    `listener.${listener}.downstream_cx_total: 40`,
    ...Object.entries({ ...zero, ...counters }).map(
      ([stat, value]) => `listener.${listener}.ssl.${stat}: ${value}`,
    ),
    `listener.${listener}.ssl.ciphers.ECDHE-RSA-AES128-GCM-SHA256: 12`,
    `listener.${listener}.ssl.versions.TLSv1.3: 12`,
    'cluster.xds-grpc.upstream_cx_length_ms: P0(nan,2) P25(nan,2.025) P50(nan,2.05)',
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

describe('envoy-tls-stats > admin /stats dumps (cumulative)', () => {
  it('produces nothing from a single dump, and counts the other statistics it read', () => {
    expect(envoyTlsStatsParser.parse(adminDump({ handshake: 10 }), { ts: String(t1) })).toEqual({
      records: [],
      rejected: [],
      ignored: 5,
    })
  })

  it('splits the increase between two dumps into mutual and server-only successes and failures by reason', () => {
    const before = adminDump({
      handshake: 10,
      no_certificate: 2,
      connection_error: 3,
      fail_verify_no_cert: 1,
    })
    const after = adminDump({
      handshake: 25,
      no_certificate: 5,
      connection_error: 3,
      fail_verify_no_cert: 4,
      fail_verify_san: 1,
    })
    const result = envoyTlsStatsParser.parse(`${before}\n${after}`, { ts: String(t2), service: 'reviews' })
    expect(result.rejected).toEqual([])
    const common = { ts: t2, source: 'envoy', service: 'reviews', dst_port: 15006 }
    expect(result.records.map((record) => record.event)).toEqual([
      { event_id: expect.any(String), ...common, mode: 'mutual', outcome: 'success', count: 12 },
      { event_id: expect.any(String), ...common, mode: 'tls', outcome: 'success', count: 3 },
      {
        event_id: expect.any(String),
        ...common,
        mode: 'mutual',
        outcome: 'failure',
        reason: 'fail_verify_no_cert',
        count: 3,
      },
      {
        event_id: expect.any(String),
        ...common,
        mode: 'mutual',
        outcome: 'failure',
        reason: 'fail_verify_san',
        count: 1,
      },
    ])
    expect(new Set(result.records.map((record) => record.event.event_id)).size).toBe(4)
    expectAllValid(result)
  })

  it('keeps the same ids on every parse of the same dumps', () => {
    const input = `${adminDump({ handshake: 1 })}\n${adminDump({ handshake: 3 })}`
    const ids = () =>
      envoyTlsStatsParser.parse(input, { ts: String(t2) }).records.map((record) => record.event.event_id)
    expect(ids()).toEqual(ids())
  })

  it('counts a restart (a drop) as the new total', () => {
    const input = `${adminDump({ handshake: 500 })}\n${adminDump({ handshake: 7 })}`
    expect(envoyTlsStatsParser.parse(input, { ts: String(t2) }).records[0]!.event.count).toBe(7)
  })

  it('tells listeners apart, an IPv6 one included, and keeps no port for a stat prefix', () => {
    const input = [
      adminDump({ handshake: 1 }, '[__]_443'),
      adminDump({ handshake: 1 }, 'public_https'),
      adminDump({ handshake: 4 }, '[__]_443'),
      adminDump({ handshake: 2 }, 'public_https'),
    ].join('\n')
    const result = envoyTlsStatsParser.parse(input, { ts: String(t2) })
    expect(result.records.map((record) => [record.event.dst_port, record.event.count])).toEqual([
      [443, 3],
      [undefined, 1],
    ])
    expectAllValid(result)
  })

  it('rejects a dump without a time, naming the option', () => {
    const result = envoyTlsStatsParser.parse(adminDump({ handshake: 1 }))
    expect(result.rejected).toHaveLength(7)
    expect(result.rejected[0]!.reason).toContain('options.ts')
  })

  it('counts dumps as deltas with temporality=delta', () => {
    const result = envoyTlsStatsParser.parse(adminDump({ handshake: 5, fail_verify_error: 2 }), {
      ts: String(t1),
      temporality: 'delta',
    })
    expect(
      result.records.map((record) => [record.event.outcome, record.event.reason, record.event.count]),
    ).toEqual([
      ['success', undefined, 5],
      ['failure', 'fail_verify_error', 2],
    ])
  })

  it('labels connection errors tls when every success of the interval was without a client certificate', () => {
    const input = `${adminDump({})}\n${adminDump({ handshake: 4, no_certificate: 4, connection_error: 1 })}`
    const result = envoyTlsStatsParser.parse(input, { ts: String(t2) })
    expect(result.records.map((record) => [record.event.mode, record.event.outcome])).toEqual([
      ['tls', 'success'],
      ['tls', 'failure'],
    ])
  })
})

describe('envoy-tls-stats > statsd and Prometheus', () => {
  it('counts statsd counters as the increases they are', () => {
    const input = [
      'envoy.listener.0.0.0.0_15006.ssl.handshake:4|c',
      'envoy.listener.0.0.0.0_15006.ssl.fail_verify_error:1|c|#env:prod',
      'envoy.listener.0.0.0.0_15006.ssl.handshake:2|c',
      'envoy.listener.0.0.0.0_15006.downstream_cx_active:3|g',
      'envoy.listener.0.0.0.0_15006.ssl.connection_error:1|c|@0.5',
    ].join('\n')
    const result = envoyTlsStatsParser.parse(input, { ts: String(t1) })
    expect(result.rejected).toEqual([])
    expect(
      result.records.map((record) => [
        record.line,
        record.event.reason ?? record.event.mode,
        record.event.count,
      ]),
    ).toEqual([
      [1, 'mutual', 4],
      [2, 'fail_verify_error', 1],
      [3, 'mutual', 2],
      [5, 'connection_error', 2],
    ])
    expectAllValid(result)
  })

  it('pairs Prometheus samples by time, even listed series by series', () => {
    const sample = (stat: string, value: number, ts: number) =>
      `envoy_listener_ssl_${stat}{envoy_listener_address="0.0.0.0_15006"} ${value} ${ts}`
    const input = [
      '# TYPE envoy_listener_ssl_handshake counter',
      sample('handshake', 10, t1),
      sample('handshake', 20, t2),
      sample('no_certificate', 1, t1),
      sample('no_certificate', 3, t2),
      'envoy_cluster_ssl_handshake{envoy_cluster_name="xds-grpc"} 5',
    ].join('\n')
    const result = envoyTlsStatsParser.parse(input)
    expect(result.rejected).toEqual([])
    expect(result.records.map((record) => [record.event.ts, record.event.mode, record.event.count])).toEqual([
      [t2, 'mutual', 8],
      [t2, 'tls', 2],
    ])
  })

  it('rejects lines in none of the three syntaxes and Prometheus samples without a listener', () => {
    const result = envoyTlsStatsParser.parse('hello world again\nenvoy_listener_ssl_handshake{} 3', {
      ts: String(t1),
    })
    expect(result.rejected.map((record) => [record.line, record.reason])).toEqual([
      [1, expect.stringContaining('not an Envoy stats line')],
      [2, expect.stringContaining('envoy_listener_address')],
    ])
  })

  it('rejects lines that only look like `name: value` (a JSON line, a sentence), each with a reason', () => {
    const result = envoyTlsStatsParser.parse(
      ['{"listener": 1}', 'status: all good', 'cluster.a.upstream_cx_total: 4'].join('\n'),
      { ts: String(t1) },
    )
    expect(result.rejected.map((record) => [record.line, record.raw, record.reason])).toEqual([
      [1, '{"listener": 1}', 'not an Envoy stats line (admin, statsd or Prometheus)'],
      [2, 'status: all good', 'not an Envoy stats line (admin, statsd or Prometheus)'],
    ])
    expect(result.ignored).toBe(1)
  })

  it('rejects a value that is not a count and a bad option', () => {
    expect(
      envoyTlsStatsParser.parse('listener.x_1.ssl.handshake: -1', { ts: '0' }).rejected[0]!.reason,
    ).toContain('not a count')
    expect(
      envoyTlsStatsParser.parse('listener.x_1.ssl.handshake: 1', { temporality: 'rate' }).rejected[0]!.reason,
    ).toContain('options.temporality')
  })
})
