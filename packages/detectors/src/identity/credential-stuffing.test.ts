import { describe, expect, it } from 'vitest'
import { runDetector } from '../run-detector.ts'
import { intentWith } from '../testing/intent-with.ts'
import { type CredentialStuffingState, credentialStuffingType } from './credential-stuffing.ts'
import { windowSize } from './keyed-window.ts'
import { auth, detectorOf, guess, hour, jitter, kinded, minute, t0 } from './test-support.ts'

/** `users` unknown users over `addresses` proxy addresses, `every` apart. */
function stuffing(users: number, addresses: number, every = 20_000, start = t0) {
  return Array.from({ length: users }, (_, i) =>
    auth({
      principal: `ghost${i + 1}@mail.example`,
      ts: start + i * every,
      outcome: 'failure',
      failure_kind: 'system',
      reason: 'VERIFICATION_ERROR',
      client_ip: `203.0.113.${(i % addresses) + 1}`,
      is_proxy: true,
    }),
  )
}

describe('credential_stuffing', () => {
  it('pages for ~80 unknown users from ~60 proxies over 30 minutes, once', () => {
    const findings = runDetector(detectorOf(credentialStuffingType), kinded(stuffing(80, 60, 22_000)))
    expect(findings).toHaveLength(1)
    expect(findings[0]).toMatchObject({
      severity: 'page',
      entities: { tenant: 'acme' },
      evidence: {
        distinct_users: 30,
        distinct_client_ips: 30,
        proxy_attempts: 30,
        unknown_user_attempts: 30,
      },
    })
    expect(findings[0]!.summary).toContain(
      'Credential stuffing against tenant acme: 30 sign-ins failed for 30 distinct users',
    )
    expect(findings[0]!.summary).toContain('ghost1@mail.example, ghost2@mail.example')
  })

  it('accepts only qualifying failures (the volume crossing the bus)', () => {
    const detector = detectorOf(credentialStuffingType)
    expect(detector.partitioning).toBe('rekeyed')
    expect(detector.accepts!(auth({ principal: 'a@acme.example', ts: t0 }))).toBe(false)
    expect(detector.accepts!(guess({ principal: 'a@acme.example', ts: t0 }))).toBe(false)
    expect(detector.accepts!(guess({ principal: 'a@acme.example', ts: t0, is_proxy: true }))).toBe(true)
    expect(detector.accepts!(guess({ principal: 'a@acme.example', ts: t0, reason: 'UNKNOWN_USER' }))).toBe(
      true,
    )
    expect(detector.accepts!(guess({ principal: 'unknown', ts: t0, reason: 'user_not_found' }))).toBe(true)
    const noProxies = detectorOf(credentialStuffingType, { count_proxies: false })
    expect(noProxies.accepts!(guess({ principal: 'a@acme.example', ts: t0, is_proxy: true }))).toBe(false)
  })

  it('needs many addresses: 40 unknown users from 3 addresses do not page', () => {
    expect(runDetector(detectorOf(credentialStuffingType), kinded(stuffing(40, 3)))).toEqual([])
  })

  it('tolerates events a few minutes out of order and re-arms after the window', () => {
    const events = jitter([...stuffing(40, 20), ...stuffing(40, 20, 20_000, t0 + 3 * hour)], 3 * minute)
    const findings = runDetector(detectorOf(credentialStuffingType), kinded(events))
    expect(findings).toHaveLength(2)
  })

  describe('anonymised tier', () => {
    const early = { anonymised_min_users: 8, anonymised_min_addresses: 5, hosting_asns: [9009] }

    it('pages at the eighth unknown user failing through five or more proxies, long before thirty', () => {
      const findings = runDetector(
        detectorOf(credentialStuffingType, early),
        kinded(stuffing(80, 60, 17_000)),
      )
      expect(findings.map((f) => f.ts)).toEqual([t0 + 7 * 17_000])
      expect(findings[0]!.evidence).toMatchObject({
        tier: 'anonymised',
        anonymised_users: 8,
        anonymised_client_ips: 8,
        threshold_users: 8,
        threshold_addresses: 5,
      })
      expect(findings[0]!.summary).toContain(
        '8 users through 8 proxy or hosting-network addresses; threshold 8 users through 5 such addresses in 10 min',
      )
    })

    it('counts hosting networks by AS number, and never the declared corporate egress', () => {
      const hosted = stuffing(10, 10).map((e) => ({ ...e, is_proxy: false, asn: 9009 }))
      expect(runDetector(detectorOf(credentialStuffingType, early), kinded(hosted))).toHaveLength(1)
      const intent = intentWith({ isCorporateEgress: ({ ip }) => ip?.startsWith('203.0.113.') === true })
      expect(runDetector(detectorOf(credentialStuffingType, early, { intent }), kinded(hosted))).toEqual([])
    })

    it('leaves typos from home networks and unknown users through few proxies to the general tier', () => {
      const home = stuffing(20, 20).map((e) => ({ ...e, is_proxy: false, asn: 3320 }))
      expect(runDetector(detectorOf(credentialStuffingType, early), kinded(home))).toEqual([])
      expect(runDetector(detectorOf(credentialStuffingType, early), kinded(stuffing(20, 4)))).toEqual([])
    })

    it('fires once per episode, whichever tier crosses first', () => {
      const findings = runDetector(
        detectorOf(credentialStuffingType, early),
        kinded(stuffing(80, 60, 22_000)),
      )
      expect(findings).toHaveLength(1)
    })
  })

  it('keeps one bounded state per tenant under 100k unknown users from 100k addresses', () => {
    const states = new Map<string, unknown>()
    const events = Array.from({ length: 100_000 }, (_, i) =>
      auth({
        principal: `ghost${i}@mail.example`,
        ts: t0 + i * 10,
        outcome: 'failure',
        reason: 'UNKNOWN_USER',
        client_ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      }),
    )
    const findings = runDetector(detectorOf(credentialStuffingType), kinded(events), states)
    expect(findings).toHaveLength(1)
    expect(states.size).toBe(1)
    const state = states.get('acme') as CredentialStuffingState
    expect(windowSize(state.window)).toBeLessThanOrEqual(20_000)
    expect(Object.keys(state.window.counts[0]!).length).toBeLessThanOrEqual(20_000)
    expect(Object.keys(state.window.counts[1]!).length).toBeLessThanOrEqual(20_000)
    expect(state.window.t.length).toBeLessThanOrEqual(40_000)
  })
})
