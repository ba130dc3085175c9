import { isRole, type Principal, type Role } from '@palisade/http-server'
import * as client from 'openid-client'

/** One `group → tenant:role` grant: a member of `group` (in the ID token's groups claim) gets `role` in `tenant`. */
export interface GroupGrant {
  group: string
  tenant: string
  role: Role
}

/** Settings of OpenID Connect sign-in (authorization code with PKCE). */
export interface OidcSettings {
  /** The provider's issuer URL; its `.well-known/openid-configuration` is read at the first sign-in. */
  issuer: string
  clientId: string
  clientSecret: string
  /** This dashboard's callback as registered at the provider: `<dashboard>/api/v1/oidc/callback`. */
  redirectUrl: string
  /** The ID token claim listing the person's groups (default `groups`). */
  groupsClaim?: string
  /** Which groups get which role in which tenant; a person in none is refused. */
  grants: GroupGrant[]
  /** Allow an `http:` issuer (a provider on loopback in tests); never for a real provider. */
  allowHttp?: boolean
}

// A person in several granted groups gets the strongest role among them; ingest is for machines.
const rank: Record<Role, number> = {
  ingest: -1,
  viewer: 1,
  analyst: 2,
  responder: 3,
  admin: 4,
  'platform-admin': 5,
}

/** Pure: the principal a person with `groups` signs in as, or undefined when no group is granted. */
export function principalFromGroups(
  subject: string,
  groups: readonly string[],
  grants: readonly GroupGrant[],
): Principal | undefined {
  let best: GroupGrant | undefined
  for (const grant of grants) {
    if (!groups.includes(grant.group) || rank[grant.role] < 0) continue
    if (!best || rank[grant.role] > rank[best.role]) best = grant
  }
  return best ? { tenant: best.tenant, role: best.role, subject: `oidc:${subject}` } : undefined
}

/** Pure: parse `group=tenant:role,group=tenant:role` (PALISADE_OIDC_GROUP_ROLES); problems as messages. */
export function parseGroupGrants(text: string): { grants: GroupGrant[]; problems: string[] } {
  const grants: GroupGrant[] = []
  const problems: string[] = []
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const match = /^([^=]+)=([A-Za-z0-9][A-Za-z0-9._-]*):([a-z-]+)$/.exec(part)
    if (!match || !isRole(match[3])) {
      problems.push(`"${part}" is not group=tenant:role with a known role`)
      continue
    }
    grants.push({ group: match[1]!.trim(), tenant: match[2]!, role: match[3] })
  }
  return { grants, problems }
}

/** What a sign-in in progress keeps until the provider sends the browser back. */
export interface PendingSignIn {
  state: string
  nonce: string
  codeVerifier: string
}

/** OpenID Connect sign-in: where to send the browser, and who came back. */
export interface OidcSignIn {
  begin(): Promise<{ url: URL; pending: PendingSignIn }>
  /** The principal of the person the provider sent back to `currentUrl`, or undefined when no group is granted. */
  complete(currentUrl: URL, pending: PendingSignIn): Promise<Principal | undefined>
}

/** Sign-in through `settings`' provider with `openid-client` (code flow, PKCE S256, state and nonce checked). */
export function createOidcSignIn(settings: OidcSettings): OidcSignIn {
  let configuration: Promise<client.Configuration> | undefined
  // Discovered at the first sign-in, so that a provider down at start does not stop the dashboard
  // (token sign-in keeps working); a failed discovery is tried again at the next sign-in.
  const discover = () => {
    configuration ??= client
      .discovery(new URL(settings.issuer), settings.clientId, settings.clientSecret, undefined, {
        execute: settings.allowHttp ? [client.allowInsecureRequests] : [],
      })
      .catch((error) => {
        configuration = undefined
        throw error
      })
    return configuration
  }
  const groupsClaim = settings.groupsClaim ?? 'groups'
  return {
    async begin() {
      const config = await discover()
      const pending = {
        state: client.randomState(),
        nonce: client.randomNonce(),
        codeVerifier: client.randomPKCECodeVerifier(),
      }
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: settings.redirectUrl,
        scope: `openid profile ${groupsClaim}`,
        code_challenge: await client.calculatePKCECodeChallenge(pending.codeVerifier),
        code_challenge_method: 'S256',
        state: pending.state,
        nonce: pending.nonce,
      })
      return { url, pending }
    },
    async complete(currentUrl, pending) {
      const config = await discover()
      const tokens = await client.authorizationCodeGrant(config, currentUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      })
      const claims = tokens.claims()
      if (!claims) return undefined
      const raw = claims[groupsClaim]
      const groups = Array.isArray(raw) ? raw.filter((g): g is string => typeof g === 'string') : []
      return principalFromGroups(claims.sub, groups, settings.grants)
    },
  }
}

/** The subset of the settings package's `EnvReader` that {@link readOidcSettings} uses. */
interface OidcEnvReader {
  optionalString(name: string): string | undefined
  url(name: string): string | undefined
  problem(message: string): void
}

/**
 * OpenID Connect settings from the environment, or undefined when `PALISADE_OIDC_ISSUER` is unset:
 * `PALISADE_OIDC_ISSUER`, `_CLIENT_ID`, `_CLIENT_SECRET`, `_REDIRECT_URL` (this dashboard's
 * `/api/v1/oidc/callback`), `_GROUP_ROLES` (`group=tenant:role,...`), `_GROUPS_CLAIM` (default `groups`).
 */
export function readOidcSettings(read: OidcEnvReader): OidcSettings | undefined {
  const issuer = read.url('PALISADE_OIDC_ISSUER')
  if (!issuer) return undefined
  const clientId = read.optionalString('PALISADE_OIDC_CLIENT_ID')
  const clientSecret = read.optionalString('PALISADE_OIDC_CLIENT_SECRET')
  const redirectUrl = read.url('PALISADE_OIDC_REDIRECT_URL')
  const { grants, problems } = parseGroupGrants(read.optionalString('PALISADE_OIDC_GROUP_ROLES') ?? '')
  for (const problem of problems) read.problem(`PALISADE_OIDC_GROUP_ROLES: ${problem}`)
  if (!clientId) read.problem('PALISADE_OIDC_CLIENT_ID is required with PALISADE_OIDC_ISSUER')
  if (!clientSecret) read.problem('PALISADE_OIDC_CLIENT_SECRET is required with PALISADE_OIDC_ISSUER')
  if (!redirectUrl) read.problem('PALISADE_OIDC_REDIRECT_URL is required with PALISADE_OIDC_ISSUER')
  if (grants.length === 0) read.problem('PALISADE_OIDC_GROUP_ROLES must grant at least one group a role')
  const url = new URL(issuer)
  return {
    issuer,
    clientId: clientId ?? '',
    clientSecret: clientSecret ?? '',
    redirectUrl: redirectUrl ?? '',
    groupsClaim: read.optionalString('PALISADE_OIDC_GROUPS_CLAIM'),
    grants,
    // Plain http only to a provider on this machine (a laptop's or a test's).
    allowHttp: url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname),
  }
}
