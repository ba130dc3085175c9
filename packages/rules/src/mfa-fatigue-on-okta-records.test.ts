// Issue 15: MFA fatigue paged only on the accepted push, 9.7 minutes into the push bombing. The
// rejections now page while they happen. Real Okta System Log record shapes (the Elastic test
// events' OKTA_VERIFY_PUSH step), through the real parser and the rule of alerts/rules/identity.yaml.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { detectorCatalog, type KindedEvent, runDetector } from '@palisade/detectors'
import { formatParsers } from '@palisade/formats'
import { readSharedFixture, sharedFixturesAvailable } from '@palisade/formats/testing'
import { buildIntent } from '@palisade/intent'
import { type AnyEvent, validateEvent } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import { compileRules } from './rule-set.ts'

const ruleFile = fileURLToPath(new URL('../../../alerts/rules/identity.yaml', import.meta.url))
const rule = compileRules(
  [{ path: 'alerts/rules/identity.yaml', text: readFileSync(ruleFile, 'utf8') }],
  detectorCatalog,
).rules.find((candidate) => candidate.declaration.id === 'identity.mfa_fatigue')!
const okta = formatParsers.get('okta-system-log')!

const fixtures = it.skipIf(!sharedFixturesAvailable(process.env.CI === 'true'))

/** The real push step of the fixture, as a record to copy. */
function realPushStep(): Record<string, unknown> {
  const line = readSharedFixture('okta-system-log/elastic-test-okta-system-events.log')
    .split('\n')
    .find((text) => text.includes('"user.authentication.auth_via_mfa"') && text.includes('OKTA_VERIFY_PUSH'))!
  return JSON.parse(line) as Record<string, unknown>
}

function eventsOf(records: Record<string, unknown>[]): KindedEvent[] {
  const parsed = okta.parse(records.map((record) => JSON.stringify(record)).join('\n'))
  expect(parsed.rejected).toEqual([])
  return parsed.records.map((record) => {
    const result = validateEvent('auth', structuredClone(record.event), { tenant: 'acme', observedAt: 0 })
    if (!result.ok) throw new Error(result.reason)
    return { kind: 'auth', event: result.event as AnyEvent }
  })
}

describe('mfa_fatigue > on Okta records', () => {
  const start = Date.parse('2023-02-06T08:56:36.909Z')
  const step = (n: number, result: 'SUCCESS' | 'FAILURE') => {
    const record = structuredClone(realPushStep())
    record.uuid = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`
    record.published = new Date(start + n * 72_000).toISOString()
    record.outcome =
      result === 'SUCCESS' ? { reason: null, result } : { reason: 'User rejected Okta push verify', result }
    return record
  }

  fixtures('pages at the fifth rejected push, before any is accepted, and again on the acceptance', () => {
    const records = [...Array.from({ length: 8 }, (_, n) => step(n, 'FAILURE')), step(8, 'SUCCESS')]
    const findings = runDetector(rule.instantiate(buildIntent([]).intent), eventsOf(records), new Map())
    expect(findings.map((f) => [f.severity, f.entities.outcome, f.entities.principal])).toEqual([
      ['page', 'failure', 'user@domain.com'],
      ['page', 'success', 'user@domain.com'],
    ])
    expect(findings[0]!.ts).toBe(start + 4 * 72_000)
  })

  // The same push step asked for by a sign-in from a hosting network (Okta's securityContext names
  // its AS): the third refusal pages, two pushes before the general tier's fifth.
  const fromHosting = (record: Record<string, unknown>, asNumber: number, isProxy = false) => {
    record.securityContext = { asNumber, asOrg: 'hosting', domain: null, isProxy, isp: 'hosting' }
    return record
  }

  fixtures('pages at the third rejected push when the sign-ins come from a hosting network', () => {
    const records = Array.from({ length: 4 }, (_, n) => fromHosting(step(n, 'FAILURE'), 206728))
    const findings = runDetector(rule.instantiate(buildIntent([]).intent), eventsOf(records), new Map())
    expect(findings.map((f) => [f.severity, f.entities.outcome, f.ts])).toEqual([
      ['page', 'failure', start + 2 * 72_000],
    ])
    expect(findings[0]!.summary).toContain('when asked from a hosting or proxy network')
  })

  fixtures('counts an address Okta flags as a proxy like a hosting network', () => {
    const records = Array.from({ length: 3 }, (_, n) => fromHosting(step(n, 'FAILURE'), 3303, true))
    const findings = runDetector(rule.instantiate(buildIntent([]).intent), eventsOf(records), new Map())
    expect(findings.map((f) => f.ts)).toEqual([start + 2 * 72_000])
  })

  fixtures("waits for the fifth rejection from the real record's ISP network", () => {
    const records = Array.from({ length: 4 }, (_, n) => step(n, 'FAILURE'))
    expect(runDetector(rule.instantiate(buildIntent([]).intent), eventsOf(records), new Map())).toEqual([])
  })

  fixtures('stays quiet on the real accepted push and on two rejections before it', () => {
    const records = [step(0, 'FAILURE'), step(1, 'FAILURE'), step(2, 'SUCCESS')]
    expect(runDetector(rule.instantiate(buildIntent([]).intent), eventsOf(records), new Map())).toEqual([])
  })
})
