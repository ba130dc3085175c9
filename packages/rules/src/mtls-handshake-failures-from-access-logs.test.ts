// Issue 15: after a bad certificate rotation every mTLS handshake to payments failed, and the burst
// paged 5.3 minutes in, at the first scrape of the listener's TLS stats. The client's sidecar logs
// each request it could not deliver at once (503 UF, the TLS error in
// upstream_transport_failure_reason): real record shapes, through the real parser and the rule of
// alerts/rules/mtls.yaml.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { type DetectedFinding, detectorCatalog, type KindedEvent, runDetector } from '@palisade/detectors'
import { formatParsers } from '@palisade/formats'
import { readSharedFixture, sharedFixturesAvailable } from '@palisade/formats/testing'
import { buildIntent } from '@palisade/intent'
import { type AnyEvent, type EventKind, validateEvent } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import { compileRules } from './rule-set.ts'

const ruleFile = fileURLToPath(new URL('../../../alerts/rules/mtls.yaml', import.meta.url))
const rule = compileRules(
  [{ path: 'alerts/rules/mtls.yaml', text: readFileSync(ruleFile, 'utf8') }],
  detectorCatalog,
).rules.find((candidate) => candidate.declaration.id === 'mtls.handshake_failure_burst')!
const envoy = formatParsers.get('istio-access-log')!

function eventsOf(text: string): KindedEvent[] {
  const parsed = envoy.parse(text)
  expect(parsed.rejected).toEqual([])
  return parsed.records.map((record) => {
    const result = validateEvent(record.kind, structuredClone(record.event), {
      tenant: 'acme',
      observedAt: 0,
    })
    if (!result.ok) throw new Error(`line ${record.line}: ${result.reason}`)
    return { kind: record.kind as EventKind, event: result.event as AnyEvent }
  })
}

const findingsOf = (events: KindedEvent[]): DetectedFinding[] =>
  runDetector(rule.instantiate(buildIntent([]).intent), events, new Map())

const fixtures = it.skipIf(!sharedFixturesAvailable(process.env.CI === 'true'))
const certificateVerifyFailed = 'TLS error: 268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED'

describe('handshake_failure_burst > from access logs', () => {
  /** The real UF row of Istio's default TEXT format, `count` times, 3 s apart from its own start time. */
  const realRows = (count: number, tlsFailure: boolean) => {
    const row = readSharedFixture('istio-access-log/elastic-test-access-failed.log')
      .split('\n')
      .find((line) => line.includes(' 503 UF '))!
    const start = Date.parse('2022-09-01T13:15:09.085Z')
    return Array.from({ length: count }, (_, i) => {
      let line = row.replace('2022-09-01T13:15:09.085Z', new Date(start + i * 3000).toISOString())
      line = line.replace(
        '"56446678-64f3-9fbf-9c4a-eca01fafba4d"',
        `"56446678-64f3-9fbf-9c4a-${String(i).padStart(12, '0')}"`,
      )
      if (!tlsFailure) return line
      // The client's view of a request whose mTLS handshakes failed verification.
      return line
        .replace(
          'connection_failure,delayed_connect_error:_111} - "-"',
          `connection_failure,${certificateVerifyFailed.replaceAll(' ', '_')}} - "${certificateVerifyFailed}"`,
        )
        .replace(' inbound|9080|| ', ' outbound|9080||reviews.default.svc.cluster.local ')
    }).join('\n')
  }

  fixtures(
    'pages within half a minute of the first failed request, naming the service and the TLS error',
    () => {
      const findings = findingsOf(eventsOf(realRows(15, true)))
      expect(findings).toHaveLength(1)
      const [finding] = findings
      expect(finding!.severity).toBe('page')
      expect(finding!.ts - Date.parse('2022-09-01T13:15:09.085Z')).toBe(27_000)
      expect(finding!.entities).toMatchObject({ service: 'reviews.default.svc.cluster.local' })
      expect(finding!.summary).toContain('Top reasons: fail_verify_error ×10')
      expect(finding!.evidence).toMatchObject({ failures: 10, tier: 'fast' })
    },
  )

  fixtures('stays quiet on the same rows when the connect was refused (no TLS error)', () => {
    expect(findingsOf(eventsOf(realRows(15, false)))).toEqual([])
  })
})
