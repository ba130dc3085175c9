import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { type DetectedFinding, detectorCatalog, runDetector } from '@palisade/detectors'
import { formatParsers } from '@palisade/formats'
import { type AnyEvent, type AuthEvent, validateEvent } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
// The detectors' own unit-test builders (auth events, an intent with given answers): test-only, so
// read from their source rather than exported by the production package.
import { auth, guess, hour, kinded, minute, t0 } from '../../detectors/src/identity/test-support.ts'
import { intentWith } from '../../detectors/src/testing/intent-with.ts'
import { compileRules } from './rule-set.ts'

// A day like the scenario generator's last one: ~60 users' normal traffic (about 2% failures,
// typo bursts, a corporate VPN), the benign look-alikes, and one of each attack. Every identity
// rule of alerts/rules/identity.yaml (its params and noise controls) must find its attack, and only it.

const ruleFile = fileURLToPath(new URL('../../../alerts/rules/identity.yaml', import.meta.url))
const { rules, problems } = compileRules(
  [{ path: 'alerts/rules/identity.yaml', text: readFileSync(ruleFile, 'utf8') }],
  detectorCatalog,
)

const intent = intentWith({
  isCorporateEgress: ({ ip, asn }) => ip?.startsWith('192.0.2.') === true || asn === 64500,
})

function seeded(seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648
    return state / 2_147_483_648
  }
}

const homes = [
  { city: 'Berlin', country: 'Germany', latitude: 52.52, longitude: 13.405 },
  { city: 'Hamburg', country: 'Germany', latitude: 53.5511, longitude: 9.9937 },
  { city: 'Paris', country: 'France', latitude: 48.8566, longitude: 2.3522 },
  { city: 'New York', country: 'United States', latitude: 40.7128, longitude: -74.006 },
  { city: 'London', country: 'United Kingdom', latitude: 51.5072, longitude: -0.1276 },
]

function normalDay(): AuthEvent[] {
  const random = seeded(42)
  const events: AuthEvent[] = []
  for (let u = 1; u <= 60; u++) {
    const principal = `staff${u}@acme.example`
    const home = homes[u % homes.length]!
    const viaVpn = u % 4 === 0
    const network = viaVpn
      ? {
          client_ip: `192.0.2.${u}`,
          asn: 64500,
          city: 'Ashburn',
          country: 'United States',
          latitude: 39.04,
          longitude: -77.49,
        }
      : { client_ip: `198.51.100.${u}`, asn: 3320, ...home }
    for (
      let ts = t0 - 8 * hour + Math.floor(random() * 10 * minute);
      ts < t0 + 14 * hour;
      ts += 10 * minute + Math.floor(random() * 10 * minute)
    ) {
      if (random() < 0.02) {
        const typos = 1 + Math.floor(random() * 3)
        for (let k = 0; k < typos; k++) events.push(guess({ principal, ts: ts + k * 8_000, ...network }))
        events.push(auth({ principal, ts: ts + typos * 8_000 + 5_000, method: 'password', ...network }))
      } else {
        events.push(auth({ principal, ts, method: 'password', ...network }))
        if (random() < 0.3) events.push(auth({ principal, ts: ts + 10_000, method: 'mfa_push', ...network }))
      }
    }
  }
  return events
}

