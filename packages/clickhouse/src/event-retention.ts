import type { ClickHouseClient } from '@clickhouse/client'
import { type EventKind, eventKinds, type RetentionDays } from '@palisade/schema'
import { isClusterName, localTable } from './cluster-schema.ts'
import { MigrationFailedError } from './errors.ts'
import { eventTables } from './event-writer.ts'

/**
 * Tables that copy rows of a kind's raw table (bounded indexes for panels), or count what names a
 * person, and keep them as long as the raw table.
 */
const copiesOfKind: Partial<Record<EventKind, string[]>> = {
  flow: ['flow_entity_index'],
  // Sign-ins per principal and hour name people: they go when the sign-ins they count go.
  auth: ['auth_entity_index', 'principal_sign_in_rollup_1h'],
  decision: [
    'decision_denies',
    'decision_entity_index',
    'decision_failed_requests',
    'decision_request_index',
  ],
  mtls: ['mtls_entity_index'],
  policy_change: ['policy_change_entity_index'],
}

/** The time column a copy's TTL counts from, where it is not the event time `ts`. */
const timeColumnOf: Record<string, string> = { principal_sign_in_rollup_1h: 'hour' }

/**
 * Set each raw-event table's TTL to the configured retention (`ts + INTERVAL <days> DAY`, on the
 * DateTime64 column itself, so every stored time expires right) where it differs; returns the
 * tables changed. Run by the process that writes events, after the migrations, so that what the
 * collector accepts (the same `RetentionDays`) is what the store keeps. A change recomputes the TTL
 * of the parts already stored, in the background (a mutation): a lowered retention removes older
 * rows, a raised one keeps what is loaded from now on (an investigation loading an old capture).
 * With `cluster`, the local tables of every shard are changed (`ON CLUSTER`).
 */
export async function applyEventRetention(
  client: ClickHouseClient,
  retention: RetentionDays,
  options: { cluster?: string } = {},
): Promise<string[]> {
  const { cluster } = options
  if (cluster !== undefined && !isClusterName(cluster)) {
    throw new MigrationFailedError(`cluster name "${cluster}" must be letters, digits and _`)
  }
  const changed: string[] = []
  for (const kind of eventKinds) {
    const days = retention[kind]
    // DDL takes no query parameters; the value is a validated integer, never text from a client.
    if (!Number.isInteger(days) || days <= 0) {
      throw new MigrationFailedError(`retention of ${kind} events must be a positive number of days`)
    }
    for (const table of [eventTables[kind], ...(copiesOfKind[kind] ?? [])]) {
      // On a cluster the TTL belongs to each shard's local table (a distributed table has none).
      const stored = cluster ? localTable(table) : table
      const result = await client.query({
        query:
          'SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = {table:String}',
        query_params: { table: stored },
        format: 'JSONEachRow',
      })
      const [row] = await result.json<{ engine_full: string }>()
      // A copy made by a later migration is absent from a schema migrated only that far.
      if (!row && table !== eventTables[kind]) continue
      const column = timeColumnOf[table] ?? 'ts'
      if (row?.engine_full.includes(`TTL ${column} + toIntervalDay(${days}) `)) continue
      try {
        const target = cluster ? `${stored} ON CLUSTER ${cluster}` : stored
        await client.command({
          query: `ALTER TABLE ${target} MODIFY TTL ${column} + INTERVAL ${days} DAY`,
        })
      } catch (error) {
        throw new MigrationFailedError(
          `setting the retention of ${table} failed: ${(error as Error).message}`,
          error,
        )
      }
      changed.push(table)
    }
  }
  return changed
}
