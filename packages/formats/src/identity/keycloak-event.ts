/**
 * Keycloak user events, as JSON (https://www.keycloak.org/docs-api/latest/rest-api/#EventRepresentation)
 * or as the lines the built-in `jboss-logging` event listener writes to the server log:
 *
 *   body     = array / *(line LF)            ; an array is what GET /admin/realms/{realm}/events returns
 *   line     = json-event / event-line / server-line
 *   json-event = {"time" (epoch ms), "type", "realmId", "clientId", "userId", "ipAddress", "error",
 *                 "details": {"username", "auth_method", "grant_type", ...}, "id"?}
 *   event-line = [date ("T" / " ")] time [zone] SP level SP "[org.keycloak.events]" SP "(" thread ")" SP fields
 *   date     = YYYY "-" MM "-" DD            ; Keycloak on Quarkus writes it; WildFly's default does not
 *   time     = HH ":" MM ":" SS ["," / "." fraction]
 *   zone     = "Z" / ("+" / "-") HH [":"] MM  ; absent in both default layouts
 *   fields   = field *(", " field)           ; type=LOGIN_ERROR, realmId=test, userId=null, ...
 *   field    = key "=" (value / DQUOTE value DQUOTE / "'" value "'")   ; quoted in recent versions
 *
 * Options: a line with a time of day only cannot be placed in time by the parser, so `date`
 * (YYYY-MM-DD) names its day and `timezone` (UTC by default; an offset or an IANA name) the zone of
 * its wall clock; without `date`, or with a value that is no day or zone, such lines are rejected
 * with a reason naming the option (as this package does with any bad option value). One date
 * serves a whole body, as WildFly's daily rotation writes one file per day; should the time of day
 * step back by more than 12 hours, the log crossed midnight and the lines after it take the next day.
 *
 * LOGIN and LOGIN_ERROR (users), CLIENT_LOGIN and CLIENT_LOGIN_ERROR (service accounts, client
 * credentials grant) become `auth` events; `*_ERROR` are failures. Failure kind: the user's own
 * doing or an expected denial is `user` (invalid_user_credentials, user_not_found, user_disabled,
 * user_temporarily_disabled (brute-force lockout), expired_code, consent_denied, ...); a broken
 * client or identity provider is `system` (invalid_redirect_uri: the application asks with a
 * redirect its client does not allow, which fails every user of it; client_not_found on a user
 * login, invalid_request, identity_provider_error, generic_authentication_error); other errors are
 * left unclassified (the SLO counts them as `system`). An error before the user is known (userId=null,
 * no username) is kept with the principal "unknown": it still failed someone.
 *
 * Token events become `token` events (refresh rate, refresh storms, revocations): REFRESH_TOKEN
 * (action refresh), CODE_TO_TOKEN and TOKEN_EXCHANGE (grant), REVOKE_GRANT (revoke), LOGOUT (logout,
 * the session ends), each `*_ERROR` a failure with the error as reason. The credential is the
 * refresh token's id (`refresh_token_id`), else the token's (`token_id`), else the session; the
 * application is the client. Keycloak's logger writes them as the login lines
 * (keycloak/keycloak services JBossLoggingEventListenerProvider: `type=..., realmId=..., clientId=...,
 * userId=..., ipAddress=...` then the details as `key=value`).
 *
 * Other event types (admin events, UPDATE_PASSWORD, ...) and server lines are rejected ("not an authentication event: <type>", "not a Keycloak event line") so that nothing
 * leaves unseen, unless `skip_other_events=true`. A line naming org.keycloak.events that does not
 * read as an event is always rejected.
 *
 * Event id: the event's `id` where the JSON has one, else a hash of the event (for a log line: its
 * fields and the resolved time, so that the same line on two days is two events).
 */
import { deriveEventId } from '@palisade/schema'
import type { FormatParser, ParseOptions, ParseResult } from '../format-parser.ts'
import { type AuthMapping, addAuthMapping } from './auth-mapping.ts'
import { readJsonBody } from './json-body.ts'
import { isCalendarDate, parseTimeZone, type TimeZone, wallTimeToEpochMs } from './local-time.ts'
import {
  clippedText,
  ipAddressOf,
  notAuthenticationEvent,
  objectOf,
  skipOtherEvents,
  textOf,
  unknownPrincipal,
} from './source-values.ts'

type Json = Record<string, unknown>

