import { type DetectedFinding, type KindedEvent, runDetector } from '@palisade/detectors'
import { buildIntent, emptyIntent } from '@palisade/intent'
import { type AnyEvent, type EventKind, validateEvent } from '@palisade/schema'
import { RuleTestInvalidError } from './errors.ts'
import type { ExpectedFinding, RuleTest, RuleTestEvent } from './rule-file.ts'
import type { CompiledRule } from './rule-set.ts'

/** A fixture file parsed into events, by the integrator's means (the real format parsers). */
export type FixtureReader = (
  ruleFile: string,
  fixture: { path: string; format: string; options?: Record<string, string> },
  tenant: string,
) => KindedEvent[]

/** The outcome of one inline test. */
export interface RuleTestResult {
  file: string
  rule: string
  test: string
  passed: boolean
  /** What did not match, one sentence each. */
  failures: string[]
  findings: DetectedFinding[]
}

const defaultStart = Date.parse('2026-01-05T10:00:00Z')

function substitute(value: unknown, i: number): unknown {
  if (typeof value === 'string') return value.replaceAll('{i}', String(i))
  if (Array.isArray(value)) return value.map((item) => substitute(item, i))
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, i)]))
  return value
}

function timeOf(value: string | number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  const ts = typeof value === 'number' ? value : Date.parse(value)
  if (Number.isNaN(ts)) throw new RuleTestInvalidError(`bad ts '${value}': use an ISO time or epoch ms`)
  return ts
}

/** A test's events, expanded (`repeat`, `every`, `{i}`) and validated like the collector does. */
export function testEvents(test: RuleTest, ruleFile: string, readFixture?: FixtureReader): KindedEvent[] {
  const tenant = test.tenant ?? 'acme'
  const start = timeOf(test.start, defaultStart)
  const events: KindedEvent[] = []
  ;(test.events ?? []).forEach((entry: RuleTestEvent, index) => {
    const { kind, at, ts, repeat, every, ...fields } = entry
    const count = repeat ?? 1
    for (let n = 1; n <= count; n++) {
      const time = timeOf(ts, start + (at ?? 0)) + (n - 1) * (every ?? 0)
      const record = {
        event_id: count > 1 ? `test-${index + 1}-${n}` : `test-${index + 1}`,
        ...(substitute(fields, n) as Record<string, unknown>),
        ts: time,
      }
      const result = validateEvent(kind as EventKind, record, { tenant, observedAt: time })
      if (!result.ok) throw new RuleTestInvalidError(`events[${index}] (${kind}): ${result.reason}`)
      events.push({ kind, event: result.event as AnyEvent })
    }
  })
  if (test.fixture) {
    if (!readFixture)
      throw new RuleTestInvalidError('this test reads a fixture, but no fixture reader was given')
    events.push(...readFixture(ruleFile, test.fixture, tenant))
  }
  // Stable: events at the same time keep their written order.
  return events
    .map((event, index) => ({ event, index }))
    .sort((a, b) => a.event.event.ts - b.event.event.ts || a.index - b.index)
    .map(({ event }) => event)
}

/** What differs between an expected finding and one a rule raised, one sentence each. */
export function findingMismatches(
  expected: ExpectedFinding,
  finding: DetectedFinding,
  rule: string,
): string[] {
  const out: string[] = []
  if ((expected.rule ?? rule) !== finding.rule)
    out.push(`rule is ${finding.rule}, expected ${expected.rule ?? rule}`)
  if (expected.severity && expected.severity !== finding.severity)
    out.push(`severity is ${finding.severity}, expected ${expected.severity}`)
  for (const [name, value] of Object.entries(expected.entities ?? {}))
    if (finding.entities[name] !== value)
      out.push(
        `entity ${name} is ${JSON.stringify(finding.entities[name])}, expected ${JSON.stringify(value)}`,
      )
  for (const [name, value] of Object.entries(expected.evidence ?? {}))
    if (JSON.stringify(finding.evidence[name]) !== JSON.stringify(value))
      out.push(
        `evidence ${name} is ${JSON.stringify(finding.evidence[name])}, expected ${JSON.stringify(value)}`,
      )
  const texts = expected.summary_contains === undefined ? [] : [expected.summary_contains].flat()
  for (const text of texts)
    if (!finding.summary.includes(text))
      out.push(`summary does not contain ${JSON.stringify(text)}: "${finding.summary}"`)
  return out
}

/** Run one rule's inline tests: each on a fresh detector, with the test's own intent (or none). */
export function runRuleTests(rule: CompiledRule, readFixture?: FixtureReader): RuleTestResult[] {
  return rule.declaration.tests.map((test) => {
    const base = { file: rule.file, rule: rule.declaration.id, test: test.name }
    // A hunt rule reads the store, not the stream: its tests need the engine (runHuntRuleTests).
    if (rule.declaration.detector === 'hunt')
      return {
        ...base,
        passed: false,
        findings: [],
        failures: ['a hunt rule is tested on the store: use runHuntRuleTests'],
      }
    try {
      const built = test.intent
        ? buildIntent(
            test.intent.map((document, i) => ({
              source: `${rule.file} test "${test.name}" intent[${i}]`,
              document,
            })),
          )
        : { intent: emptyIntent(), problems: [] }
      const errors = built.problems.filter((problem) => problem.level !== 'warning')
      if (errors.length > 0)
        return { ...base, passed: false, findings: [], failures: errors.map((p) => `intent: ${p.message}`) }
      const findings = runDetector(rule.instantiate(built.intent), testEvents(test, rule.file, readFixture))
      const failures: string[] = []
      if (findings.length !== test.expect.length) {
        failures.push(
          `expected ${test.expect.length} finding(s), got ${findings.length}` +
            (findings.length > 0 ? `: ${findings.map((f) => f.summary).join(' | ')}` : ''),
        )
      }
      test.expect.forEach((expected, i) => {
        const finding = findings[i]
        if (finding)
          for (const text of findingMismatches(expected, finding, rule.declaration.id))
            failures.push(`finding ${i + 1}: ${text}`)
      })
      return { ...base, passed: failures.length === 0, failures, findings }
    } catch (error) {
      return {
        ...base,
        passed: false,
        findings: [],
        failures: [error instanceof Error ? error.message : String(error)],
      }
    }
  })
}
