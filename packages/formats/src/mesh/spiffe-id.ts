// SPIFFE IDs, as the SPIFFE-ID standard (spiffe/spiffe standards/SPIFFE-ID.md) and its reference
// implementation (go-spiffe v2 `spiffeid`) define them:
//
//   spiffe-id    = "spiffe://" trust-domain [ path ]          ; at most 2048 bytes in all
//   trust-domain = 1*255( %x61-7A / DIGIT / "." / "-" / "_" ) ; lower-case only, no port or userinfo
//   path         = 1*( "/" segment )                         ; no trailing "/"
//   segment      = 1*( ALPHA / DIGIT / "." / "-" / "_" )      ; not "." or "..", never empty
//
// No query, fragment or percent-encoding can appear: `?`, `#`, `%`, `:` and `@` are outside both
// alphabets. The scheme is matched exactly: `SPIFFE://` is refused as go-spiffe refuses it, since a
// peer presenting it would not be matched by any SPIFFE-aware policy.
//
// Where the IDs come from in mesh telemetry: a certificate's URI SANs (Envoy's
// `%DOWNSTREAM_PEER_URI_SAN%` joins several with ","), and Istio's principals, which are SPIFFE IDs
// in metric labels (`source_principal="spiffe://cluster.local/ns/default/sa/bookinfo-productpage"`,
// `unknown` when the peer had none) and written without the scheme in AuthorizationPolicy
// (`cluster.local/ns/default/sa/sleep`).

const scheme = 'spiffe://'
const utf8 = new TextEncoder()
const maxIdBytes = 2048
const maxTrustDomainBytes = 255
const trustDomainPattern = /^[a-z0-9._-]+$/
const segmentPattern = /^[A-Za-z0-9._-]+$/
/** Istio's scheme-less principal: `<trust-domain>/ns/<namespace>/sa/<service-account>`. */
const istioPrincipalPattern = /^[^/\s]+\/ns\/[^/\s]+\/sa\/[^/\s]+$/

/** A valid SPIFFE ID, split into its parts. */
export interface SpiffeId {
  /** The whole ID, as given. */
  id: string
  trustDomain: string
  /** `/segment/...`, or '' when the ID names the trust domain itself. */
  path: string
}

/** The result of reading a SPIFFE ID: the ID, or why it is not one (in go-spiffe's words). */
export type SpiffeIdResult = { ok: true; spiffeId: SpiffeId } | { ok: false; reason: string }

/** The result of reading a workload identity from telemetry: absent, an identity, or the reason it is invalid. */
export type IdentityResult = { ok: true; identity: string | undefined } | { ok: false; reason: string }

/** Parse and validate a SPIFFE ID per the SPIFFE-ID standard; the reason names the rule it breaks. */
export function parseSpiffeId(text: string): SpiffeIdResult {
  const fail = (reason: string): SpiffeIdResult => ({
    ok: false,
    reason: `invalid SPIFFE ID "${text}": ${reason}`,
  })
  if (text === '') return fail('cannot be empty')
  if (utf8.encode(text).length > maxIdBytes) return fail(`longer than ${maxIdBytes} bytes`)
  if (!text.startsWith(scheme)) return fail('scheme is missing or invalid')
  const rest = text.slice(scheme.length)
  const slash = rest.indexOf('/')
  const trustDomain = slash === -1 ? rest : rest.slice(0, slash)
  const path = slash === -1 ? '' : rest.slice(slash)
  if (trustDomain === '') return fail('trust domain is missing')
  if (!trustDomainPattern.test(trustDomain)) {
    return fail(
      'trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores',
    )
  }
  if (trustDomain.length > maxTrustDomainBytes)
    return fail(`trust domain is longer than ${maxTrustDomainBytes} bytes`)
  if (path !== '') {
    const segments = path.slice(1).split('/')
    for (let index = 0; index < segments.length; index++) {
      const segment = segments[index]!
      if (segment === '') {
        return fail(
          index === segments.length - 1
            ? 'path cannot have a trailing slash'
            : 'path cannot contain empty segments',
        )
      }
      if (segment === '.' || segment === '..') return fail('path cannot contain dot segments')
      if (!segmentPattern.test(segment)) {
        return fail('path segment characters are limited to letters, numbers, dots, dashes, and underscores')
      }
    }
  }
  return { ok: true, spiffeId: { id: text, trustDomain, path } }
}

/** Whether a value claims to be a SPIFFE ID (any case of the scheme), so that it must be a valid one. */
function claimsSpiffe(value: string): boolean {
  return value.slice(0, scheme.length).toLowerCase() === scheme
}

/** A value Envoy or Istio writes for "none": empty, `-` (Envoy's unset operator), `unknown` (Istio). */
function isUnset(value: string | undefined | null): value is undefined | null | '' | '-' | 'unknown' {
  return value === undefined || value === null || value === '' || value === '-' || value === 'unknown'
}

/**
 * The workload identity in a certificate's URI SANs (one, or several joined by "," as Envoy writes
 * them): the SPIFFE ID if one claims to be, validated; else the first SAN as it is (schemas accept
 * non-SPIFFE names); undefined when there is none.
 */
export function identityFromUriSans(value: string | undefined | null): IdentityResult {
  if (isUnset(value)) return { ok: true, identity: undefined }
  const sans = value
    .split(',')
    .map((san) => san.trim())
    .filter((san) => san !== '')
  const spiffe = sans.find(claimsSpiffe)
  if (spiffe === undefined) return { ok: true, identity: sans[0] }
  const parsed = parseSpiffeId(spiffe)
  return parsed.ok ? { ok: true, identity: parsed.spiffeId.id } : parsed
}

/**
 * The workload identity in an Istio principal (metric label `source_principal` /
 * `destination_principal`, or the scheme-less form of AuthorizationPolicy): a validated SPIFFE ID,
 * undefined for `unknown` or empty.
 */
export function identityFromIstioPrincipal(value: string | undefined | null): IdentityResult {
  if (isUnset(value)) return { ok: true, identity: undefined }
  const candidate = !claimsSpiffe(value) && istioPrincipalPattern.test(value) ? `${scheme}${value}` : value
  if (!claimsSpiffe(candidate)) {
    return { ok: false, reason: `Istio principal "${value}" is not a SPIFFE ID` }
  }
  const parsed = parseSpiffeId(candidate)
  return parsed.ok ? { ok: true, identity: parsed.spiffeId.id } : parsed
}
