import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { formatParsers } from '@palisade/formats'
import { type EventKind, validateEvent } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { generateScenario } from './generate-scenario.ts'
import type { Scenario, ScenarioLabel } from './scenario.ts'
import { meshWorkload, spiffeId } from './scenario-mesh.ts'
import { streamText, writeScenario } from './write-scenario.ts'

const dayMs = 24 * 3_600_000
const minuteMs = 60_000

type Event = Record<string, unknown> & { ts: number }

/** Every stream through its real parser: the events by kind, and every rejection. */
function parseScenario(scenario: Scenario) {
  const events: Record<EventKind, Event[]> = {
    flow: [],
    auth: [],
    mtls: [],
    decision: [],
    policy_change: [],
    token: [],
    posture: [],
  }
  const rejected: { path: string; reason: string }[] = []
  const formats = new Map<Event, string>()
  for (const stream of scenario.streams) {
    const parser = formatParsers.get(stream.format)
    if (parser === undefined) throw new Error(`no parser ${stream.format}`)
    const result = parser.parse(streamText(stream), stream.options)
    for (const record of result.rejected) rejected.push({ path: stream.path, reason: record.reason })
    for (const record of result.records) {
      const event = record.event as Event
      events[record.kind].push(event)
      formats.set(event, stream.format)
    }
  }
  return { events, rejected, formats }
}

const within = (label: ScenarioLabel) => (event: Event) => event.ts >= label.from && event.ts < label.to
const byId = (scenario: Scenario, id: string) => {
  const label = scenario.labels.find((candidate) => candidate.id === id)
  if (label === undefined) throw new Error(`no label ${id}`)
  return label
}

describe('generateScenario > determinism', () => {
  it('gives the same scenario for the same seed and another for another seed', () => {
    const options = { seed: 11, days: 1, scale: 0.05 }
    const scenario = generateScenario(options)
    expect(generateScenario(options)).toEqual(scenario)
    expect(generateScenario({ ...options, seed: 12 }).streams).not.toEqual(scenario.streams)
  })
})

describe('generateScenario > volume', () => {
  const scenario = generateScenario({ seed: 5, days: 2 })

  // Each connection is several Hubble events and each request two access log lines (both sidecars).
  it('writes 150k-350k records a day at scale 1, on quiet and incident days alike', () => {
    const perDay = [0, 0]
    for (const stream of scenario.streams) {
      for (const item of stream.items) perDay[Math.floor((item.ts - scenario.start) / dayMs)]!++
    }
    for (const count of perDay) {
      expect(count).toBeGreaterThanOrEqual(150_000)
      expect(count).toBeLessThanOrEqual(350_000)
    }
  })

  it('denies the charges of checkout hundreds of times after the regressing rollout', () => {
    const label = byId(scenario, 'policy-deny-spike-after-rollout')
    const denied = scenario.streams
      .filter((stream) => stream.path.startsWith('opa/payments-envoy/'))
      .flatMap((stream) => stream.items)
      .filter((item) => within(label)(item as Event) && item.text.includes('"result":false'))
    expect(denied.length).toBeGreaterThanOrEqual(300)
  })
})