function attacks(): AuthEvent[] {
  const random = seeded(7)
  const events: AuthEvent[] = []
  // Spray of 30 existing users from one external address over 20 minutes, 1–2 attempts each.
  for (let u = 1; u <= 30; u++) {
    const ts = t0 + Math.floor(((u - 1) * 20 * minute) / 30)
    for (let k = 0; k < 1 + (u % 2); k++)
      events.push(
        guess({
          principal: `staff${u}@acme.example`,
          ts: ts + k * 15_000,
          client_ip: '203.0.113.66',
          asn: 64496,
          country: 'Netherlands',
        }),
      )
  }
  // Another address sprays 25 users, then one succeeds.
  for (let u = 31; u <= 55; u++)
    events.push(
      guess({
        principal: `staff${u}@acme.example`,
        ts: t0 + hour + (u - 31) * 45_000,
        client_ip: '203.0.113.67',
      }),
    )
  events.push(
    auth({
      principal: 'staff42@acme.example',
      ts: t0 + hour + 25 * minute,
      client_ip: '203.0.113.67',
      method: 'password',
    }),
  )
  // One user: 25 failures in 10 minutes ending locked out.
  for (let k = 0; k < 25; k++)
    events.push(
      guess({
        principal: 'staff3@acme.example',
        ts: t0 + 2 * hour + k * 24_000,
        client_ip: '203.0.113.68',
        ...(k === 24 ? { reason: 'LOCKED_OUT' } : {}),
      }),
    )
  // ~60 proxies trying ~80 unknown users over 30 minutes.
  for (let k = 0; k < 80; k++)
    events.push(
      auth({
        principal: `${['j.smith', 'maria', 'admin', 'k.lee'][k % 4]}${k}@acme.example`,
        ts: t0 + 3 * hour + Math.floor(random() * 30 * minute),
        outcome: 'failure',
        failure_kind: 'system',
        reason: 'VERIFICATION_ERROR',
        client_ip: `198.18.${Math.floor(k / 60)}.${(k % 60) + 1}`,
        is_proxy: true,
      }),
    )
  // Berlin, then São Paulo 40 minutes later.
  events.push(
    auth({ principal: 'staff5@acme.example', ts: t0 + 4 * hour, client_ip: '203.0.113.10', ...homes[0]! }),
  )
  events.push(
    auth({
      principal: 'staff5@acme.example',
      ts: t0 + 4 * hour + 40 * minute,
      client_ip: '203.0.113.70',
      city: 'São Paulo',
      country: 'Brazil',
      latitude: -23.55,
      longitude: -46.63,
    }),
  )
  // 8 push rejections in 10 minutes, then an accepted one.
  for (let k = 0; k < 8; k++)
    events.push(
      auth({
        principal: 'staff7@acme.example',
        ts: t0 + 5 * hour + k * 80_000,
        outcome: 'failure',
        failure_kind: 'user',
        reason: 'User rejected Okta push verify',
        method: 'mfa_push',
        client_ip: '203.0.113.71',
      }),
    )
  events.push(
    auth({
      principal: 'staff7@acme.example',
      ts: t0 + 5 * hour + 11 * minute,
      method: 'mfa_push',
      client_ip: '203.0.113.71',
    }),
  )
  // Benign: Berlin then the corporate VPN 20 minutes later; Berlin then New York 10 hours later.
  events.push(
    auth({
      principal: 'traveller9@acme.example',
      ts: t0 + 6 * hour,
      client_ip: '203.0.113.12',
      ...homes[0]!,
    }),
  )
  events.push(
    auth({
      principal: 'traveller9@acme.example',
      ts: t0 + 6 * hour + 20 * minute,
      client_ip: '192.0.2.200',
      asn: 64500,
      city: 'Ashburn',
      country: 'United States',
      latitude: 39.04,
      longitude: -77.49,
    }),
  )
  events.push(
    auth({
      principal: 'traveller11@acme.example',
      ts: t0 - 6 * hour,
      client_ip: '203.0.113.13',
      ...homes[0]!,
    }),
  )
  events.push(
    auth({
      principal: 'traveller11@acme.example',
      ts: t0 + 4 * hour,
      client_ip: '203.0.113.14',
      ...homes[3]!,
    }),
  )
  return events
}

function run(events: readonly AuthEvent[]): Map<string, DetectedFinding[]> {
  expect(problems).toEqual([])
  const sorted = [...events].sort((a, b) => a.ts - b.ts)
  return new Map(
    rules.map((rule) => [rule.declaration.detector, runDetector(rule.instantiate(intent), kinded(sorted))]),
  )
}

describe('identity rules on a day of traffic', () => {
  it('stay quiet on normal traffic, typo bursts, the VPN and a long flight', () => {
    const normal = normalDay()
    expect(normal.filter((e) => e.outcome === 'failure').length / normal.length).toBeLessThan(0.06)
    const benign = attacks().filter((e) =>
      ['traveller9@acme.example', 'traveller11@acme.example'].includes(e.principal),
    )
    const found = run([...normal, ...benign])
    expect(
      [...found]
        .filter(([, findings]) => findings.length > 0)
        .map(([name, f]) => `${name}: ${f[0]!.summary}`),
    ).toEqual([])
  })

  it('find each attack once, naming its entities', () => {
    const found = run([...normalDay(), ...attacks()])
    const entities = (name: string) => found.get(name)!.map((f) => f.entities)
    expect(entities('password_spray')).toEqual([
      expect.objectContaining({ client_ip: '203.0.113.66' }),
      expect.objectContaining({ client_ip: '203.0.113.67' }),
    ])
    expect(entities('success_after_spray')).toEqual([
      expect.objectContaining({ client_ip: '203.0.113.67', principal: 'staff42@acme.example' }),
    ])
    expect(entities('brute_force')).toEqual([
      expect.objectContaining({
        principal: 'staff3@acme.example',
        client_ip: '203.0.113.68',
        outcome: 'failure',
      }),
    ])
    expect(entities('credential_stuffing')).toEqual([{ tenant: 'acme', incident: 'acme' }])
    expect(entities('impossible_travel')).toEqual([
      expect.objectContaining({
        principal: 'staff5@acme.example',
        city: 'São Paulo',
        previous_city: 'Berlin',
      }),
    ])
    expect(found.get('mfa_fatigue')!.map((f) => [f.severity, f.entities.principal])).toEqual([
      ['page', 'staff7@acme.example'],
      ['page', 'staff7@acme.example'],
    ])
  })
})

describe('identity rules on real Okta records', () => {
  it('find nothing in the Elastic Okta System Log test events', () => {
    const path = fileURLToPath(
      new URL(
        '../../../../shared/fixtures/okta-system-log/elastic-test-okta-system-events.log',
        import.meta.url,
      ),
    )
    const parsed = formatParsers
      .get('okta-system-log')!
      .parse(readFileSync(path, 'utf8'), { skip_other_events: 'true' })
    const events = parsed.records.map((record) => {
      const result = validateEvent('auth', record.event, { tenant: 'acme', observedAt: 0 })
      if (!result.ok) throw new Error(result.reason)
      return result.event as AnyEvent as AuthEvent
    })
    expect(events.length).toBeGreaterThan(5)
    const found = run(events)
    expect([...found.values()].flat()).toEqual([])
  })
})
