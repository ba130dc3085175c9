// Issue 15, cause 1: Hubble reply traces (a SYN-ACK, a DNS answer: `is_reply: true`) read as the
// server reaching its client on the client's ephemeral port paged 14,797 times
// (`lateral.cross_namespace` 14,546, `lateral.new_edge` 251), e.g. "kube-system/coredns reached
// payments/ledger:59057". Real records go through the real parser and the rules of
// alerts/rules/lateral.yaml, with intent built from manifests.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { type DetectedFinding, detectorCatalog, type KindedEvent, runDetector } from '@palisade/detectors'
import { formatParsers } from '@palisade/formats'
import {
  coredns,
  corednsIp,
  dnsAnswer,
  dnsQuery,
  hubbleLine,
  ledger,
  ledgerIp,
  readSharedFixture,
  sharedFixturesAvailable,
} from '@palisade/formats/testing'
import { buildIntent, type DeclaredIntent, parseIntentFile } from '@palisade/intent'
import { type AnyEvent, validateEvent } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import { compileRules } from './rule-set.ts'

const ruleFile = fileURLToPath(new URL('../../../alerts/rules/lateral.yaml', import.meta.url))
const { rules } = compileRules(
  [{ path: 'alerts/rules/lateral.yaml', text: readFileSync(ruleFile, 'utf8') }],
  detectorCatalog,
)
const hubble = formatParsers.get('hubble-flow')!

/** Parse Hubble JSON lines and validate them as the collector does; every record must be a flow. */
function flowsOf(text: string): KindedEvent[] {
  const parsed = hubble.parse(text)
  expect(parsed.rejected).toEqual([])
  return parsed.records.map((record) => {
    const result = validateEvent('flow', structuredClone(record.event), { tenant: 'acme', observedAt: 0 })
    if (!result.ok) throw new Error(`line ${record.line}: ${result.reason}`)
    return { kind: 'flow', event: result.event as AnyEvent }
  })
}

/** Every finding the rule `id` raises over the events, one state per key as the runtime keeps them. */
function findingsOf(id: string, intent: DeclaredIntent, events: Iterable<KindedEvent>): DetectedFinding[] {
  const rule = rules.find((candidate) => candidate.declaration.id === id)!
  return runDetector(rule.instantiate(intent), events, new Map())
}

function intentOf(yaml: string): DeclaredIntent {
  const parsed = parseIntentFile('intent.yaml', yaml)
  const built = buildIntent(parsed.documents)
  expect([...parsed.problems, ...built.problems]).toEqual([])
  return built.intent
}

/** Hours later, with every ephemeral port moved: the same traffic on new connections. */
function laterConnections(text: string, hours: number): string {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const record = JSON.parse(line) as { flow: Record<string, unknown>; time?: string }
      const shift = (time: unknown) =>
        typeof time === 'string' ? new Date(Date.parse(time) + hours * 3_600_000).toISOString() : time
      record.flow.time = shift(record.flow.time)
      record.time = shift(record.time) as string
      const tcp = (record.flow.l4 as { TCP?: { source_port: number; destination_port: number } }).TCP
      if (tcp) {
        if (tcp.source_port >= 32768) tcp.source_port += 7
        if (tcp.destination_port >= 32768) tcp.destination_port += 7
      }
      return JSON.stringify(record)
    })
    .join('\n')
}

