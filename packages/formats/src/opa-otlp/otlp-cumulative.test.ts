import { describe, expect, it } from 'vitest'
import { type CounterReading, cumulativeToDelta } from './otlp-cumulative.ts'
import { otlpMetricsParser } from './otlp-metrics.ts'

const ns = (ms: number) => `${ms}000000`
const start = 1_800_000_000_000

function request(value: number, atMs: number, startMs = start) {
  return {
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'mesh' } }] },
        scopeMetrics: [
          {
            metrics: [
              {
                name: 'palisade.mtls.handshakes',
                sum: {
                  aggregationTemporality: 2,
                  isMonotonic: true,
                  dataPoints: [
                    {
                      attributes: [{ key: 'outcome', value: { stringValue: 'success' } }],
                      startTimeUnixNano: ns(startMs),
                      timeUnixNano: ns(atMs),
                      asInt: String(value),
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  }
}

/** Send the readings one request after another, keeping what each stored; the counts produced. */
function counts(values: [number, number][], sinceMs = start): number[] {
  const known = new Map<string, CounterReading>()
  const produced: number[] = []
  for (const [value, at] of values) {
    const delta = cumulativeToDelta('acme', request(value, at), known, sinceMs)
    const parsed = otlpMetricsParser.parse(JSON.stringify(delta.request))
    expect(parsed.rejected).toEqual([])
    produced.push(...parsed.records.map((record) => record.event.count as number))
    for (const [key, reading] of delta.readings) known.set(key, reading)
  }
  return produced
}

describe('cumulativeToDelta', () => {
  it('counts each export as the increase since the last, from the start of the series', () => {
    expect(
      counts([
        [1, start + 10_000],
        [3, start + 20_000],
        [3, start + 30_000],
      ]),
    ).toEqual([1, 2])
  })

  it('reads a drop as a restart of the counter, as the scrape readers do', () => {
    expect(
      counts([
        [5, start + 10_000],
        [2, start + 20_000],
      ]),
    ).toEqual([5, 2])
  })

  it('takes a series that started before this process as a baseline: a restart never counts a total twice', () => {
    expect(
      counts(
        [
          [40, start + 10_000],
          [45, start + 20_000],
        ],
        start + 1,
      ),
    ).toEqual([5])
  })

  it('gives a retried export the same event id (nothing is stored twice)', () => {
    const once = cumulativeToDelta('acme', request(3, start + 10_000), new Map(), start)
    const again = cumulativeToDelta('acme', request(3, start + 10_000), new Map(), start)
    const ids = [once, again].map(
      (delta) => otlpMetricsParser.parse(JSON.stringify(delta.request)).records[0]!.event.event_id,
    )
    expect(ids[0]).toBe(ids[1])
  })
})
