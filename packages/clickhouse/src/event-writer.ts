import { createHash } from 'node:crypto'
import type { ClickHouseClient } from '@clickhouse/client'
import type { AnyEvent, EventKind } from '@palisade/schema'
import { insertJsonText, takesJsonText } from './clickhouse-connection.ts'
import { InsertFailedError } from './errors.ts'

/** The raw table of each kind of event. */
export const eventTables: Record<EventKind, string> = {
  flow: 'flow_events',
  auth: 'auth_events',
  mtls: 'mtls_events',
  decision: 'decision_events',
  policy_change: 'policy_change_events',
  token: 'token_events',
  posture: 'posture_events',
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
    options?: EventWriteOptions,
  ): Promise<EventWriteResult<E>>
}

/** How a batch is written. */
export interface EventWriteOptions {
  /** Names the batch for ClickHouse's insert deduplication (default: derived from the ids stored). */
  dedupToken?: string
  /**
   * Each event's JSON text, by position, where it has one (see `ValidationResult.json`): inserted
   * as it is instead of the event encoded again. Should the engine refuse a text, the batch is
   * looked up and inserted again with every event encoded.
   */
  json?: readonly (string | undefined)[]
}

/** Settings of {@link createEventWriter}. */
export interface EventWriterOptions {
  /** Most rows one insert takes when writes are grouped (default 200,000). */
  maxRowsPerInsert?: number
}

interface PendingWrite {
  events: AnyEvent[]
  json: readonly (string | undefined)[] | undefined
  dedupToken: string | undefined
  resolve: (stored: AnyEvent[]) => void
  reject: (error: unknown) => void
}

/** What the exactly-once look-up reads of an event. */
export type EventIdProbe = Pick<AnyEvent, 'event_id' | 'ts' | 'service'>

/** The part of the sort key a batch covers: its services and its time range. */
function keyRange(events: readonly EventIdProbe[]) {
  let from = Number.POSITIVE_INFINITY
  let to = Number.NEGATIVE_INFINITY
  const services = new Set<string>()
  for (const event of events) {
    if (event.ts < from) from = event.ts
    if (event.ts > to) to = event.ts
    services.add(event.service)
  }
  return { services: [...services], from, to }
}

const rangeFilter = `tenant = {tenant:String}
              AND service IN {services:Array(String)}
              AND ts BETWEEN fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND fromUnixTimestamp64Milli({to:Int64}, 'UTC')`

/**
 * The ids of `events` (all of `tenant`) already stored in `table`. Only the batch's part of the
 * sort key is read (tenant, its services, its time range: partitions and primary index prune the
 * rest), so the cost follows the batch, not the history behind it. Live sources send in time
 * order, so that part usually holds few rows: they are listed (no id list travels, nothing to
 * parse but the answer); when it holds many (a backfill into busy hours), the ids are asked for
 * by value, in slices, through the bloom filter index.
 */
