import type { ClickHouseClient } from '@clickhouse/client'
import { InsertFailedError } from './errors.ts'

/** A dashboard session as stored: a row of `dashboard_sessions` (sql/0013); never the id itself. */
export interface StoredSession {
  idSha256: string
  tenant: string
  role: string
  subject: string
  /** Epoch ms. */
  expiresAt: number
  ended: boolean
}

/** Where dashboard sessions are kept so that a restart signs nobody out. */
export interface SessionTable {
  save(session: StoredSession, updatedAt: number): Promise<void>
  /** The sessions live at `now` (newest version of each, not ended, not expired). */
  live(now: number): Promise<StoredSession[]>
}

/** The session table over `dashboard_sessions`. */
export function createSessionTable(client: ClickHouseClient): SessionTable {
  return {
    async save(session, updatedAt) {
      try {
        await client.insert({
          table: 'dashboard_sessions',
          values: [
            {
              id_sha256: session.idSha256,
              tenant: session.tenant,
              role: session.role,
              subject: session.subject,
              expires_at: session.expiresAt,
              ended: session.ended ? 1 : 0,
              updated_at: updatedAt,
            },
          ],
          format: 'JSONEachRow',
        })
      } catch (error) {
        throw new InsertFailedError('dashboard_sessions', error)
      }
    },

    async live(now) {
      const result = await client.query({
        query: `SELECT id_sha256,
                       argMax(s.tenant, s.updated_at) AS tenant,
                       argMax(s.role, s.updated_at) AS role,
                       argMax(s.subject, s.updated_at) AS subject,
                       toUnixTimestamp64Milli(argMax(s.expires_at, s.updated_at)) AS expires_ms,
                       argMax(s.ended, s.updated_at) AS is_ended
                FROM dashboard_sessions AS s
                GROUP BY id_sha256
                HAVING is_ended = 0 AND expires_ms > {now:Int64}`,
        query_params: { now },
        format: 'JSONEachRow',
        clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
      })
      const rows = await result.json<{
        id_sha256: string
        tenant: string
        role: string
        subject: string
        expires_ms: number
      }>()
      return rows.map((row) => ({
        idSha256: row.id_sha256,
        tenant: row.tenant,
        role: row.role,
        subject: row.subject,
        expiresAt: Number(row.expires_ms),
        ended: false,
      }))
    },
  }
}
