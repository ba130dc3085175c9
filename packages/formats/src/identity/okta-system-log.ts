/**
 * Okta System Log (LogEvent objects, https://developer.okta.com/docs/reference/api/system-log/):
 *
 *   body     = array / event-hook / *(event LF)      ; JSON lines, or what GET /api/v1/logs returns
 *   array    = "[" event *("," event) "]"
 *   event-hook = {"data": {"events": [event, ...]}, ...}   ; an Okta Event Hook delivery
 *   event    = {"uuid", "published" (ISO-8601), "eventType", "outcome": {"result", "reason"},
 *               "actor": {"alternateId", "type"}, "client": {"ipAddress", "userAgent": {"rawUserAgent"},
 *               "geographicalContext": {"country", "city"}}, "request": {"ipChain": [{"ip"}]},
 *               "authenticationContext": {"credentialType", "externalSessionId"}, "debugContext": {"debugData": {"factor"}},
 *               "target": [{"type", "displayName"}], ...}
 *
 * Authentication attempts become `auth` events: `user.session.start` (sign-in to Okta) and
 * `user.authentication.*` (each step: password, factor, SSO into an app, RADIUS, ...) except the
 * logouts (`user.authentication.slo`, `user.authentication.universal_logout*`). Each step counts
 * on its own because each can fail on its own. Not counted: `policy.evaluate_sign_on` (the policy
 * decision inside a sign-in the events above already record, so counting it would count every
 * sign-in twice) and `user.mfa.*` (factor enrolment, and push denials that
 * `user.authentication.auth_via_mfa` already records as "User rejected Okta push verify").
 *
 * Outcome: SUCCESS and ALLOW are successes; FAILURE and DENY failures. CHALLENGE, SKIPPED and
 * UNKNOWN finish no attempt ("not a finished authentication"): treated like other event types. Failure kind:
 * the user's own mistakes and expected denials are `user` (INVALID_CREDENTIALS, UNKNOWN_USER,
 * LOCKED_OUT, a rejected push, a DENY by policy); VERIFICATION_ERROR ("error during the
 * verification process", e.g. a delegated directory failing) is `system`; any other reason is left
 * unclassified, which the SLO counts as `system` (better a false alarm than a hidden outage).
 *
 * OAuth 2.0 token events become `token` events of the client application (`actor`, a
 * PublicClientApp/ServiceApp, its displayName as the service): `app.oauth2[.as].token.grant` and
 * `...grant.access_token` are one token request each, a `refresh` when `debugContext.debugData.grantType`
 * is refresh_token, else a `grant`; the `...grant.refresh_token` / `.id_token` events Okta adds for the
 * same request are not counted again (treated as other events); `app.oauth2[.as].token.revoke` (and
 * the `.implicit.*` revocations) are a `revoke`. The credential is the token target's id (type
 * access_token / refresh_token, any case), the user the token's subject (`detailEntry.subject`) or a
 * User target.
 *
 * Other event types are rejected ("not an authentication event: <eventType>") so that they reach
 * quarantine: a whole System Log pointed here shows what it left out, and a wrong file never looks
 * like an empty success. With `skip_other_events=true` they are dropped instead, knowingly.
 *
 * Event id: Okta's `uuid`, unique per event, so a re-delivered event (even re-serialised or
 * enriched on the way) is stored once. A `uuid` that is not a UUID (test data uses "uuid") is no
 * id: such records get a hash of their canonical content.
 */
import { deriveEventId } from '@palisade/schema'
import type { FormatParser, ParseOptions, ParseResult } from '../format-parser.ts'
import { type AuthMapping, addAuthMapping } from './auth-mapping.ts'
import { readJsonBody } from './json-body.ts'
import {
  clippedText,
  ipAddressOf,
  isoEpochMs,
  notAuthenticationEvent,
  objectOf,
  skipOtherEvents,
  textOf,
  unknownPrincipal,
} from './source-values.ts'

type Json = Record<string, unknown>

