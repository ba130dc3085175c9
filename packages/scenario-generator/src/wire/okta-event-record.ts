// Okta System Log events (LogEvent, GET /api/v1/logs), one JSON object per line, with the shape the
// System Log writes (../shared/fixtures/okta-system-log): `user.session.start` (the password step),
// `policy.evaluate_sign_on` (the sign-on policy's ALLOW inside it), `user.authentication.auth_via_mfa`
// (the factor step, `debugContext.debugData.factor`), `user.session.end`, and `user.account.lock`
// when too many failures lock an account (later attempts fail LOCKED_OUT). A name nobody in the
// directory has fails VERIFICATION_ERROR with an `unknown` actor. debugData carries Okta's
// behaviour detection (`behaviors`: New IP, New City, ... POSITIVE/NEGATIVE) and risk
// (`{level=LOW}`, `{reasons=..., level=HIGH}`) as the "{k=v}" strings Okta writes; the client's
// geolocation and the network Okta's securityContext names (AS number, proxy flag).
import type { Network, Place } from '../scenario-mesh.ts'

/** Who signs in: a directory user, or a name nobody in the directory has. */
export type OktaActor = { id: string; alternateId: string; displayName: string } | { unknown: string }

/** The fields of one sign-in step. */
export interface OktaEventInput {
  uuid: string
  published: string
  eventType: OktaEventType
  result: 'SUCCESS' | 'FAILURE' | 'ALLOW'
  /** Okta's reason on failure: INVALID_CREDENTIALS, VERIFICATION_ERROR, LOCKED_OUT, "User rejected Okta push verify", ... */
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
  /** Okta's behaviour detection, by behaviour: whether it is new for this user. */
  behaviors?: { newIp: boolean; newCity: boolean; newCountry: boolean; newDevice: boolean }
  /** Okta's risk level, with its reasons when not LOW. */
  risk?: { level: 'LOW' | 'MEDIUM' | 'HIGH'; reasons?: string[] }
  deviceFingerprint?: string
}

/** The System Log event types the scenario writes. */
export type OktaEventType =
  | 'user.session.start'
  | 'user.authentication.auth_via_mfa'
  | 'policy.evaluate_sign_on'
  | 'user.session.end'
  | 'user.account.lock'

const displayMessages: Record<OktaEventType, string> = {
  'user.session.start': 'User login to Okta',
  'user.authentication.auth_via_mfa': 'Authentication of user via MFA',
  'policy.evaluate_sign_on': 'Evaluation of sign-on policy',
  'user.session.end': 'User logout from Okta',
  'user.account.lock': 'Max sign in attempts exceeded',
}

const flag = (value: boolean) => (value ? 'POSITIVE' : 'NEGATIVE')

function behaviorsText(b: NonNullable<OktaEventInput['behaviors']>): string {
  return `{New Geo-Location=${flag(b.newCity)}, New Device=${flag(b.newDevice)}, New IP=${flag(b.newIp)}, New State=${flag(b.newCity)}, New Country=${flag(b.newCountry)}, Velocity=NEGATIVE, New City=${flag(b.newCity)}}`
}

function riskText(risk: NonNullable<OktaEventInput['risk']>): string {
  return risk.reasons?.length
    ? `{reasons=${risk.reasons.join(', ')}, level=${risk.level}}`
    : `{level=${risk.level}}`
}

const legacyTypes: Record<string, string | null> = {
  'user.session.start/SUCCESS': 'core.user_auth.login_success',
  'user.session.start/FAILURE': 'core.user_auth.login_failed',
  'user.session.start/LOCKED_OUT': 'core.user_auth.account_locked',
  'user.authentication.auth_via_mfa/SUCCESS': 'core.user.factor.attempt_success',
  'user.authentication.auth_via_mfa/FAILURE': 'core.user.factor.attempt_fail',
  'policy.evaluate_sign_on/ALLOW': null,
  'user.session.end/SUCCESS': 'core.user_auth.logout_success',
  'user.account.lock/SUCCESS': 'core.user.config.user_locked',
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
    legacyTypes[`${input.eventType}/${input.reason === 'LOCKED_OUT' ? 'LOCKED_OUT' : input.result}`] ?? null
  const signIn = input.eventType === 'user.session.start' || mfa
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
      credentialType: input.eventType === 'user.session.start' ? 'PASSWORD' : null,
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
        ...(signIn || input.eventType === 'user.session.end'
          ? { authnRequestId: input.requestId.slice(0, 20) }
          : {}),
        ...(input.behaviors ? { behaviors: behaviorsText(input.behaviors) } : {}),
        ...(input.deviceFingerprint ? { deviceFingerprint: input.deviceFingerprint } : {}),
        ...(mfa && input.factor ? { factor: input.factor } : {}),
        requestId: input.requestId,
        requestUri: mfa ? '/api/v1/authn/factors/verify' : '/api/v1/authn',
        ...(input.risk ? { risk: riskText(input.risk) } : {}),
        threatSuspected: String(input.isProxy),
        url: mfa ? '/api/v1/authn/factors/verify?rememberDevice=false' : '/api/v1/authn?',
      },
    },
    // Okta's device context (Okta Verify on a managed device); none for a browser sign-in.
    device: null,
    displayMessage: displayMessages[input.eventType],
    eventType: input.eventType,
    legacyEventType: legacy,
    outcome: {
      reason:
        input.reason ??
        (input.eventType === 'policy.evaluate_sign_on'
          ? 'Sign-on policy evaluation resulted in ALLOW'
          : null),
      result: input.result,
    },
    published: input.published,
    request: { ipChain: [{ geographicalContext, ip: input.ip, source: null, version: 'V4' }] },
    securityContext: { ...input.network, isProxy: input.isProxy },
    severity: input.result === 'FAILURE' || input.eventType === 'user.account.lock' ? 'WARN' : 'INFO',
    target:
      input.eventType === 'policy.evaluate_sign_on'
        ? [
            {
              alternateId: 'unknown',
              detailEntry: null,
              displayName: 'Default Policy',
              id: '00p1abvweGGDW10Ur4x5',
              type: 'PolicyEntity',
            },
            {
              alternateId: '00p1abvweGGDW10Ur4x6',
              detailEntry: null,
              displayName: 'Default Rule',
              id: '0pr1abvweGGDW10Ur4x7',
              type: 'PolicyRule',
            },
          ]
        : null,
    transaction: { detail: {}, id: input.requestId, type: 'WEB' },
    uuid: input.uuid,
    version: '0',
  })
}