describe('generateScenario > a two-day scenario at a fifth of the traffic', () => {
  const scenario = generateScenario({ seed: 7, days: 2, scale: 0.2 })
  const { events, rejected } = parseScenario(scenario)
  const lastDay = scenario.end - dayMs
  const flows = events.flow
  const decisions = events.decision
  const auth = events.auth

  it('keeps every stream in time order', () => {
    for (const stream of scenario.streams) {
      const times = stream.items.map((item) => item.ts)
      expect(times).toEqual([...times].sort((a, b) => a - b))
    }
  })

  it('is read by the real parsers without a single rejection, into valid events with unique ids', () => {
    expect(rejected.slice(0, 5)).toEqual([])
    const ids = new Set<unknown>()
    let count = 0
    for (const [kind, list] of Object.entries(events) as [EventKind, Event[]][]) {
      for (const event of list) {
        const result = validateEvent(kind, structuredClone(event), { tenant: scenario.tenant, observedAt: 0 })
        if (!result.ok) expect.fail(`${kind} ${JSON.stringify(event)}: ${result.reason}`)
        ids.add(event.event_id)
        count++
      }
    }
    expect(ids.size).toBe(count)
    for (const kind of ['flow', 'auth', 'mtls', 'decision', 'policy_change'] as const)
      expect(events[kind].length).toBeGreaterThan(0)
  })

  it('labels only the last day, with every incident of the brief and the benign confounders', () => {
    for (const label of scenario.labels) {
      expect(label.from).toBeGreaterThanOrEqual(lastDay)
      expect(label.to).toBeLessThanOrEqual(scenario.end)
      expect(label.to).toBeGreaterThan(label.from)
    }
    const paging = scenario.labels.filter((label) => label.severity !== 'none')
    expect(paging).toHaveLength(19)
    expect(new Set(paging.flatMap((label) => label.rules))).toEqual(
      new Set([
        'lateral.fan_out_scan',
        'lateral.cross_namespace',
        'lateral.post_compromise_chain',
        'risk.identity_score',
        'identity.password_spray',
        'identity.success_after_spray',
        'identity.brute_force',
        'identity.privileged_account_attack',
        'identity.credential_stuffing',
        'identity.impossible_travel',
        'identity.mfa_fatigue',
        'mtls.plaintext_in_strict',
        'mtls.handshake_failure_burst',
        'mtls.cert_expiry',
        'policy.deny_spike_after_rollout',
        'policy.version_skew',
        'policy.drift',
        'egress.new_external_destination',
        'egress.exfiltration_volume',
        'telemetry.source_gap',
      ]),
    )
    expect(scenario.labels.filter((label) => label.severity === 'none').length).toBeGreaterThanOrEqual(7)
  })

  it('shows the fan-out scan: 40+ distinct internal targets of shop/catalog in 3 minutes, mostly denied', () => {
    const scan = flows
      .filter(within(byId(scenario, 'lateral-fan-out-scan')))
      .filter((f) => f.src_identity === 'shop/catalog')
    expect(new Set(scan.map((f) => `${f.dst_ip}:${f.dst_port}`)).size).toBeGreaterThanOrEqual(40)
    expect(scan.filter((f) => f.verdict === 'denied').length / scan.length).toBeGreaterThan(0.8)
  })

  it('shows frontend reaching the ledger across namespaces: forwarded by Hubble, HTTP 200 with SPIFFE ids in Envoy', () => {
    const window = flows.filter(within(byId(scenario, 'lateral-cross-namespace')))
    expect(
      window.some(
        (f) =>
          f.src_identity === 'shop/frontend' &&
          f.dst_identity === 'payments/ledger' &&
          f.verdict === 'allowed',
      ),
    ).toBe(true)
    const l7 = window.filter(
      (f) =>
        f.src_identity === spiffeId('shop', 'frontend') && f.dst_identity === spiffeId('payments', 'ledger'),
    )
    expect(l7.length).toBeGreaterThan(20)
    expect(l7.every((f) => f.verdict === 'allowed' && f.source === 'envoy')).toBe(true)
    const before = flows.filter((f) => f.ts < byId(scenario, 'lateral-cross-namespace').from)
    expect(
      before.some((f) => f.src_identity === 'shop/frontend' && f.dst_identity === 'payments/ledger'),
    ).toBe(false)
  })

  it('shows the post-compromise chain of shop/inventory: recon, denies at vault, then a connection to vault:8200', () => {
    const label = byId(scenario, 'lateral-post-compromise-chain')
    const recon = flows.filter(
      (f) => f.src_identity === 'shop/inventory' && f.ts >= label.from && f.ts < label.from + 5 * minuteMs,
    )
    expect(new Set(recon.map((f) => f.dst_identity)).size).toBeGreaterThanOrEqual(8)
    expect(recon.some((f) => f.verdict === 'denied')).toBe(true)
    const denies = decisions
      .filter(within(label))
      .filter(
        (d) =>
          d.decision === 'deny' &&
          d.src_identity === spiffeId('shop', 'inventory') &&
          d.dst_identity === spiffeId('data', 'vault'),
      )
    // The same request denied by OPA shows in its decision log and in Envoy's access log.
    expect(new Set(denies.map((d) => d.request_id)).size).toBeGreaterThanOrEqual(5)
    expect(new Set(denies.map((d) => d.source))).toEqual(new Set(['opa', 'envoy']))
    const lastDeny = Math.max(...denies.map((d) => d.ts))
    expect(
      flows.some(
        (f) =>
          f.ts > lastDeny &&
          f.ts < label.to &&
          f.src_identity === 'shop/inventory' &&
          f.dst_identity === 'data/vault' &&
          f.dst_port === 8200 &&
          f.verdict === 'allowed',
      ),
    ).toBe(true)
  })

  it('shows the password spray: 30 directory users failing from one address in 20 minutes', () => {
    const label = byId(scenario, 'identity-password-spray')
    const attempts = auth.filter(within(label)).filter((a) => a.client_ip === label.entity)
    expect(new Set(attempts.map((a) => a.principal)).size).toBe(30)
    expect(
      attempts.every(
        (a) => a.outcome === 'failure' && a.reason === 'INVALID_CREDENTIALS' && a.failure_kind === 'user',
      ),
    ).toBe(true)
  })

  it('shows the success after a spray: 25 failures then a success from the same address', () => {
    const label = byId(scenario, 'identity-success-after-spray')
    const attempts = auth.filter(within(label)).filter((a) => a.client_ip === label.entity)
    const failed = new Set(attempts.filter((a) => a.outcome === 'failure').map((a) => a.principal))
    expect(failed.size).toBe(25)
    const success = attempts.find((a) => a.outcome === 'success')
    expect(success).toBeDefined()
    expect(attempts.filter((a) => a.outcome === 'failure').every((a) => a.ts < success!.ts)).toBe(true)
  })

  it('shows the brute force: 10 wrong passwords, the lockout, then LOCKED_OUT, one address, 10 minutes', () => {
    const label = byId(scenario, 'identity-brute-force')
    const attempts = auth.filter(within(label)).filter((a) => a.principal === label.entity)
    expect(attempts.filter((a) => a.reason === 'INVALID_CREDENTIALS')).toHaveLength(10)
    expect(attempts.filter((a) => a.reason === 'LOCKED_OUT')).toHaveLength(15)
    expect(new Set(attempts.map((a) => a.client_ip)).size).toBe(1)
    expect(attempts.at(-1)!.reason).toBe('LOCKED_OUT')
  })

  it('shows the administrator brute-forced from two hosting networks, locked out after 10', () => {
    const label = byId(scenario, 'identity-privileged-brute-force')
    const attempts = auth.filter(within(label)).filter((a) => a.principal === label.entity)
    expect(attempts).toHaveLength(34)
    expect(attempts.at(-1)!.ts - attempts[0]!.ts).toBeLessThan(5 * minuteMs)
    expect(new Set(attempts.map((a) => a.asn))).toEqual(new Set([206728, 9009]))
    expect(attempts.filter((a) => a.reason === 'LOCKED_OUT')).toHaveLength(24)
    const intent = scenario.intent.find((file) => file.path.endsWith('palisade-intent.yaml'))!.text
    expect(intent).toContain(label.entity)
  })

  it('shows credential stuffing: ~60 proxy addresses, ~80 unknown users, in 30 minutes', () => {
    const attempts = auth
      .filter(within(byId(scenario, 'identity-credential-stuffing')))
      .filter((a) => a.reason === 'VERIFICATION_ERROR' && a.is_proxy === true)
    expect(attempts.every((a) => a.outcome === 'failure')).toBe(true)
    expect(new Set(attempts.map((a) => a.client_ip)).size).toBe(60)
    expect(new Set(attempts.map((a) => a.principal)).size).toBe(80)
  })

  it('shows impossible travel: Berlin then São Paulo 40 minutes later, with coordinates and AS numbers', () => {
    const label = byId(scenario, 'identity-impossible-travel')
    // The label starts at the impossible sign-in; the one before it is 40 minutes earlier.
    const signIns = auth
      .filter((a) => a.ts >= label.from - 45 * minuteMs && a.ts <= label.to)
      .filter((a) => a.principal === label.entity && a.outcome === 'success')
    const cities = signIns.map((a) => a.city)
    expect(cities[0]).toBe('Berlin')
    expect(cities.at(-1)).toBe('São Paulo')
    expect(signIns.at(-1)!.ts - label.from).toBeGreaterThanOrEqual(0)
    expect(signIns.at(-1)!.ts - label.from).toBeLessThan(minuteMs)
    expect(signIns.at(-1)).toMatchObject({
      country: 'Brazil',
      asn: 28573,
      is_proxy: false,
      latitude: -23.5475,
    })
    expect(signIns.at(-1)!.ts - signIns[0]!.ts).toBeLessThan(45 * minuteMs)
  })

  it('shows MFA fatigue: 8 rejected pushes in 10 minutes, then an accepted one', () => {
    const label = byId(scenario, 'identity-mfa-fatigue')
    const pushes = auth
      .filter(within(label))
      .filter((a) => a.principal === label.entity && String(a.method).includes('push'))
    expect(pushes.filter((a) => a.outcome === 'failure')).toHaveLength(8)
    expect(pushes.filter((a) => a.outcome === 'failure').every((a) => a.failure_kind === 'user')).toBe(true)
    expect(pushes.at(-1)!.outcome).toBe('success')
    expect(pushes.at(-1)!.ts - pushes[0]!.ts).toBeLessThan(11 * minuteMs)
  })

  it('shows plaintext to data/postgres in the Istio metrics, and legacy-export reaching it in Hubble', () => {
    const label = byId(scenario, 'mtls-plaintext-in-strict')
    const plaintext = events.mtls
      .filter(within(label))
      .filter((m) => m.mode === 'plaintext' && m.dst_identity === spiffeId('data', 'postgres'))
    expect(plaintext.reduce((sum, m) => sum + Number(m.count), 0)).toBeGreaterThan(100)
    expect(events.mtls.some((m) => m.mode === 'plaintext' && m.ts < label.from)).toBe(false)
    expect(
      flows.some(
        (f) =>
          f.src_identity === 'analytics/legacy-export' &&
          f.dst_identity === 'data/postgres' &&
          f.dst_port === 5432,
      ),
    ).toBe(true)
  })

  it('shows the handshake failure burst: 200+ failed handshakes at payments in one scrape window', () => {
    const label = byId(scenario, 'mtls-handshake-failure-burst')
    const failures = events.mtls
      .filter(within(label))
      .filter((m) => m.outcome === 'failure' && m.service === 'payments.payments.svc.cluster.local')
    // A TLS stats scrape counts many handshakes; an access-log line (the client sidecar's UF line)
    // is one handshake and carries no count.
    const handshakes = (m: Event) => (m.count === undefined ? 1 : Number(m.count))
    expect(failures.reduce((sum, m) => sum + handshakes(m), 0)).toBeGreaterThanOrEqual(200)
    const before = events.mtls.filter((m) => m.outcome === 'failure' && m.ts < label.from)
    expect(before.reduce((sum, m) => sum + handshakes(m), 0)).toBeLessThan(20)
  })

  it('shows the sso certificate expiring in 5 days from the label on, and never before', () => {
    const label = byId(scenario, 'mtls-cert-expiry')
    const sso = events.mtls.filter(
      (m) => m.dst_identity === spiffeId('identity', 'sso') && m.cert_not_after !== undefined,
    )
    const soon = (m: Event) => Number(m.cert_not_after) - m.ts < 7 * dayMs
    expect(sso.filter(within(label)).every(soon)).toBe(true)
    expect(sso.filter((m) => m.ts < label.from).some(soon)).toBe(false)
  })

  it('shows the deny spike at payments-envoy under rev-42 for a request allowed all week', () => {
    const label = byId(scenario, 'policy-deny-spike-after-rollout')
    const charges = (d: Event) =>
      d.enforcement_point === 'payments-envoy' && d.action === 'POST' && d.resource === '/v1/charges'
    const spike = decisions.filter(within(label)).filter((d) => charges(d) && d.decision === 'deny')
    // A fifth of the traffic: the spike is the charges themselves (hundreds at scale 1, see volume).
    expect(spike.length).toBeGreaterThanOrEqual(50)
    expect(spike.every((d) => d.policy_revision === 'rev-42')).toBe(true)
    const before = decisions.filter((d) => charges(d) && d.ts < label.from)
    expect(before.length).toBeGreaterThan(300)
    expect(before.filter((d) => d.decision === 'deny').length / before.length).toBeLessThan(0.01)
    expect(events.policy_change.some((c) => c.revision === 'rev-42' && c.ts <= label.from + minuteMs)).toBe(
      true,
    )
  })

  it('shows cart-envoy on rev-41 while every other enforcement point runs rev-42', () => {
    const label = byId(scenario, 'policy-version-skew')
    const window = decisions
      .filter(within(label))
      .filter((d) => d.source === 'opa' && d.ts > label.from + 5 * minuteMs)
    expect(
      new Set(window.filter((d) => d.enforcement_point === 'cart-envoy').map((d) => d.policy_revision)),
    ).toEqual(new Set(['rev-41']))
    const others = window.filter((d) => d.enforcement_point !== 'cart-envoy')
    expect(others.some((d) => d.policy_revision === 'rev-41')).toBe(false)
  })

  it('shows the drift: shop/cart → shop/checkout:8080 forwarded and answered, recurring', () => {
    const drift = flows
      .filter(within(byId(scenario, 'policy-drift-cart-checkout')))
      .filter(
        (f) => f.src_identity === spiffeId('shop', 'cart') && f.dst_identity === spiffeId('shop', 'checkout'),
      )
    expect(drift.length).toBeGreaterThanOrEqual(30)
    expect(drift.every((f) => f.verdict === 'allowed' && f.dst_port === 8080)).toBe(true)
  })

  it('shows the new external destination of shop/checkout, never seen before', () => {
    const label = byId(scenario, 'egress-new-external-destination')
    const hits = flows
      .filter(within(label))
      .filter((f) => f.src_identity === 'shop/checkout' && f.dst_identity === 'reserved:world')
    expect(hits.length).toBeGreaterThan(0)
    const ips = new Set(hits.map((f) => f.dst_ip))
    expect(flows.some((f) => f.ts < label.from && ips.has(String(f.dst_ip)))).toBe(false)
  })

  it('shows the exfiltration: over 1 GB sent by analytics-etl in 30 minutes, against a few MB a day before', () => {
    const label = byId(scenario, 'egress-exfiltration')
    const etl = meshWorkload('analytics/analytics-etl')
    const sent = (list: Event[]) =>
      list
        .filter((f) => f.src_ip === etl.ip && f.source === 'envoy')
        .reduce((sum, f) => sum + Number(f.bytes_sent ?? 0), 0)
    expect(sent(flows.filter(within(label)))).toBeGreaterThanOrEqual(1e9)
    expect(sent(flows.filter((f) => f.ts < lastDay))).toBeLessThan(20e6)
    expect(
      flows.some(
        (f) =>
          within(label)(f) &&
          f.src_identity === 'analytics/analytics-etl' &&
          f.dst_identity === 'reserved:world',
      ),
    ).toBe(true)
  })

  it('shows the telemetry gap: no decisions from ledger-envoy for 45 minutes while its traffic goes on', () => {
    const label = byId(scenario, 'telemetry-source-gap')
    const fromPoint = decisions.filter((d) => d.enforcement_point === label.entity)
    expect(fromPoint.filter(within(label))).toEqual([])
    expect(fromPoint.some((d) => d.ts < label.from && d.ts > label.from - 15 * minuteMs)).toBe(true)
    expect(fromPoint.some((d) => d.ts >= label.to && d.ts < label.to + 15 * minuteMs)).toBe(true)
    const ledger = spiffeId('payments', 'ledger')
    expect(flows.filter(within(label)).some((f) => f.dst_identity === ledger)).toBe(true)
  })

  it('keeps the benign confounders visible: the declared edge, VPN sign-ins and the known drops', () => {
    const change = byId(scenario, 'benign-declared-deployment')
    expect(
      flows.some(
        (f) =>
          f.ts >= change.from &&
          f.src_identity === spiffeId('shop', 'checkout') &&
          f.dst_identity === spiffeId('payments', 'ledger'),
      ),
    ).toBe(true)
    const vpn = byId(scenario, 'benign-vpn-travel')
    const journey = auth
      .filter(within({ ...vpn, to: vpn.to + 1 }))
      .filter((a) => a.principal === vpn.entity && a.outcome === 'success')
    expect(journey.at(-1)).toMatchObject({ asn: 64500, country: 'United States' })
    expect(String(journey.at(-1)!.client_ip).startsWith('192.0.2.')).toBe(true)
    const drops = flows.filter((f) => f.src_identity === 'monitoring/blackbox' && f.dst_port === 9999)
    expect(drops.length).toBeGreaterThan(1_000)
    expect(drops.every((f) => f.verdict === 'denied')).toBe(true)
  })
})

