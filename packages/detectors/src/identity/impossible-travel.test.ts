import { describe, expect, it } from 'vitest'
import { runDetector } from '../run-detector.ts'
import { intentWith } from '../testing/intent-with.ts'
import { greatCircleKm, type ImpossibleTravelState, impossibleTravelType } from './impossible-travel.ts'
import { auth, detectorOf, hour, kinded, minute, t0 } from './test-support.ts'

const berlin = {
  city: 'Berlin',
  country: 'Germany',
  latitude: 52.52,
  longitude: 13.405,
  client_ip: '203.0.113.10',
}
const saoPaulo = {
  city: 'São Paulo',
  country: 'Brazil',
  latitude: -23.5505,
  longitude: -46.6333,
  client_ip: '198.51.100.20',
}
const newYork = {
  city: 'New York',
  country: 'United States',
  latitude: 40.7128,
  longitude: -74.006,
  client_ip: '198.51.100.21',
}
const vpn = {
  city: 'Ashburn',
  country: 'United States',
  latitude: 39.0438,
  longitude: -77.4874,
  client_ip: '192.0.2.44',
  asn: 64500,
}
const principal = 'alice@acme.example'

describe('impossible_travel', () => {
  it('measures great-circle distances', () => {
    expect(
      Math.round(greatCircleKm({ lat: 52.52, lon: 13.405 }, { lat: 40.7128, lon: -74.006 })),
    ).toBeCloseTo(6385, -1)
    expect(greatCircleKm({ lat: 10, lon: 10 }, { lat: 10, lon: 10 })).toBe(0)
  })

  it('pages for Berlin then São Paulo 40 minutes later, with places, distance and speed', () => {
    const events = [
      auth({ principal, ts: t0, ...berlin }),
      auth({ principal, ts: t0 + 40 * minute, ...saoPaulo }),
    ]
    const findings = runDetector(detectorOf(impossibleTravelType), kinded(events))
    expect(findings).toHaveLength(1)
    expect(findings[0]).toMatchObject({
      severity: 'page',
      entities: {
        principal,
        client_ip: '198.51.100.20',
        previous_client_ip: '203.0.113.10',
        city: 'São Paulo',
        previous_city: 'Berlin',
      },
      evidence: {
        distance_km: 10253,
        gap_ms: 40 * minute,
        event_ids: [events[0]!.event_id, events[1]!.event_id],
      },
    })
    expect(findings[0]!.summary).toContain(
      'alice@acme.example signed in from Berlin, Germany (203.0.113.10) at 2026-01-05T10:00:00.000Z and from São Paulo, Brazil (198.51.100.20) at 2026-01-05T10:40:00.000Z: 10253 km apart in 40 min, 15379 km/h',
    )
  })

  it('compares a sign-in delivered late with both neighbours', () => {
    const first = auth({ principal, ts: t0, ...berlin })
    const late = auth({ principal, ts: t0 + 30 * minute, ...saoPaulo })
    const last = auth({ principal, ts: t0 + 35 * minute, ...berlin, client_ip: '203.0.113.11' })
    const findings = runDetector(detectorOf(impossibleTravelType), kinded([first, last, late]))
    expect(findings.map((f) => f.evidence.event_ids)).toEqual([
      [first.event_id, late.event_id],
      [late.event_id, last.event_id],
    ])
    // A redelivered event is not compared again.
    expect(runDetector(detectorOf(impossibleTravelType), kinded([first, late, late]))).toHaveLength(1)
  })

  it('skips corporate egress by address or ASN, flights, short hops, same-address drift and missing coordinates', () => {
    const intent = intentWith({
      isCorporateEgress: ({ ip, asn }) => ip?.startsWith('192.0.2.') === true || asn === 64500,
    })
    const events = [
      auth({ principal, ts: t0, ...berlin }),
      auth({ principal, ts: t0 + 20 * minute, ...vpn }),
      auth({ principal, ts: t0 + 25 * minute, ...vpn, client_ip: '198.18.0.9' }),
      auth({ principal, ts: t0 + 30 * minute, ...berlin }),
      auth({ principal, ts: t0 + 10 * hour, ...newYork }),
      auth({
        principal,
        ts: t0 + 10 * hour + 10 * minute,
        ...newYork,
        city: 'Philadelphia',
        latitude: 39.9526,
        longitude: -75.1652,
        client_ip: '198.51.100.22',
      }),
      // The geolocation database moved the same address across the world.
      auth({ principal, ts: t0 + 10 * hour + 20 * minute, ...saoPaulo, client_ip: '198.51.100.22' }),
      auth({ principal, ts: t0 + 10 * hour + 30 * minute, client_ip: '203.0.113.99', country: 'Australia' }),
      auth({
        principal,
        ts: t0 + 10 * hour + 31 * minute,
        client_ip: '203.0.113.98',
        city: 'City',
        country: 'Country',
        latitude: 0,
        longitude: 0,
      }),
    ]
    expect(runDetector(detectorOf(impossibleTravelType, {}, { intent }), kinded(events))).toEqual([])
    // Without the declared VPN, Berlin → Ashburn in 20 minutes is travel.
    expect(runDetector(detectorOf(impossibleTravelType), kinded(events.slice(0, 2)))).toHaveLength(1)
  })

  it('keeps a few sign-ins per principal', () => {
    const states = new Map<string, unknown>()
    const events = Array.from({ length: 1000 }, (_, i) =>
      auth({ principal, ts: t0 + i * hour, ...berlin, client_ip: `203.0.113.${i % 200}` }),
    )
    runDetector(detectorOf(impossibleTravelType), kinded(events), states)
    expect((states.get('acme/alice@acme.example') as ImpossibleTravelState).recent).toHaveLength(4)
  })
})
