// Sign-ins as Okta's System Log records them: the password step (`user.session.start`), then for
// most people an Okta Verify push or a security key (`user.authentication.auth_via_mfa`), each with
// the client's address, geolocation and network.
import type { Random } from './random.ts'
import { corporateVpn, type Network, type Place, type ScenarioUser } from './scenario-mesh.ts'
import type { ScenarioSink, StreamTarget } from './scenario-sink.ts'
import { type OktaActor, oktaEventRecord } from './wire/okta-event-record.ts'
import { isoDate, isoMillis, uuid } from './wire/time-text.ts'

/** Where a sign-in comes from. */
export interface ClientOrigin {
  ip: string
  place: Place
  network: Network
  isProxy: boolean
  userAgent: string
}

const oktaTarget = (ts: number): StreamTarget => ({
  format: 'okta-system-log',
  path: `okta/${isoDate(ts)}.jsonl`,
  join: 'lines',
})

const browsers = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
]

/** The usual origins of a person: the office, home, the corporate VPN. */
export function userOrigin(
  user: ScenarioUser,
  where: 'office' | 'home' | 'vpn',
  random: Random,
): ClientOrigin {
  const userAgent = browsers[user.email.length % browsers.length]!
  if (where === 'vpn') {
    return {
      ip: `${corporateVpn.ipPrefix}${random.int(10, 60)}`,
      place: corporateVpn.place,
      network: corporateVpn.network,
      isProxy: false,
      userAgent,
    }
  }
  const jitter = () => Math.round((random.next() - 0.5) * 0.04 * 10_000) / 10_000
  return {
    ip: where === 'office' ? user.office.natIp : user.homeIp,
    place: {
      ...user.office.place,
      lat: Math.round((user.office.place.lat + jitter()) * 10_000) / 10_000,
      lon: Math.round((user.office.place.lon + jitter()) * 10_000) / 10_000,
    },
    network: user.office.network,
    isProxy: false,
    userAgent,
  }
}

/** One step of a sign-in, written to the day's System Log file. */
export function oktaStep(
  sink: ScenarioSink,
  random: Random,
  input: {
    ts: number
    eventType: 'user.session.start' | 'user.authentication.auth_via_mfa'
    result: 'SUCCESS' | 'FAILURE'
    reason?: string
    actor: ScenarioUser | { unknown: string }
    origin: ClientOrigin
    sessionId: string
    factor?: ScenarioUser['factor']
  },
): void {
  const actor: OktaActor =
    'unknown' in input.actor
      ? input.actor
      : { id: input.actor.oktaId, alternateId: input.actor.email, displayName: input.actor.displayName }
  sink.add(
    oktaTarget(input.ts),
    input.ts,
    oktaEventRecord({
      uuid: uuid(random),
      published: isoMillis(input.ts),
      eventType: input.eventType,
      result: input.result,
      ...(input.reason ? { reason: input.reason } : {}),
      actor,
      ip: input.origin.ip,
      place: input.origin.place,
      network: input.origin.network,
      isProxy: input.origin.isProxy,
      userAgent: input.origin.userAgent,
      sessionId: input.sessionId,
      requestId: requestId(random),
      ...(input.factor ? { factor: input.factor } : {}),
    }),
  )
}

/** An Okta request id (`XkccyyMli2Uay2I93ZgRzQAAB0c`-like). */
function requestId(random: Random): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
  let id = ''
  for (let n = 0; n < 23; n++) id += alphabet[random.int(0, alphabet.length - 1)]
  return `${id}AAB${alphabet[random.int(0, 61)]}`
}

/** An Okta session id (`102...`). */
export function sessionId(random: Random): string {
  return `102${uuid(random).replaceAll('-', '').slice(0, 22)}`
}

/**
 * A person signing in: `failures` wrong passwords first (seconds apart), then the password, then
 * their factor (a push they accept, or a security key). Returns the time the sign-in finished.
 */
export function signIn(
  sink: ScenarioSink,
  random: Random,
  input: { ts: number; user: ScenarioUser; origin: ClientOrigin; failures?: number },
): number {
  let ts = input.ts
  const session = sessionId(random)
  for (let n = 0; n < (input.failures ?? 0); n++) {
    oktaStep(sink, random, {
      ts,
      eventType: 'user.session.start',
      result: 'FAILURE',
      reason: 'INVALID_CREDENTIALS',
      actor: input.user,
      origin: input.origin,
      sessionId: session,
    })
    ts += random.int(6_000, 25_000)
  }
  oktaStep(sink, random, {
    ts,
    eventType: 'user.session.start',
    result: 'SUCCESS',
    actor: input.user,
    origin: input.origin,
    sessionId: session,
  })
  ts += random.int(3_000, 12_000)
  oktaStep(sink, random, {
    ts,
    eventType: 'user.authentication.auth_via_mfa',
    result: 'SUCCESS',
    actor: input.user,
    origin: input.origin,
    sessionId: session,
    factor: input.user.factor,
  })
  return ts
}
