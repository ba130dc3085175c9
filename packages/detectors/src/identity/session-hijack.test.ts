import { describe, expect, it } from 'vitest'
import type { Detector } from '../detector.ts'
import { runDetector } from '../run-detector.ts'
import { intentWith } from '../testing/intent-with.ts'
import { type SessionHijackState, sessionHijackType } from './session-hijack.ts'
import { auth, detectorOf, hour, kinded, minute, t0 } from './test-support.ts'

// The independent scenario's session replay, as Okta's System Log writes it: marco.rossi signs in
// from Lisbon (user.session.start), then 30 minutes later the same externalSessionId makes SSO
// hand-offs (user.authentication.sso) from Changchun, a hosting AS Okta flags as a proxy; no new
// sign-in. Fields as the Okta parser maps them (session_id from authenticationContext.externalSessionId).
const principal = 'marco.rossi@northwind.example'
const session = '102Vp1R5fYxQ0uCqk3bOh_PQA'
const lisbon = {
  client_ip: '85.246.12.40',
  city: 'Lisbon',
  country: 'Portugal',
  latitude: 38.7223,
  longitude: -9.1393,
  asn: 3243,
  is_proxy: false,
}
const changchun = {
  client_ip: '175.16.199.14',
  city: 'Changchun',
  country: 'China',
  latitude: 43.88,
  longitude: 125.3228,
  asn: 4837,
  is_proxy: true,
}

function run(events: ReturnType<typeof auth>[], intent = intentWith()) {
  return runDetector(
    detectorOf(sessionHijackType, {}, { intent }) as Detector<SessionHijackState>,
    kinded(events),
  )
}

describe('session_hijack', () => {
  it('pages when a session opened in Lisbon is used from a Changchun proxy 30 minutes later, once per session', () => {
    const findings = run([
      auth({ principal, ts: t0, session_id: session, ...lisbon }),
      auth({ principal, ts: t0 + 2 * minute, session_id: session, service: 'Workday', ...lisbon }),
      ...[30, 31, 33, 36].map((m) =>
        auth({ principal, ts: t0 + m * minute, session_id: session, service: 'Salesforce', ...changchun }),
      ),
    ])
    expect(findings).toHaveLength(1)
    expect(findings[0]).toMatchObject({
      rule: 'identity.session_hijack',
      severity: 'page',
      entities: {
        principal,
        session_id: session,
        client_ip: '175.16.199.14',
        previous_client_ip: '85.246.12.40',
        country: 'China',
        asn: 'AS4837',
      },
    })
    expect(findings[0]!.summary).toContain('flags as a proxy')
    expect(findings[0]!.evidence).toMatchObject({ proxy: true })
    expect(findings[0]!.evidence.speed_kmh as number).toBeGreaterThan(1000)
  })

  it('stays quiet for the same session on one network, another session elsewhere, a slow move, and declared VPN egress', () => {
    const vpn = { ...changchun, client_ip: '192.0.2.44', asn: 64500, is_proxy: false }
    const findings = run(
      [
        auth({ principal, ts: t0, session_id: session, ...lisbon }),
        auth({ principal, ts: t0 + hour, session_id: session, ...lisbon, client_ip: '85.246.12.41' }),
        // Another session (a new sign-in) from Changchun is impossible_travel's business, not this rule's.
        auth({ principal, ts: t0 + 90 * minute, session_id: 'other-session', ...changchun }),
        // Declared corporate VPN: no location.
        auth({ principal, ts: t0 + 2 * hour, session_id: session, ...vpn }),
        // Porto, 270 km, another ISP, 20 hours later and no proxy: people move.
        auth({
          principal,
          ts: t0 + 20 * hour,
          session_id: session,
          ...lisbon,
          client_ip: '89.180.3.3',
          city: 'Porto',
          latitude: 41.15,
          longitude: -8.61,
          asn: 12353,
        }),
      ],
      intentWith({ isCorporateEgress: ({ asn }) => asn === 64500 }),
    )
    expect(findings).toEqual([])
  })

  it('follows a session opened at the office (declared egress, no location) and pages on its replay from a proxy', () => {
    const office = { ...lisbon, client_ip: '192.0.2.33', asn: 64500 }
    const intent = intentWith({ isCorporateEgress: ({ asn }) => asn === 64500 })
    const findings = run(
      [
        auth({ principal, ts: t0, session_id: session, ...office }),
        auth({ principal, ts: t0 + 30 * minute, session_id: session, ...changchun }),
      ],
      intent,
    )
    expect(findings).toHaveLength(1)
    expect(findings[0]!.evidence).toMatchObject({ proxy: true })
    expect(findings[0]!.evidence).not.toHaveProperty('speed_kmh')
    // Without the proxy flag a move away from the office has no location to measure: quiet.
    expect(
      run(
        [
          auth({ principal, ts: t0, session_id: 's-3', ...office }),
          auth({ principal, ts: t0 + 30 * minute, session_id: 's-3', ...changchun, is_proxy: false }),
        ],
        intent,
      ),
    ).toEqual([])
  })

  it('pages for a proxy on another network without coordinates, and for a use that arrives before its origin', () => {
    const bare = { client_ip: '203.0.113.99', asn: 20473, is_proxy: true }
    expect(
      run([
        auth({ principal, ts: t0, session_id: 's-1', ...lisbon }),
        auth({ principal, ts: t0 + 5 * minute, session_id: 's-1', ...bare }),
      ]),
    ).toHaveLength(1)
    const late = run([
      auth({ principal, ts: t0 + 30 * minute, session_id: 's-2', ...changchun }),
      auth({ principal, ts: t0, session_id: 's-2', ...lisbon }),
    ])
    expect(late).toHaveLength(1)
    expect(late[0]!.entities.client_ip).toBe('175.16.199.14')
  })
})
