/**
 * Okta System Log events (LogEvent objects of GET /api/v1/logs, one per line as a log shipper
 * writes them), with the fields and value forms of the Okta test events in
 * ../shared/fixtures/okta-system-log: `debugData.behaviors` and `risk` as Okta's `{k=v, ...}`
 * strings, geo context and `securityContext` (AS number, isProxy) beside the client address.
 * Unknown users are logged with `actor.id` "unknown" and reason VERIFICATION_ERROR; a lockout is a
 * `user.account.lock` event, later attempts fail with LOCKED_OUT.
 */

/** Where a sign-in comes from, as Okta's geo and network enrichment describes it. */
export interface OktaNetwork {
  ip: string
  city: string
  state: string
  country: string
  postalCode: string
  lat: number
  lon: number
  asNumber: number
  asOrg: string
  isp: string
  domain: string
  isProxy: boolean
}

/** A person's browser or device. */
export interface OktaDevice {
  rawUserAgent: string
  browser: string
  os: string
  device: 'Computer' | 'Mobile' | 'Unknown'
  fingerprint: string
}

/** What one event says. */
export interface OktaEvent {
  ms: number
  uuid: string
  eventType: string
  displayMessage: string
  legacyEventType: string | null
  result: 'SUCCESS' | 'FAILURE' | 'ALLOW' | 'DENY' | 'CHALLENGE'
  reason: string | null
  severity: 'INFO' | 'WARN'
  actor: { id: string; alternateId: string; displayName: string; type: 'User' | 'PublicClientApp' }
  network: OktaNetwork
  device: OktaDevice
  sessionId: string
  requestId: string
  requestUri: string
  /** Okta's behaviour detection, e.g. {"New IP": "POSITIVE"}; omitted when not evaluated. */
  behaviors?: Record<string, 'POSITIVE' | 'NEGATIVE'>
  risk?: 'LOW' | 'MEDIUM' | 'HIGH'
  factor?: string
  credentialType?: string | null
  target?: { id: string; type: string; alternateId: string; displayName: string }[]
}

/** One System Log event as JSON. */
export function oktaEventLine(event: OktaEvent): string {
  const geo = {
    city: event.network.city,
    country: event.network.country,
    geolocation: { lat: event.network.lat, lon: event.network.lon },
    postalCode: event.network.postalCode,
    state: event.network.state,
  }
  const debugData: Record<string, unknown> = {
    deviceFingerprint: event.device.fingerprint,
    requestId: event.requestId,
    requestUri: event.requestUri,
    threatSuspected: 'false',
    url: `${event.requestUri}?`,
  }
  if (event.behaviors)
    debugData.behaviors = `{${Object.entries(event.behaviors)
      .map(([key, value]) => `${key}=${value}`)
      .join(', ')}}`
  if (event.risk) debugData.risk = `{level=${event.risk}}`
  if (event.factor) debugData.factor = event.factor
  return JSON.stringify({
    actor: { ...event.actor, detailEntry: null },
    authenticationContext: {
      authenticationProvider: event.factor ? 'FACTOR_PROVIDER' : null,
      authenticationStep: 0,
      credentialProvider: event.factor ? 'OKTA_CREDENTIAL_PROVIDER' : null,
      credentialType: event.credentialType ?? null,
      externalSessionId: event.sessionId,
      interface: null,
      issuer: null,
    },
    client: {
      device: event.device.device,
      geographicalContext: geo,
      id: null,
      ipAddress: event.network.ip,
      userAgent: {
        browser: event.device.browser,
        os: event.device.os,
        rawUserAgent: event.device.rawUserAgent,
      },
      zone: 'null',
    },
    debugContext: { debugData },
    device: null,
    displayMessage: event.displayMessage,
    eventType: event.eventType,
    legacyEventType: event.legacyEventType,
    outcome: { reason: event.reason, result: event.result },
    published: new Date(event.ms).toISOString(),
    request: { ipChain: [{ geographicalContext: geo, ip: event.network.ip, source: null, version: 'V4' }] },
    securityContext: {
      asNumber: event.network.asNumber,
      asOrg: event.network.asOrg,
      domain: event.network.domain,
      isProxy: event.network.isProxy,
      isp: event.network.isp,
    },
    severity: event.severity,
    target:
      event.target?.map((target) => ({
        alternateId: target.alternateId,
        detailEntry: null,
        displayName: target.displayName,
        id: target.id,
        type: target.type,
      })) ?? null,
    transaction: { detail: {}, id: event.requestId, type: 'WEB' },
    uuid: event.uuid,
    version: '0',
  })
}
