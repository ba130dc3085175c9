import { createHash } from 'node:crypto'
import type { ClickHouseClient } from '@clickhouse/client'
import { createSerialQueue } from '@palisade/runtime'
import type { QuarantinedRecord } from '@palisade/schema'
import { InsertFailedError } from './errors.ts'

/**
 * Stores rejected records once each: a record's id is a hash of its tenant, kind and raw text, so a
 * retried request, or a redelivered batch cut at other offsets, quarantines nothing twice.
 */
export interface QuarantineWriter {
  write(records: QuarantinedRecord[]): Promise<void>
}

/** The id of a quarantined record: the same bytes sent again, as the same kind, are the same record. */
export function quarantineRecordId(record: Pick<QuarantinedRecord, 'tenant' | 'kind' | 'raw'>): string {
  return createHash('sha256')
    .update(`${record.tenant}\n${record.kind}\n${record.raw}`)
    .digest('hex')
    .slice(0, 32)
}

/**
 * Text as ClickHouse can take it: a lone UTF-16 surrogate (a reason quoting a field that held the
 * escape `\ud800`) becomes U+FFFD. A reason that cannot be stored would fail its whole request.
 */
function storableText(text: string): string {
  return text.replace(/\p{Cs}/gu, '\uFFFD')
}

export function createQuarantineWriter(client: ClickHouseClient): QuarantineWriter {
  // Look-up then insert, one write at a time: two deliveries of one record must not both pass.
  const serial = createSerialQueue()
  return {
    write(records) {
      if (records.length === 0) return Promise.resolve()
      return serial(async () => {
        const rows = records.map((record) => ({
          ...record,
          raw: storableText(record.raw),
          reason: storableText(record.reason),
          record_id: quarantineRecordId(record),
        }))
        const known = new Set<string>()
        for (let start = 0; start < rows.length; start += 5000) {
          const result = await client.query({
            query: 'SELECT record_id FROM quarantine WHERE record_id IN {ids:Array(String)}',
            query_params: { ids: rows.slice(start, start + 5000).map((row) => row.record_id) },
            format: 'JSONCompactEachRow',
          })
          for (const [id] of await result.json<[string]>()) known.add(id)
        }
        const fresh = rows.filter((row) => {
          if (known.has(row.record_id)) return false
          known.add(row.record_id)
          return true
        })
        if (fresh.length === 0) return
        try {
          await client.insert({ table: 'quarantine', values: fresh, format: 'JSONEachRow' })
        } catch (error) {
          throw new InsertFailedError('quarantine', error)
        }
      })
    },
  }
}
