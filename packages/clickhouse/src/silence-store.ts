import type { ClickHouseClient } from '@clickhouse/client'
import { InsertFailedError } from './errors.ts'

/** One version of a silence created through the Alertmanager API: a row of `alert_silences` (sql/0008). */
export interface SilenceRecord {
  tenant: string
  id: string
  /** Alertmanager's matchers, as JSON (`[{name, value, isRegex, isEqual}]`). */
  matchers: string
  /** Epoch ms. */
  starts_at: number
  ends_at: number
  created_by: string
  comment: string
  /** Epoch ms; the newest version of a silence wins. */
  updated_at: number
}

/** Where the alert router keeps the silences people create, so that a restart keeps them. */
export interface SilenceStore {
  /** Write a silence (new, changed or expired); resolves once ClickHouse acknowledged it. */
  save(silence: SilenceRecord): Promise<void>
  /** The newest version of every silence, for start-up. */
  all(): Promise<SilenceRecord[]>
}

/** The silence store over `alert_silences`. */
export function createSilenceStore(client: ClickHouseClient): SilenceStore {
  return {
    async save(silence) {
      try {
        await client.insert({ table: 'alert_silences', values: [silence], format: 'JSONEachRow' })
      } catch (error) {
        throw new InsertFailedError('alert_silences', error)
      }
    },

    async all() {
      const result = await client.query({
        query: `SELECT tenant, id, argMax(s.matchers, s.updated_at) AS matchers,
                       toUnixTimestamp64Milli(argMax(s.starts_at, s.updated_at)) AS starts_ms,
                       toUnixTimestamp64Milli(argMax(s.ends_at, s.updated_at)) AS ends_ms,
                       argMax(s.created_by, s.updated_at) AS created_by,
                       argMax(s.comment, s.updated_at) AS comment,
                       toUnixTimestamp64Milli(max(s.updated_at)) AS updated_ms
                FROM alert_silences AS s
                GROUP BY tenant, id
                ORDER BY updated_ms`,
        format: 'JSONEachRow',
        clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
      })
      const rows = await result.json<{
        tenant: string
        id: string
        matchers: string
        starts_ms: number
        ends_ms: number
        created_by: string
        comment: string
        updated_ms: number
      }>()
      return rows.map((row) => ({
        tenant: row.tenant,
        id: row.id,
        matchers: row.matchers,
        starts_at: Number(row.starts_ms),
        ends_at: Number(row.ends_ms),
        created_by: row.created_by,
        comment: row.comment,
        updated_at: Number(row.updated_ms),
      }))
    },
  }
}
