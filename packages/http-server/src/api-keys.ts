import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Role } from './access.ts'
import type { Authenticator, Principal } from './authenticator.ts'

/**
 * An API key as stored: never the key itself, only the SHA-256 of its secret. The secret is 32
 * random bytes, so a plain hash is as strong as a slow one (there is nothing to guess from a
 * dictionary); the id in clear lets a request find its row without scanning.
 */
export interface ApiKeyRecord {
  keyId: string
  tenant: string
  role: Role
  /** What the key is for, as its creator named it (`otel-collector-eu`). */
  name: string
  /** Hex SHA-256 of the secret part. */
  secretSha256: string
  /** Epoch ms. */
  createdAt: number
  /** Epoch ms; set once revoked (or rotated away). */
  revokedAt?: number
}

const KEY = /^pal_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/

function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex')
}

/** A fresh key: `pal_<16 hex id>_<43 base64url secret>`, shown once; store only `secretSha256`. */
export function generateApiKey(): { keyId: string; plain: string; secretSha256: string } {
  const keyId = randomBytes(8).toString('hex')
  const secret = randomBytes(32).toString('base64url')
  return { keyId, plain: `pal_${keyId}_${secret}`, secretSha256: sha256Hex(secret) }
}

/** The id and secret of a key in our format, or undefined. */
export function parseApiKey(plain: string): { keyId: string; secret: string } | undefined {
  const match = KEY.exec(plain)
  return match ? { keyId: match[1]!, secret: match[2]! } : undefined
}

/** Where the authenticator finds a key by id (a cache of the store, so that look-ups stay synchronous). */
export interface ApiKeyDirectory {
  byId(keyId: string): ApiKeyRecord | undefined
}

/**
 * Bearer tokens that are API keys (looked up by id, secret compared in constant time; revoked keys
 * refused), else the static tokens (the bootstrap `PALISADE_TOKEN`).
 */
export function createApiKeyAuthenticator(keys: ApiKeyDirectory, fallback?: Authenticator): Authenticator {
  return {
    authenticate(token): Principal | undefined {
      if (!token) return undefined
      const parsed = parseApiKey(token)
      if (!parsed) return fallback?.authenticate(token)
      const record = keys.byId(parsed.keyId)
      if (!record || record.revokedAt !== undefined) return undefined
      const presented = Buffer.from(sha256Hex(parsed.secret), 'hex')
      const stored = Buffer.from(record.secretSha256, 'hex')
      if (stored.length !== presented.length || !timingSafeEqual(stored, presented)) return undefined
      return { tenant: record.tenant, role: record.role, subject: `key:${record.keyId}` }
    },
  }
}

/** Keys held in memory from the store, reloaded every `refreshMs` (other processes' changes) and on demand. */
export interface ApiKeyCache extends ApiKeyDirectory {
  /** Reload now (after this process changed a key, so that the change applies at once). */
  refresh(): Promise<void>
  all(): ApiKeyRecord[]
  stop(): void
}

/**
 * A key cache over `load` (the store). The first load happens before this resolves; later loads
 * that fail keep the last known keys and tell `onError` (a store hiccup must not sign everyone out).
 */
export async function createApiKeyCache(options: {
  load: () => Promise<ApiKeyRecord[]>
  /** How often to reload, ms (default 5 s): a key revoked by another process stops working within it. */
  refreshMs?: number
  onError?: (error: unknown) => void
  /**
   * Start even when the first load fails (a collector that comes up before the store is migrated):
   * only the bootstrap token works until a reload succeeds. Default false: the first load must work.
   */
  startWithoutKeys?: boolean
}): Promise<ApiKeyCache> {
  let byId = new Map<string, ApiKeyRecord>()
  const refresh = async () => {
    byId = new Map((await options.load()).map((key) => [key.keyId, key]))
  }
  if (options.startWithoutKeys) refresh().catch((error) => options.onError?.(error))
  else await refresh()
  const timer = setInterval(() => {
    refresh().catch((error) => options.onError?.(error))
  }, options.refreshMs ?? 5000)
  timer.unref()
  return {
    byId: (keyId) => byId.get(keyId),
    refresh,
    all: () => [...byId.values()],
    stop: () => clearInterval(timer),
  }
}
