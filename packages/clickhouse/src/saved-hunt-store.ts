import { randomBytes } from 'node:crypto'
import type { ClickHouseClient } from '@clickhouse/client'
import { InsertFailedError } from './errors.ts'

/** A hunt as an analyst saved it (a row of `saved_hunts`, sql/0010). */
export interface SavedHunt {
  id: string
  name: string
  query: string
  /** A relative window (`24h`), or '' with `from`/`to` set. */
  range: string
  from: number | null
  to: number | null
  /** Epoch ms. */
  savedAt: number
  savedBy: string
}

/** What a save needs; the id is new unless one is given (an edit of a saved hunt). */
export type SavedHuntInput = Omit<SavedHunt, 'id' | 'savedAt'> & { id?: string }

/** Saved hunts, per tenant: a link to `#/hunt/<id>` opens the same query and range for colleagues. */
export interface SavedHuntStore {
  save(tenant: string, hunt: SavedHuntInput, now: number): Promise<SavedHunt>
  get(tenant: string, id: string): Promise<SavedHunt | undefined>
  /** Newest first, at most `limit`. */
  list(tenant: string, limit: number): Promise<SavedHunt[]>
}

/** An id for a saved hunt: 12 URL-safe characters (72 random bits). */
export function newSavedHuntId(): string {
  return randomBytes(9).toString('base64url')
}

const COLUMNS = `hunt_id AS id, argMax(name, saved_at) AS name, argMax(query, saved_at) AS query,
  argMax(range, saved_at) AS range, argMax(from_ms, saved_at) AS from, argMax(to_ms, saved_at) AS to,
  toUnixTimestamp64Milli(max(saved_at)) AS savedAt, argMax(saved_by, saved_at) AS savedBy`

/** The saved hunt store over `saved_hunts`. */
export function createSavedHuntStore(client: ClickHouseClient): SavedHuntStore {
  const read = async (query: string, params: Record<string, unknown>) => {
    const result = await client.query({
      query,
      query_params: params,
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    })
    return result.json<SavedHunt>()
  }
  return {
    async save(tenant, hunt, now) {
      const saved: SavedHunt = { ...hunt, id: hunt.id ?? newSavedHuntId(), savedAt: now }
      try {
        await client.insert({
          table: 'saved_hunts',
          values: [
            {
              tenant,
              hunt_id: saved.id,
              saved_at: now,
              name: saved.name,
              query: saved.query,
              range: saved.range,
              from_ms: saved.from,
              to_ms: saved.to,
              saved_by: saved.savedBy,
            },
          ],
          format: 'JSONEachRow',
        })
      } catch (error) {
        throw new InsertFailedError('saved_hunts', error)
      }
      return saved
    },
    async get(tenant, id) {
      const [hunt] = await read(
        `SELECT ${COLUMNS} FROM saved_hunts WHERE tenant = {tenant:String} AND hunt_id = {id:String} GROUP BY hunt_id`,
        { tenant, id },
      )
      return hunt
    },
    list(tenant, limit) {
      return read(
        `SELECT ${COLUMNS} FROM saved_hunts WHERE tenant = {tenant:String}
         GROUP BY hunt_id ORDER BY savedAt DESC, id LIMIT {limit:UInt32}`,
        { tenant, limit },
      )
    },
  }
}
