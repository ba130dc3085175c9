import { type AnyEvent, type AuthEvent, partitionKey } from '@palisade/schema'
import { z } from 'zod'
import type { DetectedFinding, Detector } from '../detector.ts'
import { buildFinding, defineDetectorType, type RuleContext } from '../rules/detector-type.ts'
import { duration, formatSpan } from '../rules/duration.ts'
import { asAuth, iso, networkNote } from './auth-signals.ts'
import { greatCircleKm } from './impossible-travel.ts'

const params = z.strictObject({
  /** Speed between the session's first network and a later one above which nobody travels (km/h). */
  max_speed_kmh: z.number().positive().default(1000),
  /** Places closer than this are never travel (geolocation of mobile and ISP addresses is that rough). */
  min_distance_km: z.number().nonnegative().default(500),
  /** Shortest time gap a speed is computed over. */
  min_gap: duration.default(60_000),
  /** How long a session is followed after it was first seen (Okta's default session lifetime is 2 h; default 24 h). */
  session_lifetime: duration.default(24 * 60 * 60_000),
})
type Params = z.output<typeof params>

/** Sessions followed per principal; the oldest first seen is forgotten past it. */
const maxSessions = 32

/** Where a session was used from, as the IdP placed the address. */
interface SessionUse {
  ts: number
  id: string
  ip?: string
  asn?: number
  country?: string
  city?: string
  lat?: number
  lon?: number
  proxy?: boolean
  /** From declared corporate/VPN egress: a network of ours, but no location. */
  corporate?: boolean
}

interface FollowedSession {
  /** The first use seen: where the session was opened (or first showed up). */
  origin: SessionUse
  /** A finding was made for this session: one per session. */
  reported: boolean
}

/** What `session_hijack` remembers per principal: its sessions by id. */
export interface SessionHijackState {
  sessions: Record<string, FollowedSession>
}

function useOf(event: AuthEvent, corporate: boolean): SessionUse {
  const geolocated =
    !corporate &&
    event.latitude !== undefined &&
    event.longitude !== undefined &&
    !(event.latitude === 0 && event.longitude === 0)
  return {
    ts: event.ts,
    id: event.event_id,
    ...(event.client_ip !== undefined ? { ip: event.client_ip } : {}),
    ...(event.asn !== undefined ? { asn: event.asn } : {}),
    ...(event.country !== undefined ? { country: event.country } : {}),
    ...(event.city !== undefined ? { city: event.city } : {}),
    ...(geolocated ? { lat: event.latitude!, lon: event.longitude! } : {}),
    ...(event.is_proxy !== undefined ? { proxy: event.is_proxy } : {}),
    ...(corporate ? { corporate } : {}),
  }
}

/** Another network than the origin's: another AS number, else (no AS known) another country. */
function otherNetwork(origin: SessionUse, use: SessionUse): boolean {
  if (origin.ip !== undefined && origin.ip === use.ip) return false
  if (origin.corporate !== use.corporate) return true
  if (origin.asn !== undefined && use.asn !== undefined) return origin.asn !== use.asn
  return origin.country !== undefined && use.country !== undefined && origin.country !== use.country
}

function where(use: SessionUse): string {
  const note = networkNote({
    city: use.city,
    country: use.country,
    asn: use.asn,
    is_proxy: use.proxy,
  })
  return `${use.ip ?? 'an unknown address'}${note} at ${iso(use.ts)}`
}

