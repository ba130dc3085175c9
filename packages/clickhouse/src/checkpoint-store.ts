import type { ClickHouseClient } from '@clickhouse/client'

/** Keeps each detector's learned state per tenant, so a restart resumes where it left off. */
export interface CheckpointStore {
  save(detector: string, tenant: string, state: unknown): Promise<void>
  /** The newest state of every tenant for one detector. */
  load(detector: string): Promise<Map<string, unknown>>
}

export function createCheckpointStore(client: ClickHouseClient): CheckpointStore {
  return {
    async save(detector, tenant, state) {
      await client.insert({
        table: 'detector_checkpoints',
        values: [{ detector, tenant, saved_at: Date.now(), state: JSON.stringify(state) }],
        format: 'JSONEachRow',
      })
    },
    async load(detector) {
      const result = await client.query({
        query: `SELECT tenant, argMax(state, saved_at) AS state FROM detector_checkpoints
                WHERE detector = {detector:String} GROUP BY tenant`,
        query_params: { detector },
        format: 'JSONEachRow',
      })
      const rows = await result.json<{ tenant: string; state: string }>()
      return new Map(rows.map((row) => [row.tenant, JSON.parse(row.state) as unknown]))
    },
  }
}
