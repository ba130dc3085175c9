import { describe, expect, it } from 'vitest'
import { formatsBenchReport, runFormatsBench } from './formats-bench.ts'

// The bench run tiny, so that it keeps working; `npm run bench:formats` runs it at full size.
describe('bench:formats', () => {
  it('completes at a tiny size and prints the rate of every format with its ratio to native NDJSON', () => {
    const rows = runFormatsBench(500)
    const report = formatsBenchReport(rows)
    console.log(report)

    expect(rows[0]?.format).toBe('flow (native NDJSON)')
    expect(rows[0]?.rejected).toBe(0)
    expect(rows.length).toBeGreaterThan(10)
    for (const row of rows) {
      // Some fixtures are all rejections by design (OTLP's generic examples are not perimeter
      // telemetry): their rate is the rejection path's.
      expect(row.valid + row.rejected, `${row.format} on ${row.fixture}`).toBeGreaterThan(0)
      expect(row.perSecond, row.format).toBeGreaterThan(0)
      expect(Number.isFinite(row.perSecond)).toBe(true)
      expect(row.vsNative, row.format).toBeGreaterThan(0)
      expect(report).toContain(row.fixture)
    }
    expect(report).toContain('vs native')
    expect(report).not.toMatch(/NaN|Infinity/)
  }, 120_000)
})
