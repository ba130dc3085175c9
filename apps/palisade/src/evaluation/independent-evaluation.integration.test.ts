import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkIntentDirectory } from '@palisade/declarations'
import { buildIndependentScenario, independentScoreReport } from '@palisade/independent-scenario'
import { describe, expect, it } from 'vitest'
import { runIndependentEvaluation, writeIndependentScenario } from './independent-evaluation.ts'

// `npm run eval:independent` in small: one day of the independently written scenario (the last
// day: every incident and confounder) at 3% of its normal traffic (the incidents whole), through a real all-in-one in
// event time, PagerDuty pointed at a local sink, scored by entity and time.
describe('detection on the independently written scenario', () => {
  it('its hand-written intent passes `palisade intent check`', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'indep-intent-'))
    try {
      writeIndependentScenario(dir, buildIndependentScenario({ seed: 3, days: 1, scale: 0.02 }))
      const { report, ok } = await checkIntentDirectory(join(dir, 'intent'))
      expect(ok, report).toBe(true)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('stores every record, and scores pages by entity and time', { timeout: 300_000 }, async () => {
    const result = await runIndependentEvaluation({ seed: 3, days: 1, scale: 0.03, sliceMs: 30 * 60_000 })
    const report = independentScoreReport(result.score)
    console.log(report)
    expect(result.rejected, JSON.stringify(result.rejectedByReason)).toBe(0)
    // One access-log line can be a flow and a decision: at least one event per record.
    expect(result.accepted).toBeGreaterThanOrEqual(result.records)
    expect(result.score.results).toHaveLength(result.scenario.labels.length)
    expect(result.delivered).toBeDefined()
    // What holds today, asserted so that a regression shows (the aims are recall ≥ 0.95,
    // precision ≥ 0.8, no benign page, median TTD < 60 s; the full 3 days at full traffic meet
    // them, README "An independent scenario"). At this size the exfiltration is missed: one day is
    // shorter than the egress rules' 24 h learning. Precision stays lower than at full size: at 3%
    // of the traffic some usual edges are first seen after new_edge's 6 h learning, and a pod seen
    // by Hubble less than hourly is named by address only.
    const missed = result.score.results
      .filter((r) => r.label.expect === 'page' && r.pages.length === 0)
      .map((r) => r.label.id)
    expect(
      missed.filter((id) => id !== 'egress.ledger-exfiltration'),
      report,
    ).toEqual([])
    expect(result.score.recall, report).toBeGreaterThanOrEqual(0.875)
    expect(result.score.precision, report).toBeGreaterThanOrEqual(0.7)
    expect(result.score.confounderPages, report).toHaveLength(0)
    expect(result.score.benignDayPages, report).toBe(0)
    expect(result.score.medianTimeToDetectMs, report).toBeDefined()
    expect(result.score.medianTimeToDetectMs!, report).toBeLessThan(60_000)
    // What PagerDuty received: the same incidents, no confounder, and no SLO burn page for time to
    // detect (a replay's findings are late data, risk scores included, sql/0017).
    const delivered = independentScoreReport(result.delivered!)
    expect(result.delivered!.recall, delivered).toBeGreaterThanOrEqual(0.875)
    expect(result.delivered!.confounderPages, delivered).toHaveLength(0)
    expect(result.delivered!.benignDayPages, delivered).toBe(0)
    expect(
      result.delivered!.pages.flatMap((page) => page.findings.map((finding) => finding.rule)),
      delivered,
    ).not.toContain('SLOBurnRate')
  })
})
