import type { ClickHouseClient } from '@clickhouse/client'
import { InsertFailedError } from './errors.ts'

/** One version of an API key: a row of `api_keys` (sql/0013). Holds the secret's hash, never the secret. */
export interface StoredApiKey {
  keyId: string
  tenant: string
  role: string
  name: string
  secretSha256: string
  /** Epoch ms. */
  createdAt: number
  revokedAt?: number
}

/** Where API keys are kept. */
export interface ApiKeyStore {
  /** Write a key (new, or a newer version: revoked); resolves once ClickHouse acknowledged it. */
  save(key: StoredApiKey, updatedAt: number): Promise<void>
  /** The newest version of every key. */
  all(): Promise<StoredApiKey[]>
}

/** The API key store over `api_keys`. */
export function createApiKeyStore(client: ClickHouseClient): ApiKeyStore {
  return {
    async save(key, updatedAt) {
      try {
        await client.insert({
          table: 'api_keys',
          values: [
            {
              key_id: key.keyId,
              tenant: key.tenant,
              role: key.role,
              name: key.name,
              secret_sha256: key.secretSha256,
              created_at: key.createdAt,
              revoked_at: key.revokedAt ?? null,
              updated_at: updatedAt,
            },
          ],
          format: 'JSONEachRow',
        })
      } catch (error) {
        throw new InsertFailedError('api_keys', error)
      }
    },

    async all() {
      const result = await client.query({
        query: `SELECT key_id,
                       argMax(k.tenant, k.updated_at) AS tenant,
                       argMax(k.role, k.updated_at) AS role,
                       argMax(k.name, k.updated_at) AS name,
                       argMax(k.secret_sha256, k.updated_at) AS secret_sha256,
                       toUnixTimestamp64Milli(argMax(k.created_at, k.updated_at)) AS created_ms,
                       toUnixTimestamp64Milli(argMax(k.revoked_at, k.updated_at)) AS revoked_ms
                FROM api_keys AS k
                GROUP BY key_id
                ORDER BY created_ms, key_id`,
        format: 'JSONEachRow',
        clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
      })
      const rows = await result.json<{
        key_id: string
        tenant: string
        role: string
        name: string
        secret_sha256: string
        created_ms: number
        revoked_ms: number | null
      }>()
      return rows.map((row) => ({
        keyId: row.key_id,
        tenant: row.tenant,
        role: row.role,
        name: row.name,
        secretSha256: row.secret_sha256,
        createdAt: Number(row.created_ms),
        ...(row.revoked_ms === null ? {} : { revokedAt: Number(row.revoked_ms) }),
      }))
    },
  }
}
