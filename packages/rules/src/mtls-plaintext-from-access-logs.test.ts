// Issue 15, cause 2: a sidecar-less pod sent 110 plaintext requests into STRICT namespaces
// (connection_security_policy none, no downstream_peer_uri_san, no SNI) and plaintext_in_strict never
// fired: only 5-minute Istio metric scrapes fed it. Real access-log records now feed it directly,
// through the real parser and the rule of alerts/rules/mtls.yaml, with intent from manifests.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { type DetectedFinding, detectorCatalog, type KindedEvent, runDetector } from '@palisade/detectors'
import { formatParsers } from '@palisade/formats'
import { readSharedFixture, sharedFixturesAvailable } from '@palisade/formats/testing'
import { buildIntent, type DeclaredIntent, parseIntentFile } from '@palisade/intent'
import { type AnyEvent, type EventKind, validateEvent } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import { compileRules } from './rule-set.ts'

const ruleFile = fileURLToPath(new URL('../../../alerts/rules/mtls.yaml', import.meta.url))
const rule = compileRules(
  [{ path: 'alerts/rules/mtls.yaml', text: readFileSync(ruleFile, 'utf8') }],
  detectorCatalog,
).rules.find((candidate) => candidate.declaration.id === 'mtls.plaintext_in_strict')!
const envoy = formatParsers.get('istio-access-log')!

function strictIn(...namespaces: string[]): DeclaredIntent {
  const yaml = namespaces
    .map(
      (namespace) => `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: strict, namespace: ${namespace} }
spec: { mtls: { mode: STRICT } }`,
    )
    .join('\n---\n')
  const parsed = parseIntentFile('peer-authentication.yaml', yaml)
  const built = buildIntent(parsed.documents)
  expect([...parsed.problems, ...built.problems]).toEqual([])
  return built.intent
}

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

const findingsOf = (intent: DeclaredIntent, events: KindedEvent[]): DetectedFinding[] =>
  runDetector(rule.instantiate(intent), events, new Map())

/** The inbound sidecar of data/postgres-0 logging one request of the sidecar-less analytics pod. */
const plaintextRequest = (at: number, clientPort: number, overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    authority: 'postgres.data.svc.cluster.local:8080',
    bytes_received: 412,
    bytes_sent: 18004,
    connection_termination_details: null,
    downstream_local_address: '10.244.2.31:8080',
    downstream_peer_uri_san: null,
    downstream_remote_address: `10.244.7.12:${clientPort}`,
    duration: 23,
    method: 'GET',
    path: '/v1/export?table=customers',
    pod_name: 'postgres-0',
    pod_namespace: 'data',
    protocol: 'HTTP/1.1',
    request_id: `3f2c9a1e-0000-4000-8000-${String(clientPort).padStart(12, '0')}`,
    requested_server_name: null,
    connection_security_policy: 'none',
    response_code: 200,
    response_code_details: 'via_upstream',
    response_flags: '-',
    route_name: 'default',
    start_time: new Date(at).toISOString(),
    upstream_cluster: 'inbound|8080||',
    upstream_host: '10.244.2.31:8080',
    upstream_local_address: '127.0.0.6:45123',
    upstream_service_time: '21',
    upstream_transport_failure_reason: null,
    user_agent: 'python-requests/2.31.0',
    x_forwarded_for: null,
    ...overrides,
  })

describe('plaintext_in_strict > from access logs', () => {
  const start = Date.parse('2026-11-30T14:02:11.480Z')
  const burst = Array.from({ length: 110 }, (_, i) => plaintextRequest(start + i * 1500, 51544 + i)).join(
    '\n',
  )

  it('pages on the first plaintext request into a STRICT namespace, at its own event time', () => {
    const findings = findingsOf(strictIn('data'), eventsOf(burst))
    expect(findings).toHaveLength(1)
    expect(findings[0]!.ts).toBe(start)
    expect(findings[0]!).toMatchObject({
      severity: 'page',
      entities: {
        src_ip: '10.244.7.12',
        dst_identity: 'data/postgres',
        dst_pod: 'data/postgres-0',
        dst_ip: '10.244.2.31',
        dst_port: '8080',
        peer_authentication: 'PeerAuthentication/data/strict',
      },
    })
  })

  it('stays quiet where the namespace is not STRICT, and for mutual TLS', () => {
    expect(findingsOf(strictIn('payments'), eventsOf(burst))).toEqual([])
    const mutual = plaintextRequest(start, 51544, {
      connection_security_policy: 'mutual_tls',
      downstream_peer_uri_san: 'spiffe://cluster.local/ns/analytics/sa/legacy-export',
      requested_server_name: 'outbound_.8080_._.postgres.data.svc.cluster.local',
    })
    expect(findingsOf(strictIn('data'), eventsOf(mutual))).toEqual([])
  })

  it('reads plaintext without the policy label: no peer SAN and no SNI at an inbound listener', () => {
    const unlabelled = plaintextRequest(start, 51544, { connection_security_policy: undefined })
    expect(findingsOf(strictIn('data'), eventsOf(unlabelled))).toHaveLength(1)
  })

  it.skipIf(!sharedFixturesAvailable(process.env.CI === 'true'))(
    'finds nothing in the real logs of a STRICT default namespace: their inbound rows carry Istio mTLS SNI',
    () => {
      const text = readSharedFixture('istio-access-log/elastic-test-access-logs.log')
      const events = eventsOf(text)
      expect(events.some(({ event }) => (event as { mtls?: string }).mtls === 'mutual')).toBe(true)
      expect(events.some(({ event }) => (event as { mtls?: string }).mtls === 'plaintext')).toBe(false)
      expect(findingsOf(strictIn('default'), events)).toEqual([])
    },
  )
})

// The independent scenario (issue 15): Istio's default JSON keys only, no pod environment logged, so
// the inbound line of the sidecar-less default/debug-shell (10.42.2.199) calling
// identity/user-profile names the server only by the Service its authority calls.
describe('plaintext_in_strict > inbound lines naming only the Service', () => {
  const start = Date.parse('2026-12-04T12:20:00.000Z')
  const line = (i: number) =>
    plaintextRequest(start + i * 1000, 39120 + i, {
      authority: 'user-profile.identity.svc.cluster.local:8080',
      downstream_local_address: '10.42.3.21:8080',
      downstream_remote_address: `10.42.2.199:${39120 + i}`,
      upstream_host: '10.42.3.21:8080',
      path: `/v1/users?limit=500&offset=${i * 500}`,
      pod_name: undefined,
      pod_namespace: undefined,
      connection_security_policy: undefined,
    })

  it('pages on plaintext into a STRICT namespace, the destination named ns/svc from the authority', () => {
    const findings = findingsOf(
      strictIn('identity'),
      eventsOf(Array.from({ length: 60 }, (_, i) => line(i)).join('\n')),
    )
    expect(findings).toHaveLength(1)
    expect(findings[0]!).toMatchObject({
      severity: 'page',
      entities: { src_ip: '10.42.2.199', dst_identity: 'identity/user-profile', dst_ip: '10.42.3.21' },
    })
  })
})
