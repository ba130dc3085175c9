import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { detectBenchReport, runDetectBench } from './detect-bench.ts'

// The bench run tiny, so that it keeps working; `npm run bench:detect` runs it at full size.
describe('bench:detect', () => {
  it("completes at a tiny size and prints every figure, the detectors' lag over time and every rule", async () => {
    const result = await runDetectBench({ seed: 7, days: 1, scale: 0.05, hours: 2, sampleMs: 200 })
    const report = detectBenchReport(result)
    console.log(report)

    expect(result.events).toBeGreaterThan(0)
    // Everything parsed was accepted over HTTP, and the detectors read all of it in the end.
    expect(result.replay.accepted).toBe(result.events)
    const last = result.lag.at(-1)!
    expect(last.detected).toBeGreaterThan(0)
    expect(last.detected).toBe(last.accepted)
    expect(last.lagSeconds).toBe(0)
    for (const sample of result.lag) expect(Number.isFinite(sample.lagSeconds)).toBe(true)
    expect(result.perRule.length).toBe(result.rules)
    for (const figure of [
      'parse + validate',
      'detector suite',
      'collector (all-in-one)',
      'ratio suite / collector',
      'detector lag',
      'lag over time',
      'per rule',
    ])
      expect(report).toContain(figure)
    for (const { id } of result.perRule) expect(report).toContain(id)
    expect(report).not.toMatch(/NaN|Infinity/)
    expect(existsSync(result.workDir)).toBe(false)
  }, 300_000)
})
