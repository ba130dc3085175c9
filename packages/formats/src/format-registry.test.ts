import { describe, expect, it } from 'vitest'
import { formatParsers } from './format-registry.ts'

describe('format registry', () => {
  it('has our own NDJSON format for every event kind', () => {
    for (const kind of ['flow', 'auth', 'mtls', 'decision', 'policy_change'])
      expect(formatParsers.get(kind)?.kinds).toEqual([kind])
  })

  it('names every format in lower-case URL-safe words, each once', () => {
    for (const [name, parser] of formatParsers) {
      expect(name).toMatch(/^[a-z][a-z0-9_-]*$/)
      expect(parser.name).toBe(name)
      expect(parser.description.length).toBeGreaterThan(10)
    }
  })

  it('marks the formats of cumulative counters, whose senders must repeat the previous reading', () => {
    const cumulative = [...formatParsers.values()]
      .filter((parser) => parser.cumulativeCounters)
      .map((p) => p.name)
    expect(cumulative.sort()).toEqual(['envoy-tls-stats', 'istio-metrics'])
  })
})
