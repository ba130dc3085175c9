import type { ClickHouseClient } from '@clickhouse/client'

/** One key's saved state. */
export interface Checkpoint {
  tenant: string
  key: string
  state: unknown
}

/** Keeps each detector's learned state per key, so a restart or a rebalance resumes where it was. */
export interface CheckpointStore {
  /** Save the states of several keys of one detector in one insert. */
  save(detector: string, checkpoints: Checkpoint[]): Promise<void>
  /** The newest state of every key of one detector. */
  load(detector: string): Promise<Checkpoint[]>
}

export function createCheckpointStore(client: ClickHouseClient): CheckpointStore {
  return {
    async save(detector, checkpoints) {
      if (checkpoints.length === 0) return
      const savedAt = Date.now()
      await client.insert({
        table: 'detector_checkpoints',
        values: checkpoints.map(({ tenant, key, state }) => ({
          detector,
          tenant,
          key,
          saved_at: savedAt,
          state: JSON.stringify(state),
        })),
        format: 'JSONEachRow',
      })
    },
    async load(detector) {
      const result = await client.query({
        query: `SELECT tenant, key, argMax(state, saved_at) AS state FROM detector_checkpoints
                WHERE detector = {detector:String} GROUP BY tenant, key`,
        query_params: { detector },
        format: 'JSONEachRow',
      })
      const rows = await result.json<{ tenant: string; key: string; state: string }>()
      return rows.map((row) => ({
        tenant: row.tenant,
        key: row.key,
        state: JSON.parse(row.state) as unknown,
      }))
    },
  }
}