describe.skipIf(!sharedFixturesAvailable(process.env.CI === 'true'))(
  'lateral rules > Hubble reply traces of a real capture',
  () => {
    const text = readSharedFixture('hubble-flow/hubble-otel-basic-sample-400-tcp-flows.first120.json')
    const bookinfoIsolated = intentOf(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: default-deny, namespace: bookinfo }
spec: { podSelector: {}, policyTypes: [Ingress] }
`)

    it('holds 109 flows that say is_reply, 43 of them replies', () => {
      expect(text.match(/"is_reply":/g)).toHaveLength(109)
      expect(flowsOf(text).filter(({ event }) => (event as { is_reply?: boolean }).is_reply)).toHaveLength(43)
    })

    it('learns no edge to a client port: new connections seven hours on add no new edge', () => {
      // The learning period (6h) is spent on the capture; the same traffic on new connections after it
      // has every reply reach a port never seen before.
      const events = [...flowsOf(text), ...flowsOf(laterConnections(text, 7))]
      expect(findingsOf('lateral.new_edge', bookinfoIsolated, events)).toEqual([])
    })

    it('a new edge still fires for a request to a service never used (the rule can fail)', () => {
      const events = flowsOf(text)
      const last = events[events.length - 1]!.event
      const probe = JSON.parse(text.split('\n')[0]!) as { flow: Record<string, unknown> }
      probe.flow.time = new Date(last.ts + 7 * 3_600_000).toISOString()
      ;(probe.flow.l4 as { TCP: { destination_port: number } }).TCP.destination_port = 5432
      const findings = findingsOf('lateral.new_edge', bookinfoIsolated, [
        ...events,
        ...flowsOf(JSON.stringify(probe)),
      ])
      expect(findings.map((finding) => finding.entities.dst_port)).toEqual(['5432'])
      // Analysts pivot on the pod and address the record names, beside the workload.
      expect(findings[0]!.entities).toMatchObject({
        src_workload: 'bookinfo/bookinfo-productpage',
        src_pod: 'bookinfo/productpage-v1-6b746f74dc-9rcxx',
        src_ip: '10.244.0.177',
        dst_pod: 'bookinfo/reviews-v2-7bf8c9648f-r7bs2',
        dst_ip: '10.244.0.110',
      })
    })
  },
)

describe('lateral rules > the DNS answer of the issue (coredns → payments/ledger:59057)', () => {
  const ledgerIngress = intentOf(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: ledger-ingress, namespace: payments }
spec:
  podSelector: { matchLabels: { app: ledger } }
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: shop } }
      ports: [{ port: 8443, protocol: TCP }]
---
apiVersion: palisade.dev/v1
kind: PalisadeIntent
metadata: { name: perimeter }
spec: { sensitive: [payments/ledger] }
`)
  /** One DNS exchange: ledger asks coredns, coredns answers (the reply, on ledger's ephemeral port). */
  const exchange = (at: number, clientPort: number) =>
    [dnsQuery(at, clientPort), dnsAnswer(at + 1, clientPort)].map(hubbleLine).join('\n')
  const start = Date.parse('2026-11-30T09:00:00Z')
  const day = Array.from({ length: 200 }, (_, i) => exchange(start + i * 7 * 60_000, 59057 + i)).join('\n')

  it('raises no cross-namespace finding for 200 answers on 200 ephemeral ports', () => {
    expect(findingsOf('lateral.cross_namespace', ledgerIngress, flowsOf(day))).toEqual([])
  })

  it('raises no new edge for them either, after the learning period', () => {
    expect(findingsOf('lateral.new_edge', ledgerIngress, flowsOf(day))).toEqual([])
  })

  it('still pages when coredns really opens a connection to the ledger (the rule can fail)', () => {
    const reaching = JSON.stringify({
      flow: {
        time: new Date(start + 3_600_000).toISOString(),
        verdict: 'FORWARDED',
        IP: { source: corednsIp, destination: ledgerIp, ipVersion: 'IPv4' },
        l4: { TCP: { source_port: 41822, destination_port: 8443, flags: { SYN: true } } },
        source: coredns,
        destination: ledger,
        Type: 'L3_L4',
        event_type: { type: 4 },
        trace_observation_point: 'TO_ENDPOINT',
        traffic_direction: 'INGRESS',
        is_reply: false,
      },
    })
    const findings = findingsOf('lateral.cross_namespace', ledgerIngress, flowsOf(`${day}\n${reaching}`))
    expect(findings).toHaveLength(1)
    expect(findings[0]!).toMatchObject({
      severity: 'page',
      entities: {
        src_workload: 'kube-system/coredns',
        dst_workload: 'payments/ledger',
        dst_port: '8443',
        src_pod: 'kube-system/coredns-5d78c9869d-4xk2p',
        src_ip: '10.244.0.10',
        dst_pod: 'payments/ledger-6b8f7d9c4-q8zlm',
        dst_ip: '10.244.3.17',
      },
    })
  })
})
