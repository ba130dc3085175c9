// Sign-ins as Okta's System Log records them: the password step (`user.session.start`) with the
// sign-on policy's evaluation (`policy.evaluate_sign_on`), then an Okta Verify push or a security
// key (`user.authentication.auth_via_mfa`), each with the client's address, geolocation and
// network, and Okta's behaviour detection and risk against the person's earlier sign-ins; many
// sessions end with a logout (`user.session.end`). The System Log holds every event type: the
// stream is read with `skip_other_events=true`, as a whole System Log export would be.
import type { Random } from './random.ts'
import { corporateVpn, type Network, type Place, type ScenarioUser } from './scenario-mesh.ts'
import type { ScenarioSink, StreamTarget } from './scenario-sink.ts'
import { type OktaActor, type OktaEventType, oktaEventRecord } from './wire/okta-event-record.ts'
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
  options: { skip_other_events: 'true' },
})

/** Where a person signed in from before, per scenario: what Okta's behaviour detection compares with. */
interface SignInHistory {
  ips: Set<string>
  cities: Set<string>
  countries: Set<string>
  agents: Set<string>
}
const histories = new WeakMap<ScenarioSink, Map<string, SignInHistory>>()

function historyOf(sink: ScenarioSink, email: string): SignInHistory {
  let byUser = histories.get(sink)
  if (byUser === undefined) {
    byUser = new Map()
    histories.set(sink, byUser)
  }
  let history = byUser.get(email)
  if (history === undefined) {
    history = { ips: new Set(), cities: new Set(), countries: new Set(), agents: new Set() }
    byUser.set(email, history)
  }
  return history
}

/** Okta's behaviours and risk for a sign-in step of a directory user, from the history. */
function assessment(history: SignInHistory, origin: ClientOrigin) {
  // Someone with no history yet (the scenario's first days) is judged as Okta would after weeks: familiar.
  const fresh = history.ips.size === 0
  const behaviors = {
    newIp: !fresh && !history.ips.has(origin.ip),
    newCity: !fresh && !history.cities.has(origin.place.city),
    newCountry: !fresh && !history.countries.has(origin.place.country),
    newDevice: !fresh && !history.agents.has(origin.userAgent),
  }
  const reasons = [
    ...(behaviors.newCountry ? ['Anomalous Location'] : []),
    ...(behaviors.newDevice ? ['Anomalous Device'] : []),
    ...(origin.isProxy ? ['Anonymizing Proxy'] : []),
  ]
  const level: 'LOW' | 'MEDIUM' | 'HIGH' =
    reasons.length >= 2 || origin.isProxy
      ? 'HIGH'
      : reasons.length === 1 || behaviors.newIp
        ? 'MEDIUM'
        : 'LOW'
  return { behaviors, risk: level === 'LOW' ? { level } : { level, reasons } }
}

function remember(history: SignInHistory, origin: ClientOrigin): void {
  history.ips.add(origin.ip)
  history.cities.add(origin.place.city)
  history.countries.add(origin.place.country)
  history.agents.add(origin.userAgent)
}

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
    eventType: OktaEventType
    result: 'SUCCESS' | 'FAILURE' | 'ALLOW'
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
  const assessed =
    'unknown' in input.actor ||
    (input.eventType !== 'user.session.start' && input.eventType !== 'user.authentication.auth_via_mfa')
      ? undefined
      : historyOf(sink, input.actor.email)
  const judged = assessed ? assessment(assessed, input.origin) : undefined
  if (assessed && input.result === 'SUCCESS' && input.eventType === 'user.authentication.auth_via_mfa')
    remember(assessed, input.origin)
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
      ...(judged ? judged : {}),
      ...(judged || input.eventType === 'policy.evaluate_sign_on'
        ? { deviceFingerprint: fingerprint(input.origin.userAgent) }
        : {}),
    }),
  )
}

/** A stable device fingerprint per browser (32 hex digits). */
function fingerprint(userAgent: string): string {
  let hash = 2166136261
  let out = ''
  for (let n = 0; n < 4; n++) {
    for (const char of `${userAgent}#${n}`) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619) >>> 0
    out += hash.toString(16).padStart(8, '0')
  }
  return out
}

/** Okta locks the account after too many failures: `user.account.lock`, then attempts fail LOCKED_OUT. */
export function accountLock(
  sink: ScenarioSink,
  random: Random,
  input: { ts: number; user: ScenarioUser; origin: ClientOrigin; sessionId: string },
): void {
  oktaStep(sink, random, {
    ts: input.ts,
    eventType: 'user.account.lock',
    result: 'SUCCESS',
    actor: input.user,
    origin: input.origin,
    sessionId: input.sessionId,
  })
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
  oktaStep(sink, random, {
    ts: ts + random.int(20, 200),
    eventType: 'policy.evaluate_sign_on',
    result: 'ALLOW',
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
  if (random.chance(0.4)) {
    oktaStep(sink, random, {
      ts: ts + random.int(20 * 60_000, 8 * 3_600_000),
      eventType: 'user.session.end',
      result: 'SUCCESS',
      actor: input.user,
      origin: input.origin,
      sessionId: session,
    })
  }
  return ts
}
