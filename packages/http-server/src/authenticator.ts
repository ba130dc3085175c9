import { hash, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import type { Role } from './access.ts'
import { TokensMissingError } from './errors.ts'

/** Who a request acts for. Every query and write is scoped to `tenant`; `role` decides the routes. */
export interface Principal {
  tenant: string
  role: Role
  /** Who it is, for the audit trail: `key:<key id>`, `token` (the bootstrap token), a person's id. */
  subject: string
}

/** Maps a bearer token to the principal it stands for. */
export interface Authenticator {
  authenticate(token: string | undefined): Principal | undefined
}

function digest(value: string): Buffer {
  // The one-shot hash: no Hash object per call, and this runs for every request with a token.
  return hash('sha256', value, 'buffer')
}

/**
 * Static tokens, one per tenant, each holding `role` in its tenant (default `admin`; the
 * all-in-one's `PALISADE_TOKEN` is the bootstrap platform admin). Compared in constant time (on
 * digests, so lengths leak nothing).
 */
export function createTokenAuthenticator(
  tokens: Record<string, string>,
  role: Role = 'admin',
): Authenticator {
  const entries = Object.entries(tokens).map(([tenant, token]) => ({ tenant, digest: digest(token) }))
  if (entries.length === 0) throw new TokensMissingError()
  return {
    authenticate(token) {
      if (!token) return undefined
      const candidate = digest(token)
      let found: Principal | undefined
      // No early exit: every token is compared, so timing does not tell which tenant matched.
      for (const entry of entries)
        if (timingSafeEqual(entry.digest, candidate)) found = { tenant: entry.tenant, role, subject: 'token' }
      return found
    },
  }
}

/** The token of an `Authorization: Bearer <token>` header, if that is what the header holds. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')
  return match?.[1]
}

/** Header by which a platform admin picks the tenant a request acts in. */
export const TENANT_HEADER = 'x-palisade-tenant'
const TENANT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/**
 * The principal a request acts as: a platform admin may name any tenant in `X-Palisade-Tenant`
 * (that is how it sees them all); anyone else may only name their own. Undefined when refused.
 */
export function actingPrincipal(
  principal: Principal,
  header: string | string[] | undefined,
): Principal | undefined {
  if (header === undefined) return principal
  if (typeof header !== 'string' || !TENANT.test(header)) return undefined
  if (header === principal.tenant) return principal
  return principal.role === 'platform-admin' ? { ...principal, tenant: header } : undefined
}

/** Why a request is refused before its route does anything: status, stable code, message. */
export interface Refusal {
  status: 401 | 403
  code: 'UNAUTHENTICATED' | 'FORBIDDEN'
  message: string
}

/** What `requireToken` refuses without a valid token (401) or for a tenant the key may not act in (403). */
export function authenticateHeaders(
  authenticator: Authenticator,
  headers: IncomingHttpHeaders,
): Principal | Refusal {
  const principal = authenticator.authenticate(bearerToken(headers.authorization))
  if (!principal)
    return {
      status: 401,
      code: 'UNAUTHENTICATED',
      message: 'a valid bearer token is required (Authorization: Bearer <token>)',
    }
  const acting = actingPrincipal(principal, headers[TENANT_HEADER])
  if (!acting)
    return { status: 403, code: 'FORBIDDEN', message: 'only a platform admin may act in another tenant' }
  return acting
}
