// Issue 15: the post-compromise chain paged only when its last step (the success at the vault)
// arrived, 12.6 minutes after the recon began. The recon alone pages now when it is aimed at the
// data: six new or refused peers in five minutes, three refused by policy, two declared sensitive.
// Hubble records shaped as `hubble observe -o json` writes them (policy verdicts with drop reasons,
// the servers' SYN-ACK replies), through the real parser and the rule of alerts/rules/lateral.yaml.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { type DetectedFinding, detectorCatalog, type KindedEvent, runDetector } from '@palisade/detectors'
import { formatParsers } from '@palisade/formats'
import { hubbleEndpoint, hubbleLine } from '@palisade/formats/testing'
import { buildIntent, type DeclaredIntent, parseIntentFile } from '@palisade/intent'
import { type AnyEvent, validateEvent } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import { compileRules } from './rule-set.ts'

const ruleFile = fileURLToPath(new URL('../../../alerts/rules/lateral.yaml', import.meta.url))
const rule = compileRules(
  [{ path: 'alerts/rules/lateral.yaml', text: readFileSync(ruleFile, 'utf8') }],
  detectorCatalog,
).rules.find((candidate) => candidate.declaration.id === 'lateral.post_compromise_chain')!
const hubble = formatParsers.get('hubble-flow')!

function flowsOf(lines: string[]): KindedEvent[] {
  const parsed = hubble.parse(lines.join('\n'))
  expect(parsed.rejected).toEqual([])
  return parsed.records.map((record) => {
    const result = validateEvent('flow', structuredClone(record.event), { tenant: 'acme', observedAt: 0 })
    if (!result.ok) throw new Error(`line ${record.line}: ${result.reason}`)
    return { kind: 'flow', event: result.event as AnyEvent }
  })
}

function intentOf(yaml: string): DeclaredIntent {
  const parsed = parseIntentFile('intent.yaml', yaml)
  const built = buildIntent(parsed.documents)
  expect([...parsed.problems, ...built.problems]).toEqual([])
  return built.intent
}

const intent = intentOf(`apiVersion: palisade.dev/v1
kind: PalisadeIntent
metadata: { name: perimeter }
spec: { sensitive: [data/vault, data/postgres, payments/ledger] }
`)

const inventory = { ep: hubbleEndpoint('shop', 'inventory', 'inventory-7c9d8b6f5-x2k4p'), ip: '10.244.1.21' }
const peers: Record<string, { ep: Record<string, unknown>; ip: string }> = {
  'shop/db': { ep: hubbleEndpoint('shop', 'db', 'db-0'), ip: '10.244.2.5' },
  'payments/ledger': {
    ep: hubbleEndpoint('payments', 'ledger', 'ledger-6b8f7d9c4-q8zlm'),
    ip: '10.244.3.17',
  },
  'data/postgres': { ep: hubbleEndpoint('data', 'postgres', 'postgres-0'), ip: '10.244.4.9' },
  'data/redis': { ep: hubbleEndpoint('data', 'redis', 'redis-0'), ip: '10.244.4.12' },
  'shop/cart': { ep: hubbleEndpoint('shop', 'cart', 'cart-5f6d7c8b9-m3n4p'), ip: '10.244.1.30' },
  'identity/sso': { ep: hubbleEndpoint('identity', 'sso', 'sso-6c7d8e9f0-a1b2c'), ip: '10.244.5.3' },
  'shop/catalog': { ep: hubbleEndpoint('shop', 'catalog', 'catalog-8d9e0f1a2-b3c4d'), ip: '10.244.1.40' },
  'shop/search': { ep: hubbleEndpoint('shop', 'search', 'search-9e0f1a2b3-c4d5e'), ip: '10.244.1.50' },
}

/** Inventory's SYN to a peer: the policy verdict (DROPPED with POLICY_DENIED or `reason`, or FORWARDED). */
function syn(
  at: number,
  peer: string,
  port: number,
  clientPort: number,
  dropped: boolean,
  reason = 'POLICY_DENIED',
): string {
  const { ep, ip } = peers[peer]!
  return hubbleLine({
    time: new Date(at).toISOString(),
    verdict: dropped ? 'DROPPED' : 'FORWARDED',
    ...(dropped ? { drop_reason: reason === 'AUTH_REQUIRED' ? 189 : 133, drop_reason_desc: reason } : {}),
    IP: { source: inventory.ip, destination: ip, ipVersion: 'IPv4' },
    l4: { TCP: { source_port: clientPort, destination_port: port, flags: { SYN: true } } },
    source: inventory.ep,
    destination: ep,
    Type: 'L3_L4',
    event_type: dropped ? { type: 1, sub_type: 133 } : { type: 5 },
    traffic_direction: 'EGRESS',
    is_reply: false,
  })
}

