import type { ScenarioStream } from './scenario.ts'

/** Where a record goes: its stream (format, path, joining, options). */
export interface StreamTarget {
  format: string
  path: string
  join: ScenarioStream['join']
  options?: Record<string, string>
}

/** A cumulative counter series as a Prometheus scrape shows it. */
export interface CounterSeries {
  target: StreamTarget
  /** `name{labels}`: the sample line without value and timestamp. */
  sample: string
  /** Scrape offset within each interval, ms (targets are not all scraped at the same instant). */
  offsetMs: number
  /**
   * Value at the start when the series already existed (the proxy has been counting since it
   * started); undefined for a series born during the scenario, which appears at the first scrape
   * after its first increment (the increase up to then is the baseline a scrape cannot show).
   */
  base?: number
}

/** Scrape interval of Istio metrics and Envoy stats: 5 minutes. */
export const scrapeIntervalMs = 5 * 60_000

/**
 * Collects a scenario's records into streams, and counter increments into cumulative series that
 * are written as scrapes at the end.
 */
export function createScenarioSink(start: number, end: number) {
  const streams = new Map<string, ScenarioStream>()
  const series = new Map<string, { spec: CounterSeries; buckets: Map<number, number> }>()

  const streamOf = (target: StreamTarget): ScenarioStream => {
    let stream = streams.get(target.path)
    if (stream === undefined) {
      stream = {
        format: target.format,
        path: target.path,
        join: target.join,
        ...(target.options ? { options: target.options } : {}),
        items: [],
      }
      streams.set(target.path, stream)
    }
    return stream
  }

  /** Index of the scrape that first shows an increment at `ts`. */
  const scrapeIndex = (ts: number, offsetMs: number) =>
    Math.max(0, Math.ceil((ts - start - offsetMs) / scrapeIntervalMs))

  return {
    /** Add one record; records outside [start, end) are dropped (an incident near the edge of the range). */
    add(target: StreamTarget, ts: number, text: string): void {
      if (ts < start || ts >= end) return
      streamOf(target).items.push({ ts, text })
    },

    /** Declare a counter series (idempotent: the first declaration wins). */
    series(spec: CounterSeries): void {
      if (!series.has(spec.sample + spec.target.path)) {
        series.set(spec.sample + spec.target.path, { spec, buckets: new Map() })
      }
    },

    /** Count `amount` on a declared series at `ts`. */
    increment(spec: CounterSeries, ts: number, amount = 1): void {
      if (ts < start || ts >= end) return
      this.series(spec)
      const entry = series.get(spec.sample + spec.target.path)!
      const index = scrapeIndex(ts, entry.spec.offsetMs)
      entry.buckets.set(index, (entry.buckets.get(index) ?? 0) + amount)
    },

    /** The streams, with every series written as scrapes and every stream in time order. */
    finish(): ScenarioStream[] {
      for (const { spec, buckets } of series.values()) {
        const first = spec.base !== undefined ? 0 : Math.min(...buckets.keys())
        let value = spec.base ?? 0
        for (let index = 0; ; index++) {
          const ts = start + spec.offsetMs + index * scrapeIntervalMs
          if (ts >= end) break
          value += buckets.get(index) ?? 0
          if (index >= first) streamOf(spec.target).items.push({ ts, text: `${spec.sample} ${value} ${ts}` })
        }
      }
      const result = [...streams.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
      // Array.prototype.sort is stable: records of the same millisecond keep the order they were made in.
      for (const stream of result) stream.items.sort((a, b) => a.ts - b.ts)
      return result
    },
  }
}

export type ScenarioSink = ReturnType<typeof createScenarioSink>