const eventLinePattern =
  /^(?:(\d{4})-(\d{2})-(\d{2})[ T])?(\d{2}):(\d{2}):(\d{2})(?:[,.](\d{1,9}))?\s*(Z|[+-]\d{2}:?\d{2})?\s+[A-Z]+\s+\[org\.keycloak\.events\]\s+\(.*?\)\s+([A-Za-z_].*)$/
const fieldPattern = /([A-Za-z_][\w.-]*)=(?:"(.*?)"|'(.*?)'|(.*?))(?:, (?=[A-Za-z_][\w.-]*=)|\s*$)/y

/** The key=value fields of an event line, or undefined when they do not read as such. */
function parseFields(text: string): Record<string, string> | undefined {
  const fields: Record<string, string> = {}
  fieldPattern.lastIndex = 0
  while (fieldPattern.lastIndex < text.length) {
    const start = fieldPattern.lastIndex
    const match = fieldPattern.exec(text)
    if (match === null || fieldPattern.lastIndex === start) return undefined
    fields[match[1]!] = match[2] ?? match[3] ?? match[4] ?? ''
  }
  return fields
}

/**
 * Top-level fields of Keycloak's EventRepresentation (and operationType, which marks an admin
 * event); a log line's other fields are its details.
 */
const topLevelFields = new Set([
  'id',
  'type',
  'operationType',
  'realmId',
  'clientId',
  'userId',
  'sessionId',
  'ipAddress',
  'error',
])

const authenticationTypes = new Set(['LOGIN', 'LOGIN_ERROR', 'CLIENT_LOGIN', 'CLIENT_LOGIN_ERROR'])

/** Token event types (without `_ERROR`) and the action each is on a credential. */
const tokenActions = new Map<string, 'grant' | 'refresh' | 'revoke' | 'logout'>([
  ['REFRESH_TOKEN', 'refresh'],
  ['CODE_TO_TOKEN', 'grant'],
  ['TOKEN_EXCHANGE', 'grant'],
  ['REVOKE_GRANT', 'revoke'],
  ['LOGOUT', 'logout'],
])

/** The token action of an event type (`REFRESH_TOKEN_ERROR` → refresh), or undefined. */
function tokenActionOf(type: string): 'grant' | 'refresh' | 'revoke' | 'logout' | undefined {
  return tokenActions.get(type.endsWith('_ERROR') ? type.slice(0, -'_ERROR'.length) : type)
}

const userErrors = new Set([
  'invalid_user_credentials',
  'user_not_found',
  'user_disabled',
  'user_temporarily_disabled',
  'username_missing',
  'password_missing',
  'invalid_client_credentials',
  'client_disabled',
  'realm_disabled',
  'consent_denied',
  'rejected_by_user',
  'access_denied',
  'not_allowed',
  'expired_code',
  'session_expired',
  'different_user_authenticated',
  'invalid_oauth2_user_code',
  'expired_oauth2_device_code',
  'federated_identity_account_exists',
])
const systemErrors = new Set([
  'invalid_redirect_uri',
  'invalid_client',
  'invalid_request',
  'invalid_config',
  'identity_provider_error',
  'generic_authentication_error',
])

function failureKind(type: string, error: string | undefined): 'user' | 'system' | undefined {
  if (error === undefined) return undefined
  // An unknown client id is an unknown principal for a service account, a broken app for a user login.
  if (error === 'client_not_found') return type === 'CLIENT_LOGIN_ERROR' ? 'user' : 'system'
  if (userErrors.has(error)) return 'user'
  if (systemErrors.has(error)) return 'system'
  return undefined
}

function methodOf(type: string, details: Json | undefined): string | undefined {
  const authMethod = textOf(details?.auth_method)
  if (authMethod === 'openid-connect') return 'oidc'
  if (authMethod !== undefined) return authMethod
  return textOf(details?.grant_type) ?? (type.startsWith('CLIENT_LOGIN') ? 'client_credentials' : undefined)
}

/** Why a Keycloak event is no authentication attempt, or undefined when it is one. */
function notAnAttempt(event: Json): AuthMapping | undefined {
  const type = textOf(event.type)
  if (type === undefined) {
    const operation = textOf(event.operationType)
    if (operation !== undefined)
      return { reason: `${notAuthenticationEvent}: admin event ${operation}`, other: true }
    return { reason: 'not a Keycloak event: no type' }
  }
  if (!authenticationTypes.has(type) && tokenActionOf(type) === undefined)
    return { reason: `${notAuthenticationEvent}: ${type}`, other: true }
  return undefined
}