/** The server's SYN-ACK back to inventory's ephemeral port (`is_reply`): the same connection. */
function synAck(at: number, peer: string, port: number, clientPort: number): string {
  const { ep, ip } = peers[peer]!
  return hubbleLine({
    time: new Date(at).toISOString(),
    verdict: 'FORWARDED',
    IP: { source: ip, destination: inventory.ip, ipVersion: 'IPv4' },
    l4: { TCP: { source_port: port, destination_port: clientPort, flags: { SYN: true, ACK: true } } },
    source: ep,
    destination: inventory.ep,
    Type: 'L3_L4',
    event_type: { type: 4 },
    trace_observation_point: 'TO_STACK',
    traffic_direction: 'INGRESS',
    is_reply: true,
    reply: true,
  })
}

const start = Date.parse('2026-01-07T10:30:00Z')
/** Two hours of inventory's usual work before: its database, every ten minutes. */
const usual = Array.from({ length: 12 }, (_, n) =>
  syn(start - 2 * 3_600_000 + n * 600_000, 'shop/db', 5432, 40_000 + n, false),
)

function findingsOf(lines: string[]): DetectedFinding[] {
  return runDetector(rule.instantiate(intent), flowsOf(lines), new Map())
}

describe('lateral.post_compromise_chain > recon on Hubble records', () => {
  it('pages at the sixth new or refused peer when the ledger and the database refused it', () => {
    const probes: [string, number, boolean][] = [
      ['payments/ledger', 8443, true],
      ['data/postgres', 5432, true],
      ['data/redis', 6379, true],
      ['shop/cart', 8080, false],
      ['identity/sso', 8443, true],
      ['shop/catalog', 8080, false],
    ]
    const recon = probes.flatMap(([peer, port, dropped], n) => {
      const at = start + n * 25_000
      return dropped
        ? [syn(at, peer, port, 51_000 + n, true)]
        : [syn(at, peer, port, 51_000 + n, false), synAck(at + 1, peer, port, 51_000 + n)]
    })
    const findings = findingsOf([...usual, ...recon])
    expect(findings.map((f) => [f.severity, f.entities.stage, f.ts])).toEqual([
      ['page', 'recon', start + 5 * 25_000],
    ])
    expect(findings[0]!.entities).toMatchObject({
      src_workload: 'shop/inventory',
      src_pod: 'shop/inventory-7c9d8b6f5-x2k4p',
      src_ip: '10.244.1.21',
    })
    expect(findings[0]!.evidence).toMatchObject({ recon_destinations: 6, refused_destinations: 4 })
    expect(findings[0]!.summary).toContain('2 declared sensitive (payments/ledger, data/postgres)')
  })

  it("stays quiet for Cilium's mutual-authentication drops: usual peers, and new ones retried a second later", () => {
    // Two hours of using six peers (two of them sensitive), then every auth entry expires at once:
    // each first SYN is dropped AUTH_REQUIRED and its retransmission a second later gets through.
    const six: [string, number][] = [
      ['payments/ledger', 8443],
      ['data/postgres', 5432],
      ['data/redis', 6379],
      ['shop/cart', 8080],
      ['identity/sso', 8443],
      ['shop/catalog', 8080],
    ]
    const used = six.map(([peer, port], n) =>
      syn(start - 3_600_000 + n * 60_000, peer, port, 45_000 + n, false),
    )
    const expired = six.flatMap(([peer, port], n) => [
      syn(start + n * 20_000, peer, port, 53_000 + n, true, 'AUTH_REQUIRED'),
      syn(start + n * 20_000 + 1_000, peer, port, 53_000 + n, false),
    ])
    expect(findingsOf([...usual, ...used, ...expired])).toEqual([])
    // The same six never used before: new peers, each reached a second after its handshake drop.
    const fresh = six.flatMap(([peer, port], n) => [
      syn(start + n * 20_000, peer, port, 54_000 + n, true, 'AUTH_REQUIRED'),
      syn(start + n * 20_000 + 1_000, peer, port, 54_000 + n, false),
    ])
    expect(findingsOf([...usual, ...fresh])).toEqual([])
  })

  it('stays quiet when only one sensitive service is among the refused peers', () => {
    const probes: [string, number, boolean][] = [
      ['payments/ledger', 8443, true],
      ['data/redis', 6379, true],
      ['identity/sso', 8443, true],
      ['shop/cart', 8080, false],
      ['shop/catalog', 8080, false],
      ['shop/search', 9200, true],
    ]
    const recon = probes.map(([peer, port, dropped], n) =>
      syn(start + n * 25_000, peer, port, 52_000 + n, dropped),
    )
    expect(findingsOf([...usual, ...recon])).toEqual([])
    // The same six with the database among the refused: the rule can fail.
    const aimed = [...recon, syn(start + 6 * 25_000, 'data/postgres', 5432, 52_100, true)]
    expect(findingsOf([...usual, ...aimed]).map((f) => f.entities.stage)).toEqual(['recon'])
  })
})
