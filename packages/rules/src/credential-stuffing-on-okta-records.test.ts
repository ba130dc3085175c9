// Issue 15: credential stuffing paged only at its thirtieth unknown user, 8.2 minutes in. Eight
// unknown users failing through five or more proxy or hosting-network addresses now page. Real Okta
// System Log record shapes (the Elastic test events' sign-in, failed as Okta logs a user name it does
// not know: VERIFICATION_ERROR, actor id `unknown`), through the real parser and the rule of
// alerts/rules/identity.yaml.
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
).rules.find((candidate) => candidate.declaration.id === 'identity.credential_stuffing')!
const okta = formatParsers.get('okta-system-log')!
const fixtures = it.skipIf(!sharedFixturesAvailable(process.env.CI === 'true'))

function eventsOf(records: Record<string, unknown>[]): KindedEvent[] {
  const parsed = okta.parse(records.map((record) => JSON.stringify(record)).join('\n'))
  expect(parsed.rejected).toEqual([])
  return parsed.records.map((record) => {
    const result = validateEvent('auth', structuredClone(record.event), { tenant: 'acme', observedAt: 0 })
    if (!result.ok) throw new Error(result.reason)
    return { kind: 'auth', event: result.event as AnyEvent }
  })
}

type OktaRecord = Record<string, unknown> & {
  client: Record<string, unknown>
  securityContext: Record<string, unknown>
}

describe('credential_stuffing > on Okta records', () => {
  const start = Date.parse('2023-02-06T08:56:36.909Z')
  /** The real sign-in, failed for an unknown user name n, from `ip` as Okta's securityContext describes it. */
  const unknownUser = (n: number, ip: string, asNumber: number, isProxy: boolean) => {
    const record = JSON.parse(
      readSharedFixture('okta-system-log/elastic-test-okta-system-events.log')
        .split('\n')
        .find((line) => line.includes('"user.session.start"'))!,
    ) as OktaRecord
    record.uuid = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`
    record.published = new Date(start + n * 17_000).toISOString()
    record.actor = {
      id: 'unknown',
      type: 'User',
      alternateId: `leaked${n}@mail.example`,
      displayName: 'unknown',
      detailEntry: null,
    }
    record.outcome = { reason: 'VERIFICATION_ERROR', result: 'FAILURE' }
    record.client = { ...record.client, ipAddress: ip }
    record.securityContext = { ...record.securityContext, asNumber, isProxy }
    return record
  }

  fixtures('pages at the eighth unknown user failing through rotating proxies', () => {
    const records = Array.from({ length: 12 }, (_, n) => unknownUser(n, `185.107.56.${10 + n}`, 9009, true))
    const findings = runDetector(rule.instantiate(buildIntent([]).intent), eventsOf(records), new Map())
    expect(findings.map((f) => [f.severity, f.entities.tenant, f.ts])).toEqual([
      ['page', 'acme', start + 7 * 17_000],
    ])
    expect(findings[0]!.evidence).toMatchObject({ tier: 'anonymised', unknown_user_attempts: 8 })
  })

  fixtures('counts a hosting network Okta does not flag as a proxy', () => {
    const records = Array.from({ length: 8 }, (_, n) => unknownUser(n, `45.155.205.${10 + n}`, 206728, false))
    expect(runDetector(rule.instantiate(buildIntent([]).intent), eventsOf(records), new Map())).toHaveLength(
      1,
    )
  })

  fixtures('leaves twelve mistyped user names from home ISPs to the general tier', () => {
    const records = Array.from({ length: 12 }, (_, n) => unknownUser(n, `85.1.2.${10 + n}`, 3303, false))
    expect(runDetector(rule.instantiate(buildIntent([]).intent), eventsOf(records), new Map())).toEqual([])
  })
})
