import { createHash } from 'node:crypto'
import type { ClickHouseClient } from '@clickhouse/client'
import type { AnyEvent, EventKind } from '@palisade/schema'
import { InsertFailedError } from './errors.ts'

/** The raw table of each kind of event. */
export const eventTables: Record<EventKind, string> = {
  flow: 'flow_events',
  auth: 'auth_events',
  mtls: 'mtls_events',
  decision: 'decision_events',
  policy_change: 'policy_change_events',
}

/** What a write did: the events newly stored, and how many were already there (client retries). */
export interface EventWriteResult<E extends AnyEvent = AnyEvent> {
  stored: E[]
  duplicates: number
}

/** Stores validated events exactly once per (tenant, event id). */
export interface EventWriter {
  /**
   * Insert a batch and resolve once ClickHouse has acknowledged it. Events whose id is already
   * stored, or repeated inside the batch, are dropped, so an at-least-once client adds nothing
   * on a retry. `dedupToken` names the batch for ClickHouse's own insert deduplication (a retried
   * Kafka offset range, say); by default it is derived from the ids stored.
   */
  write<E extends AnyEvent>(
    kind: EventKind,
    events: E[],
    options?: { dedupToken?: string },
  ): Promise<EventWriteResult<E>>
}

/** Settings of {@link createEventWriter}. */
export interface EventWriterOptions {
  /** Most rows one insert takes when writes are grouped (default 200,000). */
  maxRowsPerInsert?: number
}

interface PendingWrite {
  events: AnyEvent[]
  dedupToken: string | undefined
  resolve: (stored: AnyEvent[]) => void
  reject: (error: unknown) => void
}

/**
 * Create the writer for raw events. Writes to one table are group-committed: while one insert
 * runs, the writes that arrive queue up and go together in the next one. ClickHouse wants few,
 * large inserts (each makes a part, and the rollup views make one more), and one writer per table
 * keeps "look up ids, then insert" exact without locks.
 */
export function createEventWriter(client: ClickHouseClient, options: EventWriterOptions = {}): EventWriter {
  const maxRows = options.maxRowsPerInsert ?? 200_000
  const queues = new Map<string, { pending: PendingWrite[]; flushing: boolean }>()

  /**
   * The ids of `events` already stored. Narrowed by the sort key (tenant, the batch's services,
   * its time range) before the id test, so the look-up reads a few granules however large the
   * table grows.
   */
  async function storedIds(table: string, tenant: string, events: AnyEvent[]): Promise<Set<string>> {
    // Query parameters travel in the URL to a ClickHouse server (1 MiB at most): ask in slices.
    const found = new Set<string>()
    for (let start = 0; start < events.length; start += 5000) {
      for (const id of await storedIdsOf(table, tenant, events.slice(start, start + 5000))) found.add(id)
    }
    return found
  }

  async function storedIdsOf(table: string, tenant: string, events: AnyEvent[]): Promise<string[]> {
    let from = Number.POSITIVE_INFINITY
    let to = Number.NEGATIVE_INFINITY
    const services = new Set<string>()
    for (const event of events) {
      if (event.ts < from) from = event.ts
      if (event.ts > to) to = event.ts
      services.add(event.service)
    }
    const result = await client.query({
      query: `SELECT event_id FROM {table:Identifier}
              WHERE tenant = {tenant:String}
                AND service IN {services:Array(String)}
                AND ts BETWEEN fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND fromUnixTimestamp64Milli({to:Int64}, 'UTC')
                AND event_id IN {ids:Array(String)}`,
      query_params: {
        table,
        tenant,
        services: [...services],
        from,
        to,
        ids: events.map((event) => event.event_id),
      },
      format: 'JSONCompactEachRow',
    })
    return (await result.json<[string]>()).map(([id]) => id)
  }

  /** Look up, then insert what is new; returns the events stored. */
  async function insert(
    table: string,
    events: AnyEvent[],
    dedupToken: string | undefined,
  ): Promise<AnyEvent[]> {
    const byTenant = new Map<string, AnyEvent[]>()
    for (const event of events) {
      const group = byTenant.get(event.tenant)
      if (group) group.push(event)
      else byTenant.set(event.tenant, [event])
    }
    const stored: AnyEvent[] = []
    for (const [tenant, group] of byTenant) {
      const already = await storedIds(table, tenant, group)
      for (const event of group) {
        if (already.has(event.event_id)) continue
        already.add(event.event_id)
        stored.push(event)
      }
    }
    if (stored.length === 0) return stored
    const token =
      dedupToken ??
      createHash('sha256')
        .update(table)
        .update(stored.map((event) => `${event.tenant}/${event.event_id}`).join('\n'))
        .digest('hex')
    try {
      await client.insert({
        table,
        values: stored,
        format: 'JSONEachRow',
        clickhouse_settings: {
          insert_deduplication_token: token,
          deduplicate_blocks_in_dependent_materialized_views: 1,
          // A backfill may span more than 100 months: a warning in the server log, not a failure.
          throw_on_max_partitions_per_insert_block: 0,
        } as Record<string, number | string>,
      })
    } catch (error) {
      throw new InsertFailedError(table, error)
    }
    return stored
  }

  async function flush(table: string): Promise<void> {
    const queue = queues.get(table)!
    queue.flushing = true
    while (queue.pending.length > 0) {
      const group: PendingWrite[] = []
      let rows = 0
      while (
        queue.pending.length > 0 &&
        (group.length === 0 || rows + queue.pending[0]!.events.length <= maxRows)
      ) {
        const next = queue.pending.shift()!
        group.push(next)
        rows += next.events.length
      }
      const tokens = group.map((write) => write.dedupToken)
      // Tokens name their batches (Kafka offset ranges); a group is named by all of its tokens.
      const token = tokens.every((t) => t !== undefined)
        ? createHash('sha256').update(tokens.join('\n')).digest('hex')
        : undefined
      try {
        const stored = new Set(
          await insert(
            table,
            group.flatMap((write) => write.events),
            token,
          ),
        )
        for (const write of group) write.resolve(write.events.filter((event) => stored.has(event)))
      } catch (error) {
        if (group.length === 1) {
          group[0]!.reject(error)
          continue
        }
        // One bad write must not fail the writes it was grouped with: each goes again alone.
        for (const write of group) {
          try {
            const stored = new Set(await insert(table, write.events, write.dedupToken))
            write.resolve(write.events.filter((event) => stored.has(event)))
          } catch (alone) {
            write.reject(alone)
          }
        }
      }
    }
    queue.flushing = false
  }

  return {
    write<E extends AnyEvent>(kind: EventKind, events: E[], options: { dedupToken?: string } = {}) {
      if (events.length === 0) return Promise.resolve({ stored: [], duplicates: 0 })
      const table = eventTables[kind]
      let queue = queues.get(table)
      if (!queue) {
        queue = { pending: [], flushing: false }
        queues.set(table, queue)
      }
      const done = new Promise<AnyEvent[]>((resolve, reject) => {
        queue.pending.push({ events, dedupToken: options.dedupToken, resolve, reject })
      })
      if (!queue.flushing) void flush(table)
      return done.then((stored) => ({ stored: stored as E[], duplicates: events.length - stored.length }))
    },
  }
}
