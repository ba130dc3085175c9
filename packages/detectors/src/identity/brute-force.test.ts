import { describe, expect, it } from 'vitest'
import { runDetector } from '../run-detector.ts'
import { type BruteForceState, bruteForceType } from './brute-force.ts'
import { windowSize } from './keyed-window.ts'
import { auth, detectorOf, guess, hour, jitter, kinded, minute, t0 } from './test-support.ts'

const ticket = { severity: 'ticket' as const }

function hammer(principal: string, count: number, every: number, start = t0, ip = '203.0.113.50') {
  return Array.from({ length: count }, (_, i) => guess({ principal, ts: start + i * every, client_ip: ip }))
}

describe('brute_force', () => {
  it('opens one ticket at the fifteenth failure of 25 in 10 minutes ending locked out', () => {
    const events = [
      ...hammer('jdoe@acme.example', 24, 24_000),
      guess({
        principal: 'jdoe@acme.example',
        ts: t0 + 10 * minute,
        client_ip: '203.0.113.50',
        reason: 'LOCKED_OUT',
      }),
    ]
    const findings = runDetector(detectorOf(bruteForceType, {}, ticket), kinded(events))
    expect(findings).toHaveLength(1)
    expect(findings[0]).toMatchObject({
      severity: 'ticket',
      ts: t0 + 14 * 24_000,
      entities: { principal: 'jdoe@acme.example', client_ip: '203.0.113.50', outcome: 'failure' },
      evidence: { failures: 15, threshold_failures: 15, distinct_client_ips: 1 },
    })
    expect(findings[0]!.summary).toMatch(
      /^jdoe@acme\.example failed to sign in 15 times in 6 min \(2026-01-05T10:00:00\.000Z to /,
    )
  })

  it('pages, with its reason, for a success right after the brute force', () => {
    const events = [
      ...hammer('jdoe@acme.example', 20, 20_000),
      auth({ principal: 'jdoe@acme.example', ts: t0 + 8 * minute, client_ip: '203.0.113.50' }),
      auth({ principal: 'jdoe@acme.example', ts: t0 + 9 * minute, client_ip: '203.0.113.50' }),
    ]
    const findings = runDetector(detectorOf(bruteForceType, {}, ticket), kinded(events))
    expect(findings.map((f) => [f.severity, f.entities.outcome])).toEqual([
      ['ticket', 'failure'],
      ['page', 'success'],
    ])
    expect(findings[1]!.summary).toContain(
      'jdoe@acme.example signed in successfully from 203.0.113.50 at 2026-01-05T10:08:00.000Z',
    )
    expect(findings[1]!.summary).toContain('after 20 failed sign-ins')
    expect(findings[1]!.summary).toContain('Raised to page: a success right after a brute force')
    expect(findings[1]!.evidence.raised_because).toBe('success right after a brute force')
  })

  it('pages for a success delivered before the late failures that complete the brute force', () => {
    const failures = hammer('jdoe@acme.example', 16, 20_000)
    const success = auth({ principal: 'jdoe@acme.example', ts: t0 + 6 * minute, client_ip: '203.0.113.50' })
    const events = [...failures.slice(0, 12), success, ...failures.slice(12)]
    const findings = runDetector(detectorOf(bruteForceType, {}, ticket), kinded(events))
    expect(findings.map((f) => f.severity)).toEqual(['ticket', 'page'])
  })

  it('does not page for a success long after, or before, the brute force', () => {
    const events = [
      auth({ principal: 'jdoe@acme.example', ts: t0 - minute, client_ip: '198.51.100.1' }),
      ...hammer('jdoe@acme.example', 16, 20_000),
      auth({ principal: 'jdoe@acme.example', ts: t0 + 2 * hour, client_ip: '198.51.100.1' }),
    ]
    const findings = runDetector(detectorOf(bruteForceType, {}, ticket), kinded(events))
    expect(findings.map((f) => f.severity)).toEqual(['ticket'])
  })

  it('does not page for the user signing in from elsewhere, or from an address they used before', () => {
    const elsewhere = [
      ...hammer('jdoe@acme.example', 20, 20_000),
      auth({ principal: 'jdoe@acme.example', ts: t0 + 8 * minute, client_ip: '198.51.100.1' }),
    ]
    expect(
      runDetector(detectorOf(bruteForceType, {}, ticket), kinded(elsewhere)).map((f) => f.severity),
    ).toEqual(['ticket'])
    // The user's phone retrying a stale password from home, then the user fixing it.
    const stale = [
      auth({ principal: 'jdoe@acme.example', ts: t0 - hour, client_ip: '198.51.100.1' }),
      ...hammer('jdoe@acme.example', 20, 20_000, t0, '198.51.100.1'),
      auth({ principal: 'jdoe@acme.example', ts: t0 + 8 * minute, client_ip: '198.51.100.1' }),
    ]
    const findings = runDetector(detectorOf(bruteForceType, {}, ticket), kinded(stale))
    expect(findings.map((f) => f.severity)).toEqual(['ticket'])
    expect(findings[0]!.summary).toContain(
      'Every failing address is one jdoe@acme.example signed in from before',
    )
    expect(findings[0]!.evidence.familiar_client_ips).toEqual(['198.51.100.1'])
  })

  it('ignores typo bursts, slow failures, push rejections and the principal naming nobody', () => {
    const events = [
      ...Array.from({ length: 60 }, (_, i) => [
        ...hammer(`typo${i}@acme.example`, 2 + (i % 3), 5_000, t0 + i * minute, `198.51.100.${i}`),
        auth({
          principal: `typo${i}@acme.example`,
          ts: t0 + i * minute + 30_000,
          client_ip: `198.51.100.${i}`,
        }),
      ]).flat(),
      ...hammer('slow@acme.example', 40, 2 * minute),
      ...hammer('push@acme.example', 30, 10_000).map((e) => ({
        ...e,
        method: 'mfa_push',
        reason: 'User rejected Okta push verify',
      })),
      ...hammer('unknown', 100, 1_000),
    ]
    const findings = runDetector(
      detectorOf(bruteForceType, {}, ticket),
      kinded(events.sort((a, b) => a.ts - b.ts)),
    )
    expect(findings).toEqual([])
  })

  it('tolerates events a few minutes out of order and re-arms after the window', () => {
    const events = jitter(
      [...hammer('jdoe@acme.example', 25, 20_000), ...hammer('jdoe@acme.example', 25, 20_000, t0 + 3 * hour)],
      2 * minute,
    )
    const findings = runDetector(detectorOf(bruteForceType, {}, ticket), kinded(events))
    expect(findings).toHaveLength(2)
    expect(findings[0]!.finding_id).not.toBe(findings[1]!.finding_id)
  })

  it('names several addresses when the guesses come from many', () => {
    const events = Array.from({ length: 15 }, (_, i) =>
      guess({ principal: 'jdoe@acme.example', ts: t0 + i * 20_000, client_ip: `203.0.113.${i % 4}` }),
    )
    const [finding] = runDetector(detectorOf(bruteForceType, {}, ticket), kinded(events))
    expect(finding!.summary).toContain('from 4 addresses (203.0.113.0, 203.0.113.1, 203.0.113.2 and 1 more)')
  })

  it('keeps its state bounded under 100k failures of one principal', () => {
    const states = new Map<string, unknown>()
    runDetector(
      detectorOf(bruteForceType, {}, ticket),
      kinded(hammer('jdoe@acme.example', 100_000, 1)),
      states,
    )
    const state = states.get('acme/jdoe@acme.example') as BruteForceState
    expect(windowSize(state.window!)).toBeLessThanOrEqual(1000)
    expect(state.window!.t.length).toBeLessThanOrEqual(2000)
  })
})
