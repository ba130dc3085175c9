import { type AnyEvent, type AuthEvent, partitionKey } from '@palisade/schema'
import { z } from 'zod'
import type { DetectedFinding, Detector } from '../detector.ts'
import { buildFinding, defineDetectorType, type RuleContext } from '../rules/detector-type.ts'
import { duration, formatSpan } from '../rules/duration.ts'
import { asAuth, iso, placeOf } from './auth-signals.ts'

const params = z.strictObject({
  /** Speed between two consecutive sign-ins above which nobody travels (a long-haul flight is ~900 km/h). */
  max_speed_kmh: z.number().positive().default(1000),
  /** Sign-ins closer than this are never travel (geolocation of mobile and ISP addresses is that rough). */
  min_distance_km: z.number().nonnegative().default(500),
  /** Shortest time gap a speed is computed over (two sign-ins in the same second are not infinitely fast). */
  min_gap: duration.default(60_000),
})
type Params = z.output<typeof params>

/** Sign-ins kept per principal (time-ordered): enough to place one arriving a few minutes late. */
const history = 4
const earthRadiusKm = 6371.0088

interface SignIn {
  ts: number
  id: string
  lat: number
  lon: number
  ip?: string
  city?: string
  country?: string
}

export interface ImpossibleTravelState {
  /** The principal's latest geolocated sign-ins, oldest first. */
  recent: SignIn[]
}

/** Great-circle distance (haversine), km. */
export function greatCircleKm(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const rad = Math.PI / 180
  const dLat = (b.lat - a.lat) * rad
  const dLon = (b.lon - a.lon) * rad
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2
  return 2 * earthRadiusKm * Math.asin(Math.min(1, Math.sqrt(h)))
}

function signInOf(event: AuthEvent): SignIn {
  return {
    ts: event.ts,
    id: event.event_id,
    lat: event.latitude!,
    lon: event.longitude!,
    ...(event.client_ip !== undefined ? { ip: event.client_ip } : {}),
    ...(event.city !== undefined ? { city: event.city } : {}),
    ...(event.country !== undefined ? { country: event.country } : {}),
  }
}

function describe(signIn: SignIn): string {
  return (
    `${placeOf({ city: signIn.city, country: signIn.country, latitude: signIn.lat, longitude: signIn.lon })}` +
    `${signIn.ip !== undefined ? ` (${signIn.ip})` : ''} at ${iso(signIn.ts)}`
  )
}

function travel(
  context: RuleContext<Params>,
  event: AuthEvent,
  from: SignIn,
  to: SignIn,
): DetectedFinding | undefined {
  const p = context.params
  // Same address, two places: the geolocation database moved, not the user.
  if (from.ip !== undefined && from.ip === to.ip) return undefined
  const km = greatCircleKm(from, to)
  if (km < p.min_distance_km) return undefined
  const gapMs = to.ts - from.ts
  const hours = Math.max(gapMs, p.min_gap) / 3_600_000
  const speed = km / hours
  if (speed <= p.max_speed_kmh) return undefined
  const entities: Record<string, string> = { principal: event.principal }
  if (to.ip !== undefined) entities.client_ip = to.ip
  if (from.ip !== undefined) entities.previous_client_ip = from.ip
  if (to.city !== undefined) entities.city = to.city
  if (to.country !== undefined) entities.country = to.country
  if (from.city !== undefined) entities.previous_city = from.city
  if (from.country !== undefined) entities.previous_country = from.country
  return buildFinding(context, {
    tenant: event.tenant,
    ts: event.ts,
    identity: { principal: event.principal, from: from.id, to: to.id },
    title: `Impossible travel of ${event.principal}`,
    summary:
      `${event.principal} signed in from ${describe(from)} and from ${describe(to)}: ${Math.round(km)} km apart ` +
      `in ${formatSpan(gapMs)}, ${Math.round(speed)} km/h, above the ${p.max_speed_kmh} km/h anyone can travel ` +
      `(and over ${p.min_distance_km} km; neither address is declared corporate egress). One of these sign-ins is ` +
      "likely someone else using the account's credentials or session.",
    entities,
    evidence: {
      event_ids: [from.id, to.id],
      distance_km: Math.round(km),
      gap_ms: gapMs,
      speed_kmh: Math.round(speed),
      threshold_speed_kmh: p.max_speed_kmh,
      min_distance_km: p.min_distance_km,
      from: {
        ts: from.ts,
        latitude: from.lat,
        longitude: from.lon,
        client_ip: from.ip,
        city: from.city,
        country: from.country,
      },
      to: {
        ts: to.ts,
        latitude: to.lat,
        longitude: to.lon,
        client_ip: to.ip,
        city: to.city,
        country: to.country,
      },
    },
  })
}

/**
 * `impossible_travel`: two consecutive successful sign-ins of one principal whose great-circle
 * distance over their time gap needs a speed above `max_speed_kmh` (and are at least
 * `min_distance_km` apart). Reads only the IdP's coordinates (`latitude`/`longitude`); a sign-in
 * without them (or at 0,0, the placeholder of test data and failed look-ups) is skipped, never
 * guessed from a country name. Sign-ins from declared corporate/VPN egress (by client address or
 * ASN) are no location and are skipped; so are two places of the same address. A sign-in arriving
 * a few minutes late is compared with both neighbours in time. Kept per principal (partition key).
 */
export const impossibleTravelType = defineDetectorType({
  name: 'impossible_travel',
  description:
    'Consecutive sign-ins of one principal too far apart for the time between them (impossible travel)',
  params,
  create(context): Detector<ImpossibleTravelState> {
    const { intent } = context
    return {
      id: context.id,
      kinds: ['auth'],
      accepts: (event) => {
        const auth = asAuth(event)
        return (
          auth.outcome === 'success' &&
          auth.latitude !== undefined &&
          auth.longitude !== undefined &&
          !(auth.latitude === 0 && auth.longitude === 0)
        )
      },
      partitioning: 'event',
      keyOf: (event) => partitionKey('auth', asAuth(event)),
      initialState: () => ({ recent: [] }),
      step(state, event: AnyEvent): DetectedFinding[] {
        const auth = asAuth(event)
        if (auth.latitude === undefined || auth.longitude === undefined) return []
        if (
          intent.isCorporateEgress({
            ...(auth.client_ip !== undefined ? { ip: auth.client_ip } : {}),
            ...(auth.asn !== undefined ? { asn: auth.asn } : {}),
          })
        )
          return []
        const { recent } = state
        if (recent.some((signIn) => signIn.id === auth.event_id)) return []
        const signIn = signInOf(auth)
        let at = recent.length
        while (at > 0 && recent[at - 1]!.ts > signIn.ts) at--
        const before = recent[at - 1]
        const after = recent[at]
        recent.splice(at, 0, signIn)
        if (recent.length > history) recent.shift()
        const findings: DetectedFinding[] = []
        if (before !== undefined) {
          const finding = travel(context, auth, before, signIn)
          if (finding) findings.push(finding)
        }
        if (after !== undefined) {
          const finding = travel(context, auth, signIn, after)
          if (finding) findings.push(finding)
        }
        return findings
      },
    }
  },
})
