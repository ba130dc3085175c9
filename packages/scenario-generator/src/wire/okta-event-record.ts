// Okta System Log events (LogEvent, GET /api/v1/logs), one JSON object per line, with the shape the
// System Log writes for sign-ins: `user.session.start` (the password step) and
// `user.authentication.auth_via_mfa` (the factor step, `debugContext.debugData.factor`), the client's
// geolocation and the network Okta's securityContext names (AS number, proxy flag).
import type { Network, Place } from '../scenario-mesh.ts'

/** Who signs in: a directory user, or a name nobody in the directory has. */
export type OktaActor = { id: string; alternateId: string; displayName: string } | { unknown: string }

/** The fields of one sign-in step. */
export interface OktaEventInput {
  uuid: string
  published: string
  eventType: 'user.session.start' | 'user.authentication.auth_via_mfa'
  result: 'SUCCESS' | 'FAILURE'
  /** Okta's reason on failure: INVALID_CREDENTIALS, UNKNOWN_USER, LOCKED_OUT, "User rejected Okta push verify", ... */
  reason?: string
  actor: OktaActor
  ip: string
  place: Place
  network: Network
  isProxy: boolean
  userAgent: string
  /** `authenticationContext.externalSessionId`, the same for the steps of one sign-in. */
  sessionId: string
  requestId: string
  /** The factor of an MFA step. */
  factor?: 'OKTA_VERIFY_PUSH' | 'FIDO_WEBAUTHN'
}

const legacyTypes: Record<string, string> = {
  'user.session.start/SUCCESS': 'core.user_auth.login_success',
  'user.session.start/FAILURE': 'core.user_auth.login_failed',
  'user.session.start/LOCKED_OUT': 'core.user_auth.account_locked',
  'user.authentication.auth_via_mfa/SUCCESS': 'core.user.factor.attempt_success',
  'user.authentication.auth_via_mfa/FAILURE': 'core.user.factor.attempt_fail',
}

function userAgentParts(raw: string): { os: string; browser: string } {
  const os = raw.includes('Windows') ? 'Windows 10' : raw.includes('Mac OS X') ? 'Mac OS X' : 'Linux'
  const browser = raw.includes('Firefox') ? 'FIREFOX' : raw.includes('Chrome') ? 'CHROME' : 'UNKNOWN'
  return { os, browser }
}

/** One System Log event (a JSON line). */
export function oktaEventRecord(input: OktaEventInput): string {
  const actor =
    'unknown' in input.actor
      ? {
          id: 'unknown',
          type: 'User',
          alternateId: input.actor.unknown,
          displayName: 'unknown',
          detailEntry: null,
        }
      : { ...input.actor, type: 'User', detailEntry: null }
  const mfa = input.eventType === 'user.authentication.auth_via_mfa'
  const geographicalContext = {
    city: input.place.city,
    state: input.place.state,
    country: input.place.country,
    postalCode: input.place.postalCode,
    geolocation: { lat: input.place.lat, lon: input.place.lon },
  }
  const legacy =
    legacyTypes[`${input.eventType}/${input.reason === 'LOCKED_OUT' ? 'LOCKED_OUT' : input.result}`]!
  return JSON.stringify({
    actor,
    authenticationContext: {
      authenticationProvider: mfa ? 'FACTOR_PROVIDER' : null,
      authenticationStep: 0,
      credentialProvider: mfa
        ? input.factor === 'FIDO_WEBAUTHN'
          ? 'FIDO'
          : 'OKTA_CREDENTIAL_PROVIDER'
        : null,
      credentialType: mfa ? null : 'PASSWORD',
      externalSessionId: input.sessionId,
      interface: null,
      issuer: null,
    },
    client: {
      device: 'Computer',
      geographicalContext,
      id: null,
      ipAddress: input.ip,
      userAgent: { rawUserAgent: input.userAgent, ...userAgentParts(input.userAgent) },
      zone: 'null',
    },
    debugContext: {
      debugData: {
        ...(mfa && input.factor ? { factor: input.factor } : {}),
        requestId: input.requestId,
        requestUri: mfa ? '/api/v1/authn/factors/verify' : '/api/v1/authn',
        threatSuspected: String(input.isProxy),
        url: mfa ? '/api/v1/authn/factors/verify?rememberDevice=false' : '/api/v1/authn?',
      },
    },
    displayMessage: mfa ? 'Authentication of user via MFA' : 'User login to Okta',
    eventType: input.eventType,
    legacyEventType: legacy,
    outcome: { reason: input.reason ?? null, result: input.result },
    published: input.published,
    request: { ipChain: [{ geographicalContext, ip: input.ip, source: null, version: 'V4' }] },
    securityContext: { ...input.network, isProxy: input.isProxy },
    severity: input.result === 'SUCCESS' ? 'INFO' : 'WARN',
    target: null,
    transaction: { detail: {}, id: input.requestId, type: 'WEB' },
    uuid: input.uuid,
    version: '0',
  })
}
