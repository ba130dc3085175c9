import { describe, expect, it } from 'vitest'
import { runDetector } from '../run-detector.ts'
import { intentWith } from '../testing/intent-with.ts'
import { windowSize } from './keyed-window.ts'
import { passwordSprayType } from './password-spray.ts'
import type { SprayState } from './spray-tracker.ts'
import { type SuccessAfterSprayState, successAfterSprayType } from './success-after-spray.ts'
import { auth, detectorOf, guess, hour, jitter, kinded, minute, t0 } from './test-support.ts'

/** `users` principals failing once each from `ip`, `every` apart from `start`. */
function spray(ip: string, users: number, start = t0, every = 30_000, prefix = 'u') {
  return Array.from({ length: users }, (_, i) =>
    guess({ principal: `${prefix}${i + 1}@acme.example`, ts: start + i * every, client_ip: ip }),
  )
}

describe('password_spray', () => {
  it('fires once when the tenth distinct user fails from one address, naming them', () => {
    const findings = runDetector(detectorOf(passwordSprayType), kinded(spray('203.0.113.9', 30, t0, 40_000)))
    expect(findings).toHaveLength(1)
    expect(findings[0]).toMatchObject({
      rule: 'identity.password_spray',
      severity: 'page',
      ts: t0 + 9 * 40_000,
      entities: { client_ip: '203.0.113.9' },
      evidence: {
        distinct_users: 10,
        attempts: 10,
        threshold_users: 10,
        first_ts: t0,
        last_ts: t0 + 9 * 40_000,
      },
    })
    expect(findings[0]!.summary).toContain('203.0.113.9 failed sign-ins for 10 distinct users in 6 min')
    expect(findings[0]!.summary).toContain('u1@acme.example, u2@acme.example, u3@acme.example')
    expect(findings[0]!.summary).toContain('and 5 more')
  })

  it('fires at hosting_min_users from a hosting network or a proxy, and keeps min_users elsewhere', () => {
    const params = { hosting_min_users: 5, hosting_asns: [206728] }
    const from = (ip: string, fields: Record<string, unknown>) =>
      kinded(spray(ip, 8, t0, 40_000).map((event) => ({ ...event, ...fields })))
    const hosting = runDetector(
      detectorOf(passwordSprayType, params),
      from('45.155.205.233', { asn: 206728 }),
    )
    expect(hosting.map((f) => [f.ts, f.evidence.threshold_users])).toEqual([[t0 + 4 * 40_000, 5]])
    expect(hosting[0]!.summary).toContain('threshold 5 users in 15 min from a hosting or proxy network')
    const proxy = runDetector(
      detectorOf(passwordSprayType, params),
      from('185.107.56.20', { is_proxy: true }),
    )
    expect(proxy).toHaveLength(1)
    expect(runDetector(detectorOf(passwordSprayType, params), from('198.51.100.7', { asn: 3320 }))).toEqual(
      [],
    )
    // Off by default: the same hosting address needs ten users.
    expect(runDetector(detectorOf(passwordSprayType), from('45.155.205.233', { asn: 206728 }))).toEqual([])
  })

  it('tolerates events a few minutes out of order', () => {
    const events = jitter(spray('203.0.113.9', 30, t0, 40_000), 3 * minute)
    const findings = runDetector(detectorOf(passwordSprayType), kinded(events))
    expect(findings).toHaveLength(1)
    expect(findings[0]!.evidence.distinct_users).toBe(10)
  })

  it('ignores one user hammering, system failures and accounts hammered in turn; fires on a round-robin', () => {
    const events = [
      ...Array.from({ length: 40 }, (_, i) =>
        guess({ principal: 'jdoe@acme.example', ts: t0 + i * 10_000, client_ip: '203.0.113.1' }),
      ),
      ...Array.from({ length: 20 }, (_, i) =>
        guess({
          principal: `n${i}@acme.example`,
          ts: t0 + i * 10_000,
          client_ip: '203.0.113.2',
          failure_kind: 'system',
          reason: 'INTERNAL_ERROR',
        }),
      ),
      // 10 users in turn, once each per round: a spray (one password per round).
      ...Array.from({ length: 60 }, (_, i) =>
        guess({ principal: `b${i % 10}@acme.example`, ts: t0 + i * 10_000, client_ip: '203.0.113.3' }),
      ),
    ]
    // 10 users hammered one after the other, 6 tries each: not "a few passwords each".
    const dense = Array.from({ length: 60 }, (_, i) =>
      guess({
        principal: `d${Math.floor(i / 6)}@acme.example`,
        ts: t0 + i * 5_000,
        client_ip: '203.0.113.4',
      }),
    )
    const findings = runDetector(
      detectorOf(passwordSprayType),
      kinded([...events, ...dense].sort((a, b) => a.ts - b.ts)),
    )
    expect(findings.map((f) => f.entities.client_ip)).toEqual(['203.0.113.3'])
  })

  it('re-arms once the spray has left the window, and fires again for a new spray', () => {
    const detector = detectorOf(passwordSprayType)
    const events = [...spray('203.0.113.9', 20, t0), ...spray('203.0.113.9', 20, t0 + 2 * hour, 30_000, 'w')]
    const findings = runDetector(detector, kinded(events))
    expect(findings).toHaveLength(2)
    expect(findings[0]!.finding_id).not.toBe(findings[1]!.finding_id)
    expect(findings[1]!.summary).toContain('w1@acme.example')
  })

  it('raises the threshold for corporate egress, or excludes it', () => {
    const intent = intentWith({
      isCorporateEgress: ({ ip, asn }) => ip?.startsWith('192.0.2.') === true || asn === 64500,
    })
    const vpn = spray('192.0.2.10', 60, t0, 10_000)
    const raised = runDetector(detectorOf(passwordSprayType, {}, { intent }), kinded(vpn))
    expect(raised).toHaveLength(1)
    expect(raised[0]!.evidence).toMatchObject({
      distinct_users: 50,
      threshold_users: 50,
      corporate_egress: true,
    })
    expect(raised[0]!.summary).toContain('threshold 50 users in 15 min for this corporate egress address')
    const excluded = runDetector(
      detectorOf(passwordSprayType, { corporate_egress: 'exclude' }, { intent }),
      kinded(vpn),
    )
    expect(excluded).toEqual([])
    const byAsn = spray('198.51.100.7', 20).map((event) => ({ ...event, asn: 64500 }))
    expect(runDetector(detectorOf(passwordSprayType, {}, { intent }), kinded(byAsn))).toEqual([])
  })

  it('keeps its state bounded under 100k distinct users from one address', () => {
    const detector = detectorOf(passwordSprayType)
    const states = new Map<string, unknown>()
    const events = Array.from({ length: 100_000 }, (_, i) =>
      guess({ principal: `user${i}@acme.example`, ts: t0 + i * 100, client_ip: '203.0.113.9' }),
    )
    const findings = runDetector(detector, kinded(events), states)
    expect(findings).toHaveLength(1)
    const state = states.get('acme/ip/203.0.113.9') as SprayState
    expect(windowSize(state.window)).toBeLessThanOrEqual(2000)
    expect(Object.keys(state.window.counts[0]!).length).toBeLessThanOrEqual(2000)
    expect(state.window.t.length).toBeLessThanOrEqual(4000)
    expect(JSON.stringify(state).length).toBeLessThan(300_000)
  })

  it('keeps one small state per address under 100k distinct addresses', () => {
    const states = new Map<string, unknown>()
    const events = Array.from({ length: 100_000 }, (_, i) =>
      guess({
        principal: `user${i % 50}@acme.example`,
        ts: t0 + i * 10,
        client_ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      }),
    )
    expect(runDetector(detectorOf(passwordSprayType), kinded(events), states)).toEqual([])
    expect(states.size).toBe(100_000)
    const sample = states.get('acme/ip/10.0.0.1') as SprayState
    expect(windowSize(sample.window)).toBe(1)
  })

  it('survives a checkpoint (JSON round trip) mid-spray, and principals named like object keys', () => {
    const events = spray('203.0.113.9', 12)
    events[3] = guess({ principal: '__proto__', ts: events[3]!.ts, client_ip: '203.0.113.9' })
    events[4] = guess({ principal: 'constructor', ts: events[4]!.ts, client_ip: '203.0.113.9' })
    const detector = detectorOf(passwordSprayType)
    const states = new Map<string, unknown>()
    runDetector(detector, kinded(events.slice(0, 6)), states)
    const restored = new Map([...states].map(([key, state]) => [key, JSON.parse(JSON.stringify(state))]))
    const findings = runDetector(detector, kinded(events.slice(6)), restored)
    expect(findings).toHaveLength(1)
    expect(findings[0]!.evidence.distinct_users).toBe(10)
    expect(findings[0]!.evidence.sample_principals).toContain('__proto__')
  })
})

