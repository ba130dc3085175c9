import type { ParseOptions } from '../format-parser.ts'

/**
 * How to read a counter's value: `cumulative`, a running total since the proxy started (what
 * Prometheus counters and Envoy's admin `/stats` are), or `delta`, the increase since the sender's
 * previous report (what Envoy's statsd sink sends, and what a sender that differences scrapes
 * itself sends).
 */
export type Temporality = 'cumulative' | 'delta'

/** The options of a counter format, validated. */
export interface CounterOptions {
  /** `options.ts`: the time of the scrape or dump, epoch ms, for samples that carry none. Default: none. */
  ts?: number
  /** `options.temporality`: how samples without their own temporality are read. Default: `cumulative`. */
  temporality: Temporality
}

/** The names of the options `readCounterOptions` understands. */
export const counterOptionNames = ['ts', 'temporality'] as const

/** Validate `ts` (epoch ms, or ISO-8601 with a zone) and `temporality`, or say which one is wrong. */
export function readCounterOptions(options: ParseOptions | undefined): CounterOptions | { problem: string } {
  const temporality = options?.temporality ?? 'cumulative'
  if (temporality !== 'cumulative' && temporality !== 'delta') {
    return { problem: `options.temporality "${temporality}": expected cumulative or delta` }
  }
  const text = options?.ts
  if (text === undefined) return { temporality }
  if (/^\d+$/.test(text)) return { temporality, ts: Number(text) }
  const ts = /(?:Z|[+-]\d\d:?\d\d)$/i.test(text) ? Date.parse(text) : Number.NaN
  if (Number.isNaN(ts)) {
    return { problem: `options.ts "${text}": expected epoch milliseconds or ISO-8601 with a time zone` }
  }
  return { temporality, ts }
}

/**
 * What a cumulative counter grew by between two readings. A value below the previous one means
 * the proxy restarted and counted from zero again, so the new value is the whole increase (the
 * rule of Prometheus's `increase()`).
 */
export function counterIncrease(previous: number, current: number): number {
  return current >= previous ? current - previous : current
}

/** Whether a counter value can be counted: a whole, non-negative, safe integer. */
export function isCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0
}
