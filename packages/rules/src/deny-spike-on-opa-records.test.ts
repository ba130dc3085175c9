// Issue 15: a rollout's deny spike paged only at the twentieth deny. One busy call path (allowed
// 50+ times before) denied at 90%+ of its decisions now pages at its tenth deny. OPA decision logs
// as the opa-envoy-plugin uploads them (the real upload body of the OPA docs, with the Envoy
// CheckRequest input and the bundle revision), through the real parser and the rule of
// alerts/rules/policy.yaml.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { detectorCatalog, type KindedEvent, runDetector } from '@palisade/detectors'
import { formatParsers } from '@palisade/formats'
import { readSharedFixture, sharedFixturesAvailable } from '@palisade/formats/testing'
import { buildIntent } from '@palisade/intent'
import { type AnyEvent, validateEvent } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import { compileRules } from './rule-set.ts'

const ruleFile = fileURLToPath(new URL('../../../alerts/rules/policy.yaml', import.meta.url))
const rule = compileRules(
  [{ path: 'alerts/rules/policy.yaml', text: readFileSync(ruleFile, 'utf8') }],
  detectorCatalog,
).rules.find((candidate) => candidate.declaration.id === 'policy.deny_spike_after_rollout')!
const opa = formatParsers.get('opa-decision-log')!
const fixtures = it.skipIf(!sharedFixturesAvailable(process.env.CI === 'true'))

const checkout = 'spiffe://cluster.local/ns/shop/sa/checkout'
const payments = 'spiffe://cluster.local/ns/payments/sa/payments'

/** The real decision of the upload body, made checkout's POST /v1/charges at payments-envoy. */
function charge(n: number, at: number, revision: string, allowed: boolean): Record<string, unknown> {
  const [real] = JSON.parse(
    readSharedFixture('opa-decision/opa-docs-decision-log-upload-body.json'),
  ) as Record<string, unknown>[]
  return {
    ...real,
    decision_id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    labels: { id: 'payments-envoy', service: 'payments.payments.svc.cluster.local', version: '0.70.0-envoy' },
    bundles: { authz: { revision } },
    path: 'envoy/authz/allow',
    input: {
      attributes: {
        source: { principal: checkout },
        destination: { principal: payments },
        request: { http: { method: 'POST', path: '/v1/charges', headers: { 'x-request-id': `req-${n}` } } },
      },
    },
    result: allowed,
    timestamp: new Date(at).toISOString(),
  }
}

function decisionsOf(records: Record<string, unknown>[]): KindedEvent[] {
  const parsed = opa.parse(JSON.stringify(records))
  expect(parsed.rejected).toEqual([])
  return parsed.records.map((record) => {
    const result = validateEvent('decision', structuredClone(record.event), { tenant: 'acme', observedAt: 0 })
    if (!result.ok) throw new Error(result.reason)
    return { kind: 'decision', event: result.event as AnyEvent }
  })
}

describe('deny_spike_after_rollout > on OPA decision logs', () => {
  const rollout = Date.parse('2026-01-07T13:30:00Z')
  /** Checkout's charges allowed at rev-41 every two minutes for the `hours` before the rollout. */
  const before = (hours: number) =>
    Array.from({ length: hours * 30 }, (_, n) =>
      charge(n, rollout - hours * 3_600_000 + n * 120_000, 'rev-41', true),
    )
  const deniedAfter = (count: number) =>
    Array.from({ length: count }, (_, n) => charge(10_000 + n, rollout + 20_000 + n * 4_000, 'rev-42', false))

  fixtures('pages at the tenth denied charge when charges were allowed all day before', () => {
    const findings = runDetector(
      rule.instantiate(buildIntent([]).intent),
      decisionsOf([...before(24), ...deniedAfter(30)]),
      new Map(),
    )
    expect(findings.map((f) => [f.severity, f.entities.revision, f.ts])).toEqual([
      ['page', 'rev-42', rollout + 20_000 + 9 * 4_000],
    ])
    expect(findings[0]!.entities).toMatchObject({
      src_identity: checkout,
      dst_identity: payments,
      action: 'POST',
    })
  })

  fixtures('waits for the twentieth when the path was seldom used before (an hour of charges)', () => {
    const findings = runDetector(
      rule.instantiate(buildIntent([]).intent),
      decisionsOf([...before(1), ...deniedAfter(30)]),
      new Map(),
    )
    expect(findings.map((f) => [f.severity, f.ts])).toEqual([['page', rollout + 20_000 + 19 * 4_000]])
  })
})
