import { createHash } from 'node:crypto'
import type { ClickHouseClient } from '@clickhouse/client'
import type { QuarantinedRecord } from '@palisade/schema'
import { InsertFailedError } from './errors.ts'

/** Stores rejected records; a retried request with the same body quarantines nothing twice. */
export interface QuarantineWriter {
  write(records: QuarantinedRecord[], options: { dedupToken: string }): Promise<void>
}

export function createQuarantineWriter(client: ClickHouseClient): QuarantineWriter {
  return {
    async write(records, { dedupToken }) {
      if (records.length === 0) return
      try {
        await client.insert({
          table: 'quarantine',
          values: records,
          format: 'JSONEachRow',
          clickhouse_settings: {
            insert_deduplication_token: createHash('sha256')
              .update(`quarantine\n${dedupToken}`)
              .digest('hex'),
          },
        })
      } catch (error) {
        throw new InsertFailedError('quarantine', error)
      }
    },
  }
}
