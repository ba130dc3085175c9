import { isRole, type Role } from './access.ts'
import { type ApiKeyCache, type ApiKeyRecord, createApiKeyCache, generateApiKey } from './api-keys.ts'
import type { AuditTrail } from './audit.ts'
import { KeyNotFoundError } from './errors.ts'

/** The store's API key table, as the key admin needs it (the store package's `ApiKeyStore`). */
export interface KeyTable {
  save(key: Omit<ApiKeyRecord, 'role'> & { role: string }, updatedAt: number): Promise<void>
  all(): Promise<(Omit<ApiKeyRecord, 'role'> & { role: string })[]>
}

/** A key as listed: everything but its hash. */
export type ListedKey = Omit<ApiKeyRecord, 'secretSha256'>

/** Who asks, for the audit trail. */
export interface KeyChangeActor {
  actor: string
  source: string
}

/** API key management: what `palisade keys …` and `/api/v1/keys` do. */
export interface KeyAdmin {
  /** Keys of a tenant, or of every tenant when `tenant` is undefined. */
  list(tenant: string | undefined): ListedKey[]
  /** A new key; its plain text is in the answer and nowhere else, ever. */
  create(
    key: { tenant: string; role: Role; name: string },
    by: KeyChangeActor,
  ): Promise<{ key: ListedKey; plain: string }>
  /** Revoke `keyId` and issue a new key with the same tenant, role and name. */
  rotate(
    keyId: string,
    tenant: string | undefined,
    by: KeyChangeActor,
  ): Promise<{ key: ListedKey; plain: string }>
  revoke(keyId: string, tenant: string | undefined, by: KeyChangeActor): Promise<ListedKey>
  /** The cache the authenticator reads. */
  readonly keys: ApiKeyCache
  stop(): void
}

function listed({ secretSha256: _hash, ...key }: ApiKeyRecord): ListedKey {
  return key
}

/**
 * Key management over the store's table, with a cache for the authenticator (reloaded every
 * `refreshMs`, and at once after a change made here). Every change goes to the audit trail.
 */
export async function createKeyAdmin(options: {
  table: KeyTable
  audit: AuditTrail
  now?: () => number
  refreshMs?: number
  onError?: (error: unknown) => void
}): Promise<KeyAdmin> {
  const now = options.now ?? Date.now
  const keys = await createApiKeyCache({
    // A row with a role this version does not know grants nothing: it is left out.
    load: async () => (await options.table.all()).filter((key): key is ApiKeyRecord => isRole(key.role)),
    refreshMs: options.refreshMs,
    onError: options.onError,
  })
  const find = (keyId: string, tenant: string | undefined) => {
    const key = keys.byId(keyId)
    // Another tenant's key is as unknown as a missing one.
    if (!key || (tenant !== undefined && key.tenant !== tenant)) throw new KeyNotFoundError(keyId)
    return key
  }
  const issue = async (key: { tenant: string; role: Role; name: string }) => {
    const fresh = generateApiKey()
    const at = now()
    const record: ApiKeyRecord = {
      ...key,
      keyId: fresh.keyId,
      secretSha256: fresh.secretSha256,
      createdAt: at,
    }
    await options.table.save(record, at)
    return { record, plain: fresh.plain }
  }
  return {
    keys,
    list: (tenant) =>
      keys
        .all()
        .filter((key) => tenant === undefined || key.tenant === tenant)
        .map(listed),

    async create(key, by) {
      const { record, plain } = await issue(key)
      await keys.refresh()
      await options.audit.append({
        tenant: key.tenant,
        ...by,
        action: 'key.create',
        target: record.keyId,
        detail: { role: key.role, name: key.name },
      })
      return { key: listed(record), plain }
    },

    async rotate(keyId, tenant, by) {
      const old = find(keyId, tenant)
      const { record, plain } = await issue({ tenant: old.tenant, role: old.role, name: old.name })
      const at = now()
      if (old.revokedAt === undefined) await options.table.save({ ...old, revokedAt: at }, at)
      await keys.refresh()
      await options.audit.append({
        tenant: old.tenant,
        ...by,
        action: 'key.rotate',
        target: keyId,
        detail: { replacedBy: record.keyId, role: old.role, name: old.name },
      })
      return { key: listed(record), plain }
    },

    async revoke(keyId, tenant, by) {
      const old = find(keyId, tenant)
      const at = now()
      const revoked = { ...old, revokedAt: old.revokedAt ?? at }
      if (old.revokedAt === undefined) await options.table.save(revoked, at)
      await keys.refresh()
      await options.audit.append({ tenant: old.tenant, ...by, action: 'key.revoke', target: keyId })
      return listed(revoked)
    },

    stop: () => keys.stop(),
  }
}
