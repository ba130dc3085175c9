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

/**
 * Create the writer for raw events. Writes run concurrently; only writes that share event ids
 * wait for each other (a claim per id in flight), so "look up ids, then insert" stays exact
 * without serialising the engine's work.
 */
export function createEventWriter(client: ClickHouseClient): EventWriter {
  /** `table/tenant/event_id` → the write that is inserting it now. */
  const claims = new Map<string, Promise<unknown>>()

  async function storedIds(table: string, tenant: string, events: AnyEvent[]): Promise<Set<string>> {
    let from = Number.POSITIVE_INFINITY
    let to = Number.NEGATIVE_INFINITY
    for (const event of events) {
      if (event.ts < from) from = event.ts
      if (event.ts > to) to = event.ts
    }
    const result = await client.query({
      query: `SELECT event_id FROM {table:Identifier}
              WHERE tenant = {tenant:String}
                AND ts BETWEEN fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND fromUnixTimestamp64Milli({to:Int64}, 'UTC')
                AND event_id IN {ids:Array(String)}`,
      query_params: { table, tenant, from, to, ids: events.map((event) => event.event_id) },
      format: 'JSONCompactEachRow',
    })
    return new Set((await result.json<[string]>()).map(([id]) => id))
  }

  async function insert<E extends AnyEvent>(
    table: string,
    events: E[],
    dedupToken: string | undefined,
  ): Promise<E[]> {
    const byTenant = new Map<string, E[]>()
    for (const event of events) {
      const group = byTenant.get(event.tenant)
      if (group) group.push(event)
      else byTenant.set(event.tenant, [event])
    }
    const stored: E[] = []
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
        },
      })
    } catch (error) {
      throw new InsertFailedError(table, error)
    }
    return stored
  }

  return {
    async write<E extends AnyEvent>(kind: EventKind, events: E[], options: { dedupToken?: string } = {}) {
      const table = eventTables[kind]
      if (events.length === 0) return { stored: [], duplicates: 0 }
      const keys = events.map((event) => `${table}/${event.tenant}/${event.event_id}`)
      // Wait for writes in flight that hold any of our ids; checking and claiming happen with no
      // await in between, so two writes can never both pass the look-up for the same id.
      for (;;) {
        const blocking = new Set<Promise<unknown>>()
        for (const key of keys) {
          const claim = claims.get(key)
          if (claim) blocking.add(claim)
        }
        if (blocking.size === 0) break
        await Promise.allSettled(blocking)
      }
      const work = insert(table, events, options.dedupToken)
      for (const key of keys) claims.set(key, work)
      try {
        const stored = await work
        return { stored, duplicates: events.length - stored.length }
      } finally {
        for (const key of keys) if (claims.get(key) === work) claims.delete(key)
      }
    },
  }
}
