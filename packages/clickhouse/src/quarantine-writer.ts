import { createHash } from 'node:crypto'
import type { ClickHouseClient } from '@clickhouse/client'
import { InsertFailedError } from './errors.ts'

/** A record that could not be read or validated, kept with its raw text. */
export interface QuarantinedRecord {
  tenant: string
  /** Event kind or wire format it was sent as. */
  kind: string
  /** 1-based line (NDJSON) or element (JSON array) number in the request body. */
  line: number
  raw: string
  reason: string
  /** The request it came with, to find siblings. */
  request_id: string
  /** Receive time, epoch ms. */
  received_at: number
}

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
