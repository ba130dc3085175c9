import { describe, expect, it } from 'vitest'
import { parsePrometheusLine } from './prometheus-text.ts'

describe('parsePrometheusLine', () => {
  it('reads a sample with labels, escapes and a millisecond timestamp', () => {
    expect(
      parsePrometheusLine(
        'istio_requests_total{reporter="destination",path="a\\"b\\\\c\\nd",} 42 1700000000000',
      ),
    ).toEqual({
      name: 'istio_requests_total',
      labels: { reporter: 'destination', path: 'a"b\\c\nd' },
      value: 42,
      ts: 1700000000000,
    })
  })

  it('reads a sample without labels or timestamp, and special values', () => {
    expect(parsePrometheusLine('up 1')).toEqual({ name: 'up', labels: {}, value: 1 })
    expect(parsePrometheusLine('x +Inf')).toMatchObject({ value: Number.POSITIVE_INFINITY })
    expect(parsePrometheusLine('x 1.5e3')).toMatchObject({ value: 1500 })
  })

  it('reads OpenMetrics seconds and drops exemplars', () => {
    expect(parsePrometheusLine('x_total{a="b"} 3 1700000000.5 # {trace_id="t"} 1 1700000000')).toEqual({
      name: 'x_total',
      labels: { a: 'b' },
      value: 3,
      ts: 1700000000500,
    })
  })

  it('reads promtool tsdb dump lines, the name in __name__', () => {
    expect(parsePrometheusLine('{__name__="up", job="envoy"} 1 1700000000000')).toEqual({
      name: 'up',
      labels: { job: 'envoy' },
      value: 1,
      ts: 1700000000000,
    })
  })

  it('skips comments and blank lines', () => {
    expect(parsePrometheusLine('# TYPE istio_requests_total counter')).toBeUndefined()
    expect(parsePrometheusLine('   ')).toBeUndefined()
  })

  it('says why a line is not a sample', () => {
    expect(parsePrometheusLine('x{a="b} 1')).toContain('not closed')
    expect(parsePrometheusLine('x{a=b} 1')).toContain('="..."')
    expect(parsePrometheusLine('x{a="1",a="2"} 1')).toContain('twice')
    expect(parsePrometheusLine('x abc')).toContain('not a number')
    expect(parsePrometheusLine('x 1 2 3')).toContain('not a sample line')
    expect(parsePrometheusLine('{job="a"} 1')).toContain('no metric name')
    expect(parsePrometheusLine('x 1 -5')).toContain('not a time')
  })
})