describe('success_after_spray', () => {
  it('pages for a success after the spray, naming the principal, once per principal', () => {
    const events = [
      ...spray('198.51.100.23', 25, t0, 40_000),
      auth({ principal: 'u7@acme.example', ts: t0 + 20 * minute, client_ip: '198.51.100.23' }),
      auth({ principal: 'u7@acme.example', ts: t0 + 21 * minute, client_ip: '198.51.100.23' }),
      auth({ principal: 'u9@acme.example', ts: t0 + 3 * hour, client_ip: '198.51.100.23' }),
    ]
    const findings = runDetector(detectorOf(successAfterSprayType), kinded(events))
    expect(findings.map((f) => f.entities.principal)).toEqual(['u7@acme.example', 'u9@acme.example'])
    expect(findings[0]).toMatchObject({
      severity: 'page',
      entities: { client_ip: '198.51.100.23', principal: 'u7@acme.example' },
      evidence: { principal_was_sprayed: true, distinct_users: 25, attempts: 25, sprayed_users: 25 },
    })
    expect(findings[0]!.summary).toContain(
      'u7@acme.example signed in successfully from 198.51.100.23 at 2026-01-05T10:20:00.000Z',
    )
    expect(findings[0]!.summary).toContain('failed sign-ins for 25 distinct users')
    expect(findings[0]!.evidence.event_ids).toContain(events[25]!.event_id)
  })

  it('does not page after the lookback, or for successes from other addresses', () => {
    const events = [
      ...spray('198.51.100.23', 25),
      auth({ principal: 'u7@acme.example', ts: t0 + 13 * hour, client_ip: '198.51.100.23' }),
      auth({ principal: 'u8@acme.example', ts: t0 + 20 * minute, client_ip: '198.51.100.99' }),
    ]
    expect(runDetector(detectorOf(successAfterSprayType), kinded(events))).toEqual([])
  })

  it('pages for a success delivered before the failures that make the spray (out of order)', () => {
    const failures = spray('198.51.100.23', 12)
    const success = auth({ principal: 'u3@acme.example', ts: t0 + 7 * minute, client_ip: '198.51.100.23' })
    // The success arrives first; the failures a few minutes late.
    const findings = runDetector(detectorOf(successAfterSprayType), kinded([success, ...failures]))
    expect(findings).toHaveLength(1)
    expect(findings[0]!.entities.principal).toBe('u3@acme.example')
  })

  it('keeps its episode bounded under a 100k-user spray', () => {
    const states = new Map<string, unknown>()
    const events = spray('203.0.113.9', 100_000, t0, 100)
    runDetector(detectorOf(successAfterSprayType), kinded(events), states)
    const state = states.get('acme/ip/203.0.113.9') as SuccessAfterSprayState
    expect(state.episode!.sprayedCount).toBe(1000)
    expect(Object.keys(state.episode!.sprayed)).toHaveLength(1000)
    expect(state.episode!.spray.attempts).toBe(100_000)
    expect(JSON.stringify(state).length).toBeLessThan(400_000)
  })
})
