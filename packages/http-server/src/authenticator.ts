import { createHash, timingSafeEqual } from 'node:crypto'
import { TokensMissingError } from './errors.ts'

/** Who a request acts for. Every query and write is scoped to `tenant`. */
export interface Principal {
  tenant: string
}

/** Maps a bearer token to the principal it stands for. */
export interface Authenticator {
  authenticate(token: string | undefined): Principal | undefined
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

/**
 * Static tokens, one per tenant. Compared in constant time (on digests, so lengths leak nothing).
 */
export function createTokenAuthenticator(tokens: Record<string, string>): Authenticator {
  const entries = Object.entries(tokens).map(([tenant, token]) => ({ tenant, digest: digest(token) }))
  if (entries.length === 0) throw new TokensMissingError()
  return {
    authenticate(token) {
      if (!token) return undefined
      const candidate = digest(token)
      let found: Principal | undefined
      // No early exit: every token is compared, so timing does not tell which tenant matched.
      for (const entry of entries)
        if (timingSafeEqual(entry.digest, candidate)) found = { tenant: entry.tenant }
      return found
    },
  }
}

/** The token of an `Authorization: Bearer <token>` header, if that is what the header holds. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')
  return match?.[1]
}
