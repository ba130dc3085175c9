import {
  type DetectedFinding,
  type HuntRuleParams,
  type HuntRunAnswer,
  huntFindings,
  huntRuleParams,
  type KindedEvent,
} from '@palisade/detectors'
import type { RuleTest } from './rule-file.ts'
import type { CompiledRule } from './rule-set.ts'
import { type FixtureReader, findingMismatches, type RuleTestResult, testEvents } from './rule-tests.ts'

/**
 * Runs a hunt over a test's events, on the real engine: stores `events` where only this run can
 * see them and answers `query` over [`from`, `to`] (epoch ms). The store package provides one.
 */
export type HuntTestRunner = (
  events: readonly KindedEvent[],
  query: string,
  range: { from: number; to: number },
) => Promise<HuntRunAnswer>

/** Start of a test with no events: the rule tests' default start. */
const DEFAULT_START = Date.parse('2026-01-05T10:00:00Z')

/**
 * A hunt rule's inline tests, the same `events`/`expect` as every rule's: each test's events are
 * stored, the hunt runs once a second after the last of them (over the rule's `lookback`), and its
 * findings must match `expect` in order.
 */
export async function runHuntRuleTests(
  rule: CompiledRule,
  run: HuntTestRunner,
  readFixture?: FixtureReader,
): Promise<RuleTestResult[]> {
  const params: HuntRuleParams = huntRuleParams.parse(rule.declaration.params)
  const context = {
    id: rule.declaration.id,
    title: rule.declaration.title,
    severity: rule.declaration.severity,
    params,
  }
  const results: RuleTestResult[] = []
  for (const test of rule.declaration.tests as RuleTest[]) {
    const base = { file: rule.file, rule: rule.declaration.id, test: test.name }
    try {
      const events = testEvents(test, rule.file, readFixture)
      const to = (events.at(-1)?.event.ts ?? (test.start ? Date.parse(test.start) : DEFAULT_START)) + 1000
      const window = { from: to - params.lookback, to }
      const answer = await run(events, params.query, window)
      // The intent is not read by hunt rules: their context needs none.
      const findings: DetectedFinding[] = huntFindings(
        context as Parameters<typeof huntFindings>[0],
        answer,
        { tenant: test.tenant ?? 'acme', ...window },
      )
      const failures: string[] = []
      if (findings.length !== test.expect.length)
        failures.push(
          `expected ${test.expect.length} finding(s), got ${findings.length}` +
            (findings.length > 0 ? `: ${findings.map((f) => f.summary).join(' | ')}` : ''),
        )
      test.expect.forEach((expected, i) => {
        const finding = findings[i]
        if (finding)
          for (const text of findingMismatches(expected, finding, rule.declaration.id))
            failures.push(`finding ${i + 1}: ${text}`)
      })
      results.push({ ...base, passed: failures.length === 0, failures, findings })
    } catch (error) {
      results.push({
        ...base,
        passed: false,
        findings: [],
        failures: [error instanceof Error ? error.message : String(error)],
      })
    }
  }
  return results
}
