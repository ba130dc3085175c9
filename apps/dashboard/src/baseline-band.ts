/** One bucket of a baseline band: the usual range of a series at that time of day. */
export interface BaselinePoint {
  /** Bucket start, epoch ms (the grid of the series it sits behind). */
  ts_ms: number
  /** Lower quantile of the previous days' values (default p10). */
  low: number
  /** Median of the previous days' values. */
  median: number
  /** Upper quantile of the previous days' values (default p90). */
  high: number
  /** How many previous days had a value for this bucket. */
  samples: number
}

/** The rows one earlier day answered, and how far back that day is (ms, a multiple of 24 h). */
export interface BaselineDay {
  shiftMs: number
  rows: ReadonlyArray<Record<string, unknown>>
}

/** Quantile `q` of sorted `values` by linear interpolation between the closest ranks. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN
  const position = (sorted.length - 1) * q
  const below = Math.floor(position)
  const above = Math.ceil(position)
  const low = sorted[below] as number
  const high = sorted[above] as number
  return low + (high - low) * (position - below)
}

/**
 * The band behind a series: for every bucket of `[from, to]` on the series' grid (`ts_ms` a
 * multiple of `stepMs`, as the rollup queries bucket), the `low`–`high` quantiles and the median of
 * `field` in the same bucket of each earlier day (each day's rows moved forward by its shift). A
 * bucket fewer than `minSamples` days had a value for is left out: a band of one day is no usual
 * range.
 */
export function baselineBand(
  days: readonly BaselineDay[],
  options: {
    field: string
    stepMs: number
    from: number
    to: number
    low?: number
    high?: number
    minSamples?: number
  },
): BaselinePoint[] {
  const { field, stepMs, from, to, low = 0.1, high = 0.9, minSamples = 3 } = options
  const byBucket = new Map<number, number[]>()
  for (const day of days) {
    for (const row of day.rows) {
      const ts = Number(row.ts_ms)
      const value = row[field]
      if (!Number.isFinite(ts) || value === null || value === undefined) continue
      const number = Number(value)
      if (!Number.isFinite(number)) continue
      const bucket = Math.floor((ts + day.shiftMs) / stepMs) * stepMs
      if (bucket + stepMs <= from || bucket > to) continue
      const list = byBucket.get(bucket) ?? []
      list.push(number)
      byBucket.set(bucket, list)
    }
  }
  return [...byBucket.entries()]
    .filter(([, values]) => values.length >= minSamples)
    .sort(([a], [b]) => a - b)
    .map(([ts, values]) => {
      const sorted = [...values].sort((a, b) => a - b)
      return {
        ts_ms: ts,
        low: quantile(sorted, low),
        median: quantile(sorted, 0.5),
        high: quantile(sorted, high),
        samples: sorted.length,
      }
    })
}
