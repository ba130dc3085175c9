import { describe, expect, it } from 'vitest'
import { allow } from './access.ts'
import { type ApiKeyRecord, createApiKeyAuthenticator, generateApiKey, parseApiKey } from './api-keys.ts'
import { actingPrincipal, createTokenAuthenticator } from './authenticator.ts'

function directory(records: ApiKeyRecord[]) {
  return { byId: (id: string) => records.find((record) => record.keyId === id) }
}

describe('API keys', () => {
  it('are pal_<id>_<secret>, high-entropy, and stored only as the hash of the secret', () => {
    const key = generateApiKey()
    expect(key.plain).toMatch(/^pal_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/)
    expect(parseApiKey(key.plain)?.keyId).toBe(key.keyId)
    expect(key.secretSha256).toMatch(/^[0-9a-f]{64}$/)
    expect(key.plain).not.toContain(key.secretSha256)
    expect(generateApiKey().plain).not.toBe(key.plain)
  })

  it('authenticate as their tenant and role; a wrong secret, an unknown id or a revoked key do not', () => {
    const key = generateApiKey()
    const record: ApiKeyRecord = {
      keyId: key.keyId,
      tenant: 'blue',
      role: 'analyst',
      name: 'n',
      secretSha256: key.secretSha256,
      createdAt: 0,
    }
    const auth = createApiKeyAuthenticator(directory([record]))
    expect(auth.authenticate(key.plain)).toEqual({
      tenant: 'blue',
      role: 'analyst',
      subject: `key:${key.keyId}`,
    })
    const other = generateApiKey()
    expect(auth.authenticate(`pal_${key.keyId}_${other.plain.slice(-43)}`)).toBeUndefined()
    expect(auth.authenticate(other.plain)).toBeUndefined()
    const revoked = createApiKeyAuthenticator(directory([{ ...record, revokedAt: 1 }]))
    expect(revoked.authenticate(key.plain)).toBeUndefined()
  })

  it('leave tokens that are not keys to the bootstrap token, which acts with its given role', () => {
    const auth = createApiKeyAuthenticator(
      directory([]),
      createTokenAuthenticator({ default: 'bootstrap-token-0123456789' }, 'platform-admin'),
    )
    expect(auth.authenticate('bootstrap-token-0123456789')).toEqual({
      tenant: 'default',
      role: 'platform-admin',
      subject: 'token',
    })
    expect(auth.authenticate('nope')).toBeUndefined()
  })
})

describe('actingPrincipal', () => {
  it('lets only a platform admin act in another tenant', () => {
    const admin = { tenant: 'red', role: 'admin', subject: 'key:a' } as const
    const platform = { tenant: 'default', role: 'platform-admin', subject: 'token' } as const
    expect(actingPrincipal(admin, undefined)).toBe(admin)
    expect(actingPrincipal(admin, 'red')).toBe(admin)
    expect(actingPrincipal(admin, 'blue')).toBeUndefined()
    expect(actingPrincipal(platform, 'blue')).toEqual({ ...platform, tenant: 'blue' })
    expect(actingPrincipal(platform, '../x')).toBeUndefined()
  })
})

describe('allow', () => {
  function run(
    access: Parameters<typeof allow>[0],
    principal?: { tenant: string; role: never; subject: string },
  ) {
    let status = 0
    let passed = false
    const response = {
      req: { route: {} },
      locals: {},
      setHeader: () => {},
      status(code: number) {
        status = code
        return this
      },
      json: () => {},
    }
    allow(access)({ principal } as never, response as never, () => {
      passed = true
    })
    return passed ? 'next' : status
  }

  it('answers 401 without a principal, 403 to a role without the grant, and passes the rest', () => {
    expect(run('read')).toBe(401)
    expect(run('read', { tenant: 't', role: 'viewer' as never, subject: 's' })).toBe('next')
    expect(run('investigate', { tenant: 't', role: 'viewer' as never, subject: 's' })).toBe(403)
    expect(run('ingest', { tenant: 't', role: 'analyst' as never, subject: 's' })).toBe(403)
    expect(run('public')).toBe('next')
  })
})
