import type { AnyEvent, AuthEvent } from '@palisade/schema'

/**
 * What identity detectors read in an `auth` event, in the words of the sources the formats
 * package maps (Okta System Log, Keycloak events, CloudTrail sign-ins):
 *
 * - unknown user: Okta `UNKNOWN_USER` and `VERIFICATION_ERROR` (what Okta logs for a user name it
 *   does not know), Keycloak `user_not_found`, CloudTrail `No username found in supplied account`,
 *   or the principal `unknown` (the source named nobody);
 * - lockout: Okta `LOCKED_OUT`, Keycloak `user_temporarily_disabled` (its brute-force protection);
 * - MFA push: a `method` containing `push` (`mfa_push` from Okta Verify; Duo and others alike).
 */

/** The principal of attempts whose source names nobody (see the formats package's source values). */
export const unknownPrincipal = 'unknown'

const unknownUserReason =
  /unknown[\s_-]?user|user[\s_-]?not[\s_-]?found|no[\s_-]?username[\s_-]?found|user[\s_-]?does[\s_-]?not[\s_-]?exist|no[\s_-]?such[\s_-]?user|verification[\s_-]?error/i
const lockoutReason =
  /locked[\s_-]?out|lockout|account[\s_-]?(is[\s_-]?)?locked|user[\s_-]?temporarily[\s_-]?disabled/i

export function asAuth(event: AnyEvent): AuthEvent {
  return event as AuthEvent
}

/** Whether the source says the user does not exist (or named nobody). */
export function saysUnknownUser(event: AuthEvent): boolean {
  return (
    event.principal === unknownPrincipal ||
    (event.reason !== undefined && unknownUserReason.test(event.reason))
  )
}

/**
 * A failure that counts as a guess: the user's side (`failure_kind` user, or unclassified), or an
 * unknown user whatever its kind (Okta classes `VERIFICATION_ERROR` as a system failure, but for
 * an unknown user name it is what a guess leaves). System failures (an IdP or directory outage)
 * are no guesses: they would make every user behind one address look sprayed.
 */
export function isGuessFailure(event: AuthEvent): boolean {
  return event.outcome === 'failure' && (event.failure_kind !== 'system' || saysUnknownUser(event))
}

export function isLockout(reason: string | undefined): boolean {
  return reason !== undefined && lockoutReason.test(reason)
}

export function isPush(method: string | undefined): boolean {
  return method !== undefined && /push/i.test(method)
}

/** Event time as ISO-8601 (UTC), for summaries. */
export function iso(ts: number): string {
  return new Date(ts).toISOString()
}

/** `a, b, c and 7 more` (at most `limit` named). */
export function sampleText(values: readonly string[], total: number, limit = 5): string {
  const named = values.slice(0, limit)
  const more = total - named.length
  return more > 0 ? `${named.join(', ')} and ${more} more` : named.join(', ')
}

/** A sign-in's place as the record names it: `Berlin, Germany`, else the country, else coordinates. */
export function placeOf(event: {
  city?: string | undefined
  country?: string | undefined
  latitude?: number | undefined
  longitude?: number | undefined
}): string {
  if (event.city && event.country) return `${event.city}, ${event.country}`
  if (event.city || event.country) return (event.city ?? event.country)!
  if (event.latitude !== undefined && event.longitude !== undefined)
    return `${event.latitude.toFixed(2)}, ${event.longitude.toFixed(2)}`
  return 'an unknown place'
}

/** ` (Berlin, Germany, AS64500, proxy)`: what the record says about an address, or ''. */
export function networkNote(event: {
  city?: string | undefined
  country?: string | undefined
  asn?: number | undefined
  is_proxy?: boolean | undefined
}): string {
  const parts: string[] = []
  if (event.city || event.country) parts.push(placeOf(event))
  if (event.asn !== undefined) parts.push(`AS${event.asn}`)
  if (event.is_proxy) parts.push('flagged as a proxy')
  return parts.length > 0 ? ` (${parts.join(', ')})` : ''
}

/** `1 user` / `12 users`. */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nouns}`
}