describe('generateScenario > a benign soak', () => {
  const scenario = generateScenario({ seed: 4, days: 3, scale: 0.05, incidents: false })
  const { events, rejected } = parseScenario(scenario)

  it('labels only benign confounders, with the VPN journey every day', () => {
    expect(rejected).toEqual([])
    expect(scenario.labels.every((label) => label.severity === 'none')).toBe(true)
    const journeys = scenario.labels.filter((label) => label.id.startsWith('benign-vpn-travel'))
    expect(new Set(journeys.map((label) => Math.floor((label.from - scenario.start) / dayMs)))).toEqual(
      new Set([0, 1, 2]),
    )
  })

  it('writes no incident: no lockout, no spray address, no regression, a clean rollout each day', () => {
    expect(events.auth.some((a) => a.reason === 'LOCKED_OUT' || a.client_ip === '45.155.205.233')).toBe(false)
    // Now and then a request is denied (0.2%), as every day: no spike under any revision.
    const opa = events.decision.filter((d) => d.source === 'opa')
    expect(opa.filter((d) => d.decision === 'deny').length / opa.length).toBeLessThan(0.01)
    expect(new Set(events.policy_change.map((c) => c.revision))).toEqual(new Set(['rev-41', 'rev-42']))
    expect(events.flow.some((f) => f.src_identity === 'analytics/legacy-export')).toBe(false)
  })
})

