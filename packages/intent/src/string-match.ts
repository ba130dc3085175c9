/**
 * Istio string matching: exact, `*` (any non-empty value), `prefix*` or `*suffix`. Used for principals,
 * namespaces and paths of AuthorizationPolicy.
 */
export function istioMatch(pattern: string, value: string): boolean {
  if (pattern === '*') return value !== ''
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1))
  if (pattern.startsWith('*')) return value.endsWith(pattern.slice(1))
  return pattern === value
}

/** A host name as we compare it: lower case, without the trailing dot of a fully qualified name. */
export function normaliseHost(host: string): string {
  const lower = host.trim().toLowerCase()
  return lower.endsWith('.') ? lower.slice(0, -1) : lower
}

/**
 * Palisade host patterns: `api.stripe.com` exactly, `*.stripe.com` any sub-domain at any depth
 * (not `stripe.com` itself). Both sides normalised with {@link normaliseHost}.
 */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1))
  return pattern === host
}

/**
 * Cilium `toFQDNs.matchPattern`: `*` stands for any DNS characters within one label; a leading `**.`
 * for any number of labels (Cilium 1.16+); a pattern of `*` alone matches every name.
 */
export function ciliumPatternToRegExp(pattern: string): RegExp {
  const normalised = normaliseHost(pattern)
  if (normalised === '*') return /^.+$/
  let body = ''
  let rest = normalised
  if (rest.startsWith('**.')) {
    body = '(?:[-a-z0-9_]+\\.)+'
    rest = rest.slice(3)
  }
  body += rest
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('[-a-z0-9_]*')
  return new RegExp(`^${body}$`)
}