/** Maps one token event (JSON shape) of `action` at `ts` (epoch ms) whose id is `eventId`. */
function mapTokenEvent(event: Json, action: string, ts: number, eventId: string): AuthMapping {
  const type = textOf(event.type) ?? ''
  const details = objectOf(event.details)
  const error = textOf(event.error)
  const success = !type.endsWith('_ERROR') && error === undefined
  const clientId = textOf(event.clientId)
  return {
    kind: 'token',
    event: {
      event_id: eventId,
      ts,
      source: 'keycloak',
      service: clientId?.slice(0, 256),
      action,
      outcome: success ? 'success' : 'failure',
      principal: textOf(details?.username) ?? textOf(event.userId),
      client_id: clientId?.slice(0, 256),
      credential_id: (
        textOf(details?.refresh_token_id) ??
        textOf(details?.token_id) ??
        textOf(event.sessionId) ??
        textOf(details?.code_id)
      )?.slice(0, 512),
      grant_type: textOf(details?.grant_type)?.slice(0, 256),
      reason: success ? undefined : clippedText(error, 1024),
      client_ip: ipAddressOf(event.ipAddress),
    },
  }
}

/** Maps one authentication or token event (JSON shape) at `ts` (epoch ms) whose id is `eventId`. */
function mapEvent(event: Json, ts: number, eventId: string): AuthMapping {
  const type = textOf(event.type) ?? ''
  const tokenAction = tokenActionOf(type)
  if (tokenAction !== undefined) return mapTokenEvent(event, tokenAction, ts, eventId)
  const details = objectOf(event.details)
  const error = textOf(event.error)
  const success = !type.endsWith('_ERROR') && error === undefined
  const service = type.startsWith('CLIENT_LOGIN')
  const clientId = textOf(event.clientId)
  return {
    event: {
      event_id: eventId,
      ts,
      source: 'keycloak',
      service: clientId?.slice(0, 256),
      principal:
        textOf(details?.username) ??
        textOf(event.userId) ??
        (service ? clientId : undefined) ??
        unknownPrincipal,
      principal_type: service ? 'service' : 'user',
      outcome: success ? 'success' : 'failure',
      failure_kind: success ? undefined : failureKind(type, error),
      reason: success ? undefined : clippedText(error, 1024),
      method: methodOf(type, details),
      client_ip: ipAddressOf(event.ipAddress),
    },
  }
}

function mapJsonEvent(value: unknown): AuthMapping {
  const event = objectOf(value)
  if (event === undefined) return { reason: 'not a JSON object' }
  const notAttempt = notAnAttempt(event)
  if (notAttempt !== undefined) return notAttempt
  const time = event.time
  if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0)
    return { reason: 'time is not epoch milliseconds' }
  const id = textOf(event.id)
  return mapEvent(
    event,
    time,
    id !== undefined && id.length <= 128 ? id : deriveEventId('keycloak-event', event),
  )
}

/** An option value that cannot be used: lines that need it are rejected with this reason. */
type OptionProblem = { problem: string }

/** Per-body state for log lines: the day and zone their wall clock is read in. */
interface LineClock {
  /** Midnight of `options.date` read as UTC; undefined without the option. */
  dateMs: number | OptionProblem | undefined
  zone: TimeZone | OptionProblem
  /** Days added after the log crossed midnight. */
  dayOffset: number
  /** Wall time (as if UTC) of the last line read with the option's date, for the midnight check. */
  lastWallMs: number | undefined
}

const dayMs = 86_400_000
const noDateReason =
  'time of day only: give the day in options.date (YYYY-MM-DD) and the zone in options.timezone (UTC by default)'

/** The wall time of a line (as if UTC), or why it cannot be placed in time. */
function wallTimeOf(
  date: [number, number, number] | undefined,
  timeOfDayMs: number,
  clock: LineClock,
): number | OptionProblem {
  if (date !== undefined) return Date.UTC(date[0], date[1] - 1, date[2]) + timeOfDayMs
  if (clock.dateMs === undefined) return { problem: noDateReason }
  if (typeof clock.dateMs !== 'number') return clock.dateMs
  let wallMs = clock.dateMs + clock.dayOffset * dayMs + timeOfDayMs
  if (clock.lastWallMs !== undefined && wallMs < clock.lastWallMs - dayMs / 2) {
    clock.dayOffset++
    wallMs += dayMs
  }
  clock.lastWallMs = wallMs
  return wallMs
}

