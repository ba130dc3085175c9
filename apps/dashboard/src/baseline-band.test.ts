import { describe, expect, it } from 'vitest'
import { baselineBand, quantile } from './baseline-band.ts'

const DAY = 24 * 3600_000
const MINUTE = 60_000
const from = Date.UTC(2026, 10, 23, 10)
const to = from + 10 * MINUTE - 1

describe('baselineBand', () => {
  it('interpolates quantiles between the closest ranks', () => {
    expect(quantile([1, 2, 3, 4, 5], 0.5)).toBe(3)
    expect(quantile([1, 2, 3, 4, 5], 0.1)).toBeCloseTo(1.4, 10)
    expect(quantile([7], 0.9)).toBe(7)
  })

  it('puts each earlier day on the same time of today and takes p10, median and p90 per bucket', () => {
    // Seven earlier days, each with 0.01 × its age at 10:00 and 10:05 (5-minute buckets).
    const days = Array.from({ length: 7 }, (_, i) => ({
      shiftMs: (i + 1) * DAY,
      rows: [
        { ts_ms: from - (i + 1) * DAY, ratio: 0.01 * (i + 1) },
        { ts_ms: from - (i + 1) * DAY + 5 * MINUTE, ratio: 0.02 * (i + 1) },
      ],
    }))
    const band = baselineBand(days, { field: 'ratio', stepMs: 5 * MINUTE, from, to })
    expect(band.map((p) => p.ts_ms)).toEqual([from, from + 5 * MINUTE])
    expect(band[0]).toMatchObject({ samples: 7, median: 0.04 })
    expect(band[0]?.low).toBeCloseTo(0.016, 10)
    expect(band[0]?.high).toBeCloseTo(0.064, 10)
    expect(band[1]?.median).toBeCloseTo(0.08, 10)
  })

  it('leaves out buckets too few days had a value for, and values that are not numbers', () => {
    const days = [1, 2, 3].map((d) => ({
      shiftMs: d * DAY,
      rows: [
        { ts_ms: from - d * DAY, ratio: d === 3 ? null : 0.5 },
        { ts_ms: from - d * DAY + 5 * MINUTE, ratio: 0.1 * d },
      ],
    }))
    const band = baselineBand(days, { field: 'ratio', stepMs: 5 * MINUTE, from, to })
    expect(band.map((p) => p.ts_ms)).toEqual([from + 5 * MINUTE])
    expect(band[0]?.samples).toBe(3)
  })

  it('keeps only buckets inside the range asked for', () => {
    const days = [1, 2, 3].map((d) => ({
      shiftMs: d * DAY,
      rows: [
        { ts_ms: from - d * DAY - 5 * MINUTE, n: 1 },
        { ts_ms: from - d * DAY + 20 * MINUTE, n: 1 },
      ],
    }))
    expect(baselineBand(days, { field: 'n', stepMs: 5 * MINUTE, from, to })).toEqual([])
  })
})
