import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { runIngestBench } from './ingest-bench.ts'

// The bench run tiny, so that it keeps working; `npm run bench:ingest` runs it at full size.
describe('bench:ingest', () => {
  it('completes at a tiny size, checks what was stored and prints every figure with its ratio', {
    timeout: 600_000,
  }, async () => {
    const lines: string[] = []
    const result = await runIngestBench({
      events: 3000,
      batch: 500,
      concurrency: 2,
      history: 2000,
      scenarioScale: 0.02,
      print: (line) => lines.push(line),
    })
    const report = lines.join('\n')
    console.log(report)
    expect(result.stored).toBe(3000)
    expect(result.sampledIdsFound).toBe(result.sampledIds)
    for (const figure of [
      'events',
      'history',
      'HTTP end to end',
      'request latency',
      'palisade peak RSS',
      'stored',
      'exactly-once id look-up',
      'engine from file',
      'ratio HTTP / engine',
      'palisade CPU',
      'engine CPU',
      'ratio of CPU an event',
    ])
      expect(report).toContain(figure)
    expect(report).not.toMatch(/NaN|Infinity/)
    expect(result.ratio).toBeGreaterThan(0)
    // The work directory (a data directory and a copy of every event) is gone.
    expect(existsSync(result.workDir)).toBe(false)
  })
})