function mapEventLine(line: string, clock: LineClock): AuthMapping {
  const match = eventLinePattern.exec(line)
  if (match === null) {
    if (line.includes('[org.keycloak.events]'))
      return {
        reason:
          'unreadable Keycloak event line: expected "<time> <level> [org.keycloak.events] (<thread>) type=..., ..."',
      }
    return { reason: 'not a Keycloak event line', other: true }
  }
  const [, year, month, day, hour, minute, second, fraction, offset, fieldText] = match
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59)
    return { reason: 'unreadable Keycloak event line: no such time of day' }
  const date: [number, number, number] | undefined =
    year === undefined ? undefined : [Number(year), Number(month), Number(day)]
  if (date !== undefined && !isCalendarDate(date[0], date[1], date[2]))
    return { reason: 'unreadable Keycloak event line: no such date' }
  const fields = parseFields(fieldText!)
  if (fields === undefined)
    return { reason: 'unreadable Keycloak event fields: expected key=value, key=value, ...' }
  const timeOfDayMs =
    (Number(hour) * 3600 + Number(minute) * 60 + Number(second)) * 1000 +
    Number((fraction ?? '0').padEnd(3, '0').slice(0, 3))
  // Placed before the type is looked at, so that every event line counts for the midnight check.
  const wallMs = wallTimeOf(date, timeOfDayMs, clock)

  const event: Json = {}
  const details: Json = {}
  for (const [key, value] of Object.entries(fields)) {
    // The listener writes a missing value as the word null.
    const fieldValue = value === 'null' ? null : value
    if (topLevelFields.has(key)) event[key] = fieldValue
    else details[key] = fieldValue
  }
  event.details = details
  const notAttempt = notAnAttempt(event)
  if (notAttempt !== undefined) return notAttempt
  if (typeof wallMs !== 'number') return { reason: wallMs.problem }
  const zone = offset !== undefined ? parseTimeZone(offset) : clock.zone
  if (zone === undefined) return { reason: 'unreadable Keycloak event line: time zone offset beyond ±18:00' }
  if ('problem' in zone) return { reason: zone.problem }
  event.time = wallTimeToEpochMs(wallMs, zone)
  return mapEvent(event, event.time as number, deriveEventId('keycloak-event', event))
}

function readDateOption(value: string | undefined): number | OptionProblem | undefined {
  if (value === undefined) return undefined
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value)
  if (match === null || !isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3])))
    return { problem: `options.date "${value}": expected a calendar day YYYY-MM-DD` }
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))
}

function readTimeZoneOption(value: string | undefined): TimeZone | OptionProblem {
  const zone = parseTimeZone(value ?? 'UTC')
  return (
    zone ?? {
      problem: `options.timezone "${value}": expected UTC, an offset such as +02:00, or an IANA name`,
    }
  )
}

/** Parses Keycloak events (JSON, or the jboss-logging lines of the server log) into `auth` and `token` events. */
export const keycloakEventParser: FormatParser = {
  name: 'keycloak-event',
  description:
    'Keycloak login and token events: event JSON (lines or admin API arrays) or org.keycloak.events server log lines',
  kinds: ['auth', 'token'],
  options: ['date', 'timezone', 'skip_other_events'],
  parse(input: string, options?: ParseOptions): ParseResult {
    const others = skipOtherEvents(options)
    const clock: LineClock = {
      dateMs: readDateOption(options?.date),
      zone: readTimeZoneOption(options?.timezone),
      dayOffset: 0,
      lastWallMs: undefined,
    }
    const result: ParseResult = { records: [], rejected: [] }
    if (input.trimStart().startsWith('[')) {
      for (const record of readJsonBody(input, () => undefined)) {
        const mapping = record.reason === undefined ? mapJsonEvent(record.value) : { reason: record.reason }
        addAuthMapping(result, record, mapping, others)
      }
      return result
    }
    const lines = input.split('\n')
    for (let index = 0; index < lines.length; index++) {
      const raw = lines[index]!.replace(/\r$/, '')
      const text = raw.trim()
      if (text === '') continue
      let mapping: AuthMapping
      if (text.startsWith('{')) {
        try {
          mapping = mapJsonEvent(JSON.parse(text))
        } catch (error) {
          mapping = { reason: `not valid JSON: ${(error as Error).message}` }
        }
      } else {
        mapping = mapEventLine(text, clock)
      }
      addAuthMapping(result, { line: index + 1, raw }, mapping, others)
    }
    return result
  },
}