describe('writeScenario', () => {
  it('writes the streams, labels and intent, and the intent is valid YAML with the declared change', async () => {
    const scenario = generateScenario({ seed: 2, days: 1, scale: 0.05 })
    const dir = await mkdtemp(join(tmpdir(), 'palisade-scenario-'))
    try {
      await writeScenario(dir, scenario)
      const labels = JSON.parse(await readFile(join(dir, 'labels.json'), 'utf8')) as ScenarioLabel[]
      expect(labels).toEqual(scenario.labels)
      const opa = scenario.streams.find((stream) => stream.join === 'json-array')!
      expect(JSON.parse(await readFile(join(dir, opa.path), 'utf8'))).toHaveLength(opa.items.length)
      const intent = await readFile(join(dir, 'intent/palisade-intent.yaml'), 'utf8')
      const [palisade] = parseAllDocuments(intent).map((doc) => doc.toJS())
      expect(palisade).toMatchObject({
        kind: 'PalisadeIntent',
        spec: {
          changes: [
            { id: 'CHG-2031', addsEdges: [{ from: 'shop/checkout', to: 'payments/ledger', port: 8443 }] },
          ],
        },
      })
      for (const file of scenario.intent) {
        const docs = parseAllDocuments(await readFile(join(dir, file.path), 'utf8'))
        expect(docs.every((doc) => doc.errors.length === 0)).toBe(true)
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