function isAuthenticationEventType(type: string): boolean {
  if (type === 'user.session.start') return true
  return (
    type.startsWith('user.authentication.') &&
    type !== 'user.authentication.slo' &&
    !type.startsWith('user.authentication.universal_logout')
  )
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Okta reasons (codes, or sentences upper-cased with `_` for spaces) that are the user's side. */
const userFailureReasons = new Set([
  'INVALID_CREDENTIALS',
  'UNKNOWN_USER',
  'LOCKED_OUT',
  'PASSWORD_BASED_LOGIN_DISALLOWED',
  'USER_REJECTED_OKTA_PUSH_VERIFY',
])
const systemFailureReasons = new Set(['VERIFICATION_ERROR'])

function failureKind(result: string, reason: string | undefined): 'user' | 'system' | undefined {
  // A DENY is the sign-on policy doing its job: an expected denial, not an outage.
  if (result === 'DENY') return 'user'
  if (reason === undefined) return undefined
  const code = reason.toUpperCase().replace(/[^A-Z0-9]+/g, '_')
  if (userFailureReasons.has(code)) return 'user'
  if (systemFailureReasons.has(code)) return 'system'
  return undefined
}

function methodOf(event: Json): string | undefined {
  const factor = textOf(objectOf(objectOf(event.debugContext)?.debugData)?.factor)?.toUpperCase()
  if (factor !== undefined) {
    if (factor.includes('PUSH')) return 'mfa_push'
    if (factor.includes('WEBAUTHN') || factor.includes('FIDO') || factor.includes('U2F'))
      return 'mfa_webauthn'
    if (factor.includes('SMS')) return 'mfa_sms'
    if (factor.includes('OTP')) return 'mfa_otp'
    return 'mfa'
  }
  return textOf(objectOf(event.authenticationContext)?.credentialType)?.toLowerCase()
}

/** The app an SSO goes to, else Okta itself (a sign-in to Okta protects the Okta session). */
function serviceOf(event: Json): string {
  const targets = Array.isArray(event.target) ? event.target : []
  for (const target of targets) {
    const entry = objectOf(target)
    if (entry?.type === 'AppInstance') {
      const name = textOf(entry.displayName) ?? textOf(entry.alternateId)
      if (name !== undefined) return name.slice(0, 256)
    }
  }
  return 'okta'
}

function clientIpOf(event: Json, client: Json | undefined): string | undefined {
  const direct = ipAddressOf(client?.ipAddress)
  if (direct !== undefined) return direct
  // client.ipAddress is sometimes the string "null" while ipChain (client first, then proxies) has it.
  const chain = objectOf(event.request)?.ipChain
  return Array.isArray(chain) ? ipAddressOf(objectOf(chain[0])?.ip) : undefined
}

const tokenGrantType = /^app\.oauth2\.(?:as\.)?token\.grant(?:\.(access_token|refresh_token|id_token))?$/
const tokenRevokeType = /^app\.oauth2\.(?:as\.)?token\.revoke(?:\.|$)/
const tokenTargetType = /^(?:access|refresh)_?token$/i

/** A token request, issuance companion or revocation as a `token` event (see the header). */
function mapTokenEvent(event: Json, eventType: string, action: 'grant' | 'revoke'): AuthMapping {
  const ts = isoEpochMs(event.published)
  if (ts === undefined) return { reason: 'published is not an ISO-8601 time with a zone' }
  const result = textOf(objectOf(event.outcome)?.result)?.toUpperCase()
  if (result !== 'SUCCESS' && result !== 'FAILURE')
    return {
      reason: `not a finished token request: ${eventType} with outcome ${result ?? 'none'}`,
      other: true,
    }
  const debugData = objectOf(objectOf(event.debugContext)?.debugData)
  const grantType = textOf(debugData?.grantType)
  const actor = objectOf(event.actor)
  const targets = (Array.isArray(event.target) ? event.target : []).map(objectOf)
  const token = targets.find((target) => tokenTargetType.test(textOf(target?.type) ?? ''))
  const user = targets.find((target) => target?.type === 'User')
  const isApp = actor !== undefined && actor.type !== 'User'
  const clientId = isApp
    ? (textOf(actor?.alternateId) ?? textOf(actor?.id))
    : textOf(objectOf(event.client)?.id)
  const uuid = textOf(event.uuid)
  return {
    kind: 'token',
    event: {
      event_id: uuid !== undefined && uuidPattern.test(uuid) ? uuid : deriveEventId('okta-system-log', event),
      ts,
      source: 'okta',
      service: ((isApp ? textOf(actor?.displayName) : undefined) ?? clientId ?? 'okta').slice(0, 256),
      action: action === 'revoke' ? 'revoke' : grantType === 'refresh_token' ? 'refresh' : 'grant',
      outcome: result === 'SUCCESS' ? 'success' : 'failure',
      principal:
        textOf(objectOf(token?.detailEntry)?.subject) ??
        textOf(user?.alternateId) ??
        (isApp ? undefined : textOf(actor?.alternateId)),
      client_id: clientId?.slice(0, 256),
      credential_id: textOf(token?.id)?.slice(0, 512),
      grant_type: grantType?.slice(0, 256),
      reason: result === 'SUCCESS' ? undefined : clippedText(objectOf(event.outcome)?.reason, 1024),
      client_ip: clientIpOf(event, objectOf(event.client)),
    },
  }
}

function mapEvent(value: unknown): AuthMapping {
  const event = objectOf(value)
  if (event === undefined) return { reason: 'not a JSON object' }
  const eventType = textOf(event.eventType)
  if (eventType === undefined) return { reason: 'not an Okta System Log event: no eventType' }
  const grant = tokenGrantType.exec(eventType)
  if (grant !== null) {
    if (grant[1] === 'refresh_token' || grant[1] === 'id_token')
      return { reason: `counted with the access token of the same request: ${eventType}`, other: true }
    return mapTokenEvent(event, eventType, 'grant')
  }
  if (tokenRevokeType.test(eventType)) return mapTokenEvent(event, eventType, 'revoke')
  if (!isAuthenticationEventType(eventType))
    return { reason: `${notAuthenticationEvent}: ${eventType}`, other: true }
  const ts = isoEpochMs(event.published)
  if (ts === undefined) return { reason: 'published is not an ISO-8601 time with a zone' }
  const outcome = objectOf(event.outcome)
  const result = textOf(outcome?.result)?.toUpperCase()
  if (result === undefined) return { reason: 'no outcome.result' }
  const success = result === 'SUCCESS' || result === 'ALLOW'
  if (!success && result !== 'FAILURE' && result !== 'DENY')
    return { reason: `not a finished authentication: ${eventType} with outcome ${result}`, other: true }

  const actor = objectOf(event.actor)
  const client = objectOf(event.client)
  const geo = objectOf(client?.geographicalContext)
  const reason = clippedText(outcome?.reason, 1024)
  const uuid = textOf(event.uuid)
  const mapped: Json = {
    event_id: uuid !== undefined && uuidPattern.test(uuid) ? uuid : deriveEventId('okta-system-log', event),
    ts,
    source: 'okta',
    service: serviceOf(event),
    principal: textOf(actor?.alternateId) ?? textOf(actor?.id) ?? unknownPrincipal,
    principal_type: actor === undefined || actor.type === 'User' ? 'user' : 'service',
    outcome: success ? 'success' : 'failure',
    failure_kind: success ? undefined : failureKind(result, reason),
    reason,
    method: methodOf(event),
    client_ip: clientIpOf(event, client),
    country: clippedText(geo?.country, 64),
    city: clippedText(geo?.city, 128),
    user_agent: clippedText(objectOf(client?.userAgent)?.rawUserAgent, 1024),
    ...geolocationOf(geo),
    ...networkOf(objectOf(event.securityContext)),
    ...sessionOf(objectOf(event.authenticationContext)),
  }
  return { event: mapped }
}

/** The IdP's geolocation, when both coordinates are in range (impossible travel reads them). */
function geolocationOf(geo: Json | undefined): { latitude?: number; longitude?: number } {
  const point = objectOf(geo?.geolocation)
  const lat = point?.lat
  const lon = point?.lon
  if (typeof lat !== 'number' || typeof lon !== 'number') return {}
  if (Math.abs(lat) > 90 || Math.abs(lon) > 180) return {}
  return { latitude: lat, longitude: lon }
}

/**
 * The Okta session the step belongs to: `authenticationContext.externalSessionId` (the id every
 * later SSO of the same sign-in repeats), else `rootSessionId`; Okta writes `unknown` when there is
 * none. A session replayed from another network shows as one id from two places.
 */
function sessionOf(context: Json | undefined): { session_id?: string } {
  for (const key of ['externalSessionId', 'rootSessionId']) {
    const id = textOf(context?.[key])
    if (id !== undefined && id !== '' && id.toLowerCase() !== 'unknown')
      return { session_id: id.slice(0, 256) }
  }
  return {}
}

/** The client network as Okta's securityContext names it: AS number and proxy flag (null when unknown). */
function networkOf(security: Json | undefined): { asn?: number; is_proxy?: boolean } {
  const asn = security?.asNumber
  const proxy = security?.isProxy
  return {
    ...(typeof asn === 'number' && Number.isInteger(asn) && asn >= 0 ? { asn } : {}),
    ...(typeof proxy === 'boolean' ? { is_proxy: proxy } : {}),
  }
}

/** Parses Okta System Log events (JSON lines, API arrays, Event Hook bodies) into `auth` and `token` events. */
export const oktaSystemLogParser: FormatParser = {
  name: 'okta-system-log',
  description:
    'Okta System Log events (JSON lines, /api/v1/logs arrays, Event Hook bodies) as auth and OAuth token events',
  kinds: ['auth', 'token'],
  options: ['skip_other_events'],
  parse(input: string, options?: ParseOptions): ParseResult {
    const others = skipOtherEvents(options)
    const result: ParseResult = { records: [], rejected: [] }
    const records = readJsonBody(input, (value) => {
      const events = objectOf(objectOf(value)?.data)?.events
      return Array.isArray(events) ? events : undefined
    })
    for (const record of records) {
      const mapping = record.reason === undefined ? mapEvent(record.value) : { reason: record.reason }
      addAuthMapping(result, record, mapping, others)
    }
    return result
  },
}