export async function findStoredEventIds(
  client: ClickHouseClient,
  table: string,
  tenant: string,
  events: readonly EventIdProbe[],
  /** Most ids listed from the batch's key range before asking by value instead (default 2n + 10,000). */
  maxListed = 2 * events.length + 10_000,
): Promise<Set<string>> {
  const found = new Set<string>()
  if (events.length === 0) return found
  const range = keyRange(events)
  const limit = maxListed
  const listed = await client.query({
    query: `SELECT event_id FROM {table:Identifier} WHERE ${rangeFilter} LIMIT {limit:UInt32}`,
    query_params: { table, tenant, ...range, limit },
    format: 'JSONCompactEachRow',
  })
  const inRange = await listed.json<[string]>()
  if (inRange.length < limit) {
    const wanted = new Set(events.map((event) => event.event_id))
    for (const [id] of inRange) if (wanted.has(id)) found.add(id)
    return found
  }
  // Query parameters travel in the URL to a ClickHouse server (1 MiB at most): ask in slices.
  for (let start = 0; start < events.length; start += 5000) {
    const slice = events.slice(start, start + 5000)
    const result = await client.query({
      query: `SELECT event_id FROM {table:Identifier} WHERE ${rangeFilter} AND event_id IN {ids:Array(String)}`,
      query_params: { table, tenant, ...keyRange(slice), ids: slice.map((event) => event.event_id) },
      format: 'JSONCompactEachRow',
    })
    for (const [id] of await result.json<[string]>()) found.add(id)
  }
  return found
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

  /** Look up, then insert what is new; returns the events stored. */
  async function insert(
    table: string,
    events: AnyEvent[],
    json: readonly (string | undefined)[] | undefined,
    dedupToken: string | undefined,
  ): Promise<AnyEvent[]> {
    // Texts are joined only for an engine that takes them as they are (a server's client encodes rows).
    const texts = json && takesJsonText(client) ? json : undefined
    const byTenant = new Map<string, AnyEvent[]>()
    for (const event of events) {
      const group = byTenant.get(event.tenant)
      if (group) group.push(event)
      else byTenant.set(event.tenant, [event])
    }
    const already = new Map<string, Set<string>>()
    for (const [tenant, group] of byTenant)
      already.set(tenant, await findStoredEventIds(client, table, tenant, group))
    const stored: AnyEvent[] = []
    const lines: string[] = []
    for (let index = 0; index < events.length; index++) {
      const event = events[index]!
      const ids = already.get(event.tenant)!
      if (ids.has(event.event_id)) continue
      ids.add(event.event_id)
      stored.push(event)
      if (texts) lines.push(texts[index] ?? JSON.stringify(event))
    }
    if (stored.length === 0) return stored
    const token =
      dedupToken ??
      createHash('sha256')
        .update(table)
        .update(stored.map((event) => `${event.tenant}/${event.event_id}`).join('\n'))
        .digest('hex')
    const settings = {
      insert_deduplication_token: token,
      deduplicate_blocks_in_dependent_materialized_views: 1,
      // A backfill may span more than 100 months: a warning in the server log, not a failure.
      throw_on_max_partitions_per_insert_block: 0,
    } as Record<string, number | string>
    if (texts) {
      try {
        if (await insertJsonText(client, table, lines.join('\n'), settings)) return stored
      } catch {
        // The engine refused a text (a number spelled `80.0` for an integer column, a key written
        // twice): the same events again, encoded by us, looked up afresh (should the refused insert
        // have stored part of them) and under a token of their own.
        return insert(table, events, undefined, `${token}/encoded`)
      }
    }
    try {
      await client.insert({ table, values: stored, format: 'JSONEachRow', clickhouse_settings: settings })
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
        const events = group.length === 1 ? group[0]!.events : group.flatMap((write) => write.events)
        const json = group.some((write) => write.json)
          ? group.length === 1
            ? group[0]!.json
            : group.flatMap((write) => write.json ?? new Array<undefined>(write.events.length))
          : undefined
        const inserted = await insert(table, events, json, token)
        // The usual case, nothing already stored: each write stored all of its events.
        if (inserted.length === rows) for (const write of group) write.resolve(write.events)
        else {
          const stored = new Set(inserted)
          for (const write of group) write.resolve(write.events.filter((event) => stored.has(event)))
        }
      } catch (error) {
        if (group.length === 1) {
          group[0]!.reject(error)
          continue
        }
        // One bad write must not fail the writes it was grouped with: each goes again alone.
        for (const write of group) {
          try {
            const stored = new Set(await insert(table, write.events, write.json, write.dedupToken))
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
    write<E extends AnyEvent>(kind: EventKind, events: E[], options: EventWriteOptions = {}) {
      if (events.length === 0) return Promise.resolve({ stored: [], duplicates: 0 })
      const table = eventTables[kind]
      let queue = queues.get(table)
      if (!queue) {
        queue = { pending: [], flushing: false }
        queues.set(table, queue)
      }
      const done = new Promise<AnyEvent[]>((resolve, reject) => {
        queue.pending.push({ events, json: options.json, dedupToken: options.dedupToken, resolve, reject })
      })
      if (!queue.flushing) void flush(table)
      return done.then((stored) => ({ stored: stored as E[], duplicates: events.length - stored.length }))
    },
  }
}
