import type { ClickHouseClient } from '@clickhouse/client'
import { eventKinds, type RetentionDays } from '@palisade/schema'
import { MigrationFailedError } from './errors.ts'
import { eventTables } from './event-writer.ts'

/**
 * Set each raw-event table's TTL to the configured retention (`ts + INTERVAL <days> DAY`, on the
 * DateTime64 column itself, so every stored time expires right) where it differs; returns the
 * tables changed. Run by the process that writes events, after the migrations, so that what the
 * collector accepts (the same `RetentionDays`) is what the store keeps. A change recomputes the TTL
 * of the parts already stored, in the background (a mutation): a lowered retention removes older
 * rows, a raised one keeps what is loaded from now on (an investigation loading an old capture).
 */
export async function applyEventRetention(
  client: ClickHouseClient,
  retention: RetentionDays,
): Promise<string[]> {
  const changed: string[] = []
  for (const kind of eventKinds) {
    const days = retention[kind]
    // DDL takes no query parameters; the value is a validated integer, never text from a client.
    if (!Number.isInteger(days) || days <= 0) {
      throw new MigrationFailedError(`retention of ${kind} events must be a positive number of days`)
    }
    const table = eventTables[kind]
    const result = await client.query({
      query:
        'SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = {table:String}',
      query_params: { table },
      format: 'JSONEachRow',
    })
    const [row] = await result.json<{ engine_full: string }>()
    if (row?.engine_full.includes(`TTL ts + toIntervalDay(${days}) `)) continue
    try {
      await client.command({ query: `ALTER TABLE ${table} MODIFY TTL ts + INTERVAL ${days} DAY` })
    } catch (error) {
      throw new MigrationFailedError(
        `setting the retention of ${table} failed: ${(error as Error).message}`,
        error,
      )
    }
    changed.push(table)
  }
  return changed
}
