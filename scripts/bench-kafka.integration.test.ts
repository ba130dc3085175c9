import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { kafkaBenchReport, runKafkaBench } from './kafka-bench.ts'

// The bench run tiny, so that it keeps working; `npm run bench:kafka` runs it at full size.
describe('bench:kafka', () => {
  it('completes at a tiny size, prints every rate with its ratios, and every event reached its topic and the store', async () => {
    const events = 1000
    const rounds = 1
    const result = await runKafkaBench({ events, rounds, batch: 250 })
    const report = kafkaBenchReport(result)
    console.log(report)

    for (const run of [result.palisade, result.kafkajs, result.java]) {
      expect(run.sent).toBe(events * rounds)
      expect(run.onTopic).toBe(events * rounds)
      expect(run.rounds).toHaveLength(rounds)
      for (const seconds of run.rounds) expect(seconds).toBeGreaterThan(0)
      expect(run.cpuSeconds.reduce((sum, s) => sum + s, 0)).toBeGreaterThan(0)
    }
    // The warm-up sent the first request's events before the round sent them again: stored once
    // (the ingester's exactly-once).
    expect(result.ingester.stored).toBe(events)
    for (const figure of [
      'Palisade HTTP → Kafka',
      'kafkajs alone',
      'Java ProducerPerformance',
      'of kafkajs',
      'of Java',
      'ingester catch-up',
      'peak RSS',
    ])
      expect(report).toContain(figure)
    expect(report).not.toMatch(/NaN|Infinity/)
    expect(existsSync(result.workDir)).toBe(false)
  }, 300_000)
})
