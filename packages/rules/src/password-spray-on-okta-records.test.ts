// Issue 15: a password spray paged only at its tenth user, 5.7 minutes in. From a hosting or proxy
// network five users page. Real Okta System Log record shapes (the Elastic test events' sign-in),
// through the real parser and the rule of alerts/rules/identity.yaml.
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
).rules.find((candidate) => candidate.declaration.id === 'identity.password_spray')!
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

/** The parts of an Okta System Log record the test edits. */
type OktaRecord = Record<string, unknown> & {
  actor: Record<string, unknown>
  client: Record<string, unknown>
  securityContext: Record<string, unknown>
}

describe('password_spray > on Okta records', () => {
  const start = Date.parse('2023-02-06T08:56:36.909Z')
  /** The real sign-in, failed with a wrong password for user n, from `ip` in AS `asNumber`. */
  const failedSignIn = (n: number, ip: string, asNumber: number) => {
    const record = JSON.parse(
      readSharedFixture('okta-system-log/elastic-test-okta-system-events.log')
        .split('\n')
        .find((line) => line.includes('"user.session.start"'))!,
    ) as OktaRecord
    record.uuid = `00000000-0000-4000-8000-${ip.replaceAll('.', '')}${String(n).padStart(2, '0')}`.slice(
      0,
      36,
    )
    record.published = new Date(start + n * 40_000).toISOString()
    record.actor = { ...record.actor, alternateId: `user${n}@domain.com`, id: `id${n}` }
    record.outcome = { reason: 'INVALID_CREDENTIALS', result: 'FAILURE' }
    record.client = { ...record.client, ipAddress: ip }
    record.securityContext = { ...record.securityContext, asNumber, isProxy: false }
    return record
  }

  fixtures('pages at the fifth user from a hosting network, and stays quiet for the same from an ISP', () => {
    const intent = buildIntent([]).intent
    const hosting = eventsOf(Array.from({ length: 6 }, (_, n) => failedSignIn(n, '45.155.205.233', 206728)))
    const findings = runDetector(rule.instantiate(intent), hosting, new Map())
    expect(findings).toHaveLength(1)
    expect(findings[0]!).toMatchObject({ severity: 'page', entities: { client_ip: '45.155.205.233' } })
    expect(findings[0]!.ts).toBe(start + 4 * 40_000)
    const isp = eventsOf(Array.from({ length: 6 }, (_, n) => failedSignIn(n, '85.1.2.3', 3303)))
    expect(runDetector(rule.instantiate(intent), isp, new Map())).toEqual([])
  })
})
