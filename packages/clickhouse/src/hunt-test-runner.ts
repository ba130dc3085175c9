import { randomUUID } from 'node:crypto'
import type { ClickHouseClient } from '@clickhouse/client'
import type { AnyEvent, EventKind } from '@palisade/schema'
import { createEventWriter } from './event-writer.ts'
import { runHunt } from './hunt-query.ts'

/**
 * Runs a hunt rule's test on the real engine: the test's events are stored under a tenant made for
 * this run alone, and the hunt runs as that tenant, so the hunt tables' own scoping keeps every
 * other row out (use a scratch data directory: the rows stay). Answers the hunt's columns and rows;
 * times in them are the moved ones (see below).
 */
export function createHuntTestRunner(client: ClickHouseClient) {
  const writer = createEventWriter(client)
  return async (
    events: readonly { kind: EventKind; event: AnyEvent }[],
    query: string,
    range: { from: number; to: number },
  ) => {
    const tenant = `rule-test-${randomUUID()}`
    // Rule tests are set in January 2026; the raw tables' TTL would drop rows that old as they are
    // written. The test moves to the last minute, spacing kept, and so does the hunt's window.
    const shift = Date.now() - 60_000 - range.to
    const byKind = new Map<EventKind, AnyEvent[]>()
    for (const { kind, event } of events) {
      const list = byKind.get(kind) ?? []
      list.push({ ...event, tenant, ts: event.ts + shift, observed_at: event.observed_at + shift })
      byKind.set(kind, list)
    }
    for (const [kind, list] of byKind) await writer.write(kind, list)
    const result = await runHunt(client, {
      tenant,
      query,
      from: range.from + shift,
      to: range.to + shift,
      maxRows: 1_000,
    })
    return { columns: result.columns, rows: result.rows }
  }
}