function hijack(
  context: RuleContext<Params>,
  event: AuthEvent,
  session: string,
  origin: SessionUse,
  use: SessionUse,
): DetectedFinding | undefined {
  const p = context.params
  if (!otherNetwork(origin, use)) return undefined
  const gapMs = Math.abs(use.ts - origin.ts)
  let speed: number | undefined
  let km: number | undefined
  if (
    origin.lat !== undefined &&
    origin.lon !== undefined &&
    use.lat !== undefined &&
    use.lon !== undefined
  ) {
    km = greatCircleKm({ lat: origin.lat, lon: origin.lon }, { lat: use.lat, lon: use.lon })
    speed = km / (Math.max(gapMs, p.min_gap) / 3_600_000)
  }
  const impossible =
    km !== undefined && speed !== undefined && km >= p.min_distance_km && speed > p.max_speed_kmh
  const proxied = use.proxy === true
  if (!impossible && !proxied) return undefined
  const why = [
    ...(impossible
      ? [
          `${Math.round(km!)} km from where it was opened in ${formatSpan(gapMs)} (${Math.round(speed!)} km/h, above ${p.max_speed_kmh} km/h)`,
        ]
      : []),
    ...(proxied ? ['from an address the identity provider flags as a proxy or anonymiser'] : []),
  ].join(', and ')
  const entities: Record<string, string> = { principal: event.principal, session_id: session }
  if (use.ip !== undefined) entities.client_ip = use.ip
  if (origin.ip !== undefined) entities.previous_client_ip = origin.ip
  if (use.country !== undefined) entities.country = use.country
  if (use.asn !== undefined) entities.asn = `AS${use.asn}`
  if (event.service !== 'unknown') entities.service = event.service
  return buildFinding(context, {
    tenant: event.tenant,
    ts: event.ts,
    identity: { principal: event.principal, session },
    title: `Session of ${event.principal} used from a second network`,
    summary:
      `${event.principal}'s identity-provider session ${session} was first used from ${where(origin)} and then ` +
      `from ${where(use)}, ${why}. A session carried to another network without a new sign-in is a stolen ` +
      'session cookie or token being replayed (adversary-in-the-middle phishing, infostealer): revoke the ' +
      "user's sessions and find how the cookie left the device.",
    entities,
    evidence: {
      event_ids: [origin.id, use.id],
      gap_ms: gapMs,
      ...(km !== undefined ? { distance_km: Math.round(km) } : {}),
      ...(speed !== undefined ? { speed_kmh: Math.round(speed) } : {}),
      threshold_speed_kmh: p.max_speed_kmh,
      proxy: proxied,
      origin,
      use,
    },
  })
}

function forget(state: SessionHijackState, before: number): void {
  const entries = Object.entries(state.sessions)
  for (const [id, session] of entries) if (session.origin.ts < before) delete state.sessions[id]
  const left = Object.entries(state.sessions)
  if (left.length < maxSessions) return
  left.sort((a, b) => a[1].origin.ts - b[1].origin.ts)
  for (const [id] of left.slice(0, left.length - maxSessions + 1)) delete state.sessions[id]
}

/**
 * `session_hijack`: one identity-provider session (`session_id`, Okta's externalSessionId) used by
 * its principal from a second network (another AS number, else another country) either too far from
 * where it was first used for the time between (impossible travel) or from an address the IdP flags
 * as a proxy. Unlike `impossible_travel`, which compares sign-ins, this follows a session that needs
 * no new sign-in: a stolen session cookie replayed elsewhere shows only as SSO steps of the same
 * session. Declared corporate/VPN egress is a network of ours with no location: a session opened
 * there is followed (a replay from a proxy pages), a later use from there never pages. One finding
 * per session. Kept per principal (partition key).
 */
export const sessionHijackType = defineDetectorType({
  name: 'session_hijack',
  description:
    'One IdP session used from a second network (AS/country) at impossible travel speed or through a proxy: a replayed session',
  params,
  create(context): Detector<SessionHijackState> {
    const { intent } = context
    const lifetime = context.params.session_lifetime
    return {
      id: context.id,
      kinds: ['auth'],
      accepts: (event) => {
        const auth = asAuth(event)
        return auth.outcome === 'success' && auth.session_id !== undefined
      },
      partitioning: 'event',
      keyOf: (event) => partitionKey('auth', asAuth(event)),
      initialState: () => ({ sessions: {} }),
      step(state, event: AnyEvent): DetectedFinding[] {
        const auth = asAuth(event)
        const session = auth.session_id
        if (session === undefined || auth.outcome !== 'success') return []
        const corporate = intent.isCorporateEgress({
          ...(auth.client_ip !== undefined ? { ip: auth.client_ip } : {}),
          ...(auth.asn !== undefined ? { asn: auth.asn } : {}),
        })
        const use = useOf(auth, corporate)
        const followed = state.sessions[session]
        // A session opened at the office or through the VPN is followed from there (no location),
        // but a later use from our own egress is never the replay.
        if (corporate && followed !== undefined) return []
        if (followed === undefined || use.ts - followed.origin.ts > lifetime) {
          if (followed === undefined) forget(state, use.ts - lifetime)
          state.sessions[session] = { origin: use, reported: false }
          return []
        }
        // A use older than the origin that arrived late is where the session really began.
        if (use.ts < followed.origin.ts) {
          const earlier = followed.origin
          followed.origin = use
          if (followed.reported) return []
          const finding = hijack(context, auth, session, use, earlier)
          if (finding) followed.reported = true
          return finding ? [finding] : []
        }
        if (followed.reported || use.id === followed.origin.id) return []
        const finding = hijack(context, auth, session, followed.origin, use)
        if (!finding) return []
        followed.reported = true
        return [finding]
      },
    }
  },
})
