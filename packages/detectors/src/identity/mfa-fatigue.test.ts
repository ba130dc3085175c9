import { describe, expect, it } from 'vitest'
import { runDetector } from '../run-detector.ts'
import { intentWith } from '../testing/intent-with.ts'
import { newWindow, windowSize } from './keyed-window.ts'
import { type MfaFatigueState, mfaFatigueType } from './mfa-fatigue.ts'
import { auth, detectorOf, hour, kinded, minute, t0 } from './test-support.ts'

const principal = 'bob@acme.example'

function rejections(count: number, every: number, start = t0) {
  return Array.from({ length: count }, (_, i) =>
    auth({
      principal,
      ts: start + i * every,
      outcome: 'failure',
      failure_kind: 'user',
      reason: 'User rejected Okta push verify',
      method: 'mfa_push',
      client_ip: '203.0.113.77',
    }),
  )
}

function accept(ts: number) {
  return auth({ principal, ts, method: 'mfa_push', client_ip: '203.0.113.77' })
}

describe('mfa_fatigue', () => {
  it('opens a ticket at the fifth rejection and pages when a push is accepted after 8', () => {
    const events = [...rejections(8, 75_000), accept(t0 + 10 * minute)]
    const findings = runDetector(detectorOf(mfaFatigueType), kinded(events))
    expect(findings.map((f) => [f.severity, f.entities.outcome])).toEqual([
      ['ticket', 'failure'],
      ['page', 'success'],
    ])
    expect(findings[1]!.summary).toContain('bob@acme.example rejected 8 MFA push requests in 9 min')
    expect(findings[1]!.summary).toContain('then accepted one at 2026-01-05T10:10:00.000Z')
    expect(findings[1]!.evidence).toMatchObject({ rejections: 8, accept_event_id: events[8]!.event_id })
  })

  it('can page the rejections alone, while the push bombing happens, and page again on the acceptance', () => {
    const events = [...rejections(8, 75_000), accept(t0 + 10 * minute)]
    const findings = runDetector(detectorOf(mfaFatigueType, { rejections_only: 'page' }), kinded(events))
    expect(findings.map((f) => [f.severity, f.entities.outcome])).toEqual([
      ['page', 'failure'],
      ['page', 'success'],
    ])
    expect(findings[0]!.ts).toBe(t0 + 4 * 75_000)
    expect(findings[0]!.summary).toContain('an acceptance pages again')
  })

  it('can leave the rejections alone silent', () => {
    const findings = runDetector(
      detectorOf(mfaFatigueType, { rejections_only: 'off' }),
      kinded([...rejections(8, 75_000), accept(t0 + 10 * minute)]),
    )
    expect(findings.map((f) => f.severity)).toEqual(['page'])
  })

  it('pages when rejections from before the accept arrive after it', () => {
    const events = rejections(6, minute)
    const findings = runDetector(
      detectorOf(mfaFatigueType, { rejections_only: 'off' }),
      kinded([...events.slice(0, 3), accept(t0 + 7 * minute), ...events.slice(3)]),
    )
    expect(findings).toHaveLength(1)
    expect(findings[0]!.evidence.rejections).toBe(5)
  })

  it('ignores a mis-tap or two, rejections spread over hours, system failures and other factors', () => {
    const events = [
      ...rejections(2, 20_000),
      accept(t0 + minute),
      ...rejections(6, 30 * minute, t0 + hour),
      accept(t0 + 4 * hour),
      ...rejections(10, 20_000, t0 + 5 * hour).map((e) => ({
        ...e,
        failure_kind: 'system' as const,
        reason: 'VERIFICATION_ERROR',
      })),
      ...rejections(10, 20_000, t0 + 6 * hour).map((e) => ({ ...e, method: 'mfa_otp' })),
      auth({ principal, ts: t0 + 6 * hour + 5 * minute, method: 'mfa_otp' }),
    ]
    expect(runDetector(detectorOf(mfaFatigueType), kinded(events))).toEqual([])
  })

  it('re-arms: a second bombing after the accepted one pages again', () => {
    const events = [
      ...rejections(6, minute),
      accept(t0 + 7 * minute),
      ...rejections(6, minute, t0 + 2 * hour),
      accept(t0 + 2 * hour + 7 * minute),
    ]
    const findings = runDetector(detectorOf(mfaFatigueType, { rejections_only: 'off' }), kinded(events))
    expect(findings).toHaveLength(2)
    expect(findings[0]!.finding_id).not.toBe(findings[1]!.finding_id)
  })

  describe('hosting tier', () => {
    const hostingParams = { rejections_only: 'page', hosting_min_rejections: 3, hosting_asns: [206728] }
    const fromHosting = (events: ReturnType<typeof rejections>) =>
      events.map((e) => ({ ...e, client_ip: '45.155.205.240', asn: 206728 }))

    it('pages at the third rejection when the sign-ins come from a hosting network', () => {
      const findings = runDetector(
        detectorOf(mfaFatigueType, hostingParams),
        kinded(fromHosting(rejections(6, 70_000))),
      )
      expect(findings.map((f) => [f.severity, f.ts])).toEqual([['page', t0 + 2 * 70_000]])
      expect(findings[0]!.evidence).toMatchObject({
        rejections: 3,
        hosting_rejections: 3,
        threshold_rejections: 3,
      })
    })

    it('counts the proxy flag as a hosting network, and not the declared corporate egress', () => {
      const proxied = rejections(3, 70_000).map((e) => ({ ...e, is_proxy: true }))
      expect(runDetector(detectorOf(mfaFatigueType, hostingParams), kinded(proxied))).toHaveLength(1)
      const corporate = fromHosting(rejections(4, 70_000)).map((e) => ({ ...e, client_ip: '192.0.2.44' }))
      const intent = intentWith({ isCorporateEgress: ({ ip }) => ip === '192.0.2.44' })
      expect(runDetector(detectorOf(mfaFatigueType, hostingParams, { intent }), kinded(corporate))).toEqual(
        [],
      )
    })

    it('keeps the general threshold for other networks, and for state checkpointed with one dimension', () => {
      expect(runDetector(detectorOf(mfaFatigueType, hostingParams), kinded(rejections(4, 70_000)))).toEqual(
        [],
      )
      const states = new Map<string, unknown>([
        [
          'acme/bob@acme.example',
          { window: newWindow(1), now: Number.NEGATIVE_INFINITY, armed: true, accept: null },
        ],
      ])
      const findings = runDetector(
        detectorOf(mfaFatigueType, hostingParams),
        kinded(fromHosting(rejections(5, 70_000))),
        states,
      )
      expect(findings.map((f) => f.ts)).toEqual([t0 + 4 * 70_000])
    })
  })

  it('keeps its state bounded under a flood of pushes', () => {
    const states = new Map<string, unknown>()
    runDetector(detectorOf(mfaFatigueType), kinded(rejections(100_000, 5)), states)
    const state = states.get('acme/bob@acme.example') as MfaFatigueState
    expect(windowSize(state.window)).toBeLessThanOrEqual(500)
    expect(state.window.t.length).toBeLessThanOrEqual(1000)
  })
})
