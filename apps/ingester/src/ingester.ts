import { trace } from '@opentelemetry/api'
import {
  type Bus,
  type BusBatch,
  type BusMessage,
  type DeadLetterRecord,
  type Subscription,
  topics,
} from '@palisade/bus'
import type { EventWriter, FindingStore, QuarantineWriter } from '@palisade/clickhouse'
import {
  type AnyEvent,
  type EventKind,
  eventKinds,
  eventTimeProblem,
  type Finding,
  type QuarantinedRecord,
  type RetentionDays,
} from '@palisade/schema'
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

/** Where the ingester stores what it consumes. */
export interface IngesterStores {
  events: EventWriter
  quarantine: QuarantineWriter
  findings: FindingStore
}

/** The ingester's consumer group: the one whose handling acknowledges a publish in-process. */
export const ingesterGroup = 'ingester'

const tracer = trace.getTracer('palisade-ingester')
const kindByTopic = new Map<string, EventKind>(eventKinds.map((kind) => [topics.events(kind), kind]))

/** Store writes timed, and counted when they fail, by table kind. */
function storeTiming(registry: Registry | undefined) {
  const seconds = new Histogram({
    name: 'palisade_store_insert_duration_seconds',
    help: 'Store writes from call to acknowledgement (look-up included), by table kind, seconds',
    labelNames: ['kind'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: registry ? [registry] : [],
  })
  const errors = new Counter({
    name: 'palisade_store_insert_errors_total',
    help: 'Store writes that failed (the batch is not committed and comes again), by table kind',
    labelNames: ['kind'] as const,
    registers: registry ? [registry] : [],
  })
  return async <T>(kind: string, write: () => Promise<T>): Promise<T> => {
    const stop = seconds.startTimer({ kind })
    try {
      return await write()
    } catch (error) {
      errors.inc({ kind })
      throw error
    } finally {
      stop()
    }
  }
}

/** Sources tracked per kind; past it, the rest share `other` (a source label comes from clients). */
const maxSourcesPerKind = 50

/** Newest event time stored, per kind and source: how fresh the data the analytics read is. */
function createFreshnessGauge(registry: Registry | undefined) {
  const gauge = new Gauge({
    name: 'palisade_ingester_newest_event_timestamp_seconds',
    help: 'Event time of the newest event stored, by kind and source, Unix seconds',
    labelNames: ['kind', 'source'] as const,
    registers: registry ? [registry] : [],
  })
  const newest = new Map<string, Map<string, number>>()
  return {
    saw(kind: EventKind, events: AnyEvent[]): void {
      let bySource = newest.get(kind)
      if (!bySource) {
        bySource = new Map()
        newest.set(kind, bySource)
      }
      // The gauge is set once per source a batch moved, not per event (each set hashes its labels).
      const moved = new Set<string>()
      for (const event of events) {
        const source =
          bySource.has(event.source) || bySource.size < maxSourcesPerKind ? event.source : 'other'
        if (event.ts <= (bySource.get(source) ?? Number.NEGATIVE_INFINITY)) continue
        bySource.set(source, event.ts)
        moved.add(source)
      }
      for (const source of moved) gauge.set({ kind, source }, bySource.get(source)! / 1000)
    },
  }
}

/** The topics the ingester consumes: every event kind, quarantine, both findings topics and dead letters. */
export const ingesterTopics = [
  ...kindByTopic.keys(),
  topics.quarantine,
  topics.findings,
  topics.riskFindings,
  topics.deadLetter,
]

/**
 * A dead letter as a quarantined record: the message as received, under `dead-letter:<topic>`, so
 * that the same message parked by two groups (or twice) is kept once. Records parked before they
 * carried `parked_at` (read back as 0) are dated `receivedAt`: the quarantine's TTL counts from that
 * time, and 1970 would have had them removed at the next merge.
 */
export function quarantinedDeadLetter(record: DeadLetterRecord, receivedAt: number): QuarantinedRecord {
  const where =
    record.partition === undefined ? record.topic : `${record.topic}/${record.partition}/${record.offset}`
  return {
    tenant: record.tenant,
    kind: `dead-letter:${record.topic}`,
    line: 1,
    raw: record.raw,
    reason: record.reason,
    request_id: where,
    received_at: record.parked_at > 0 ? record.parked_at : receivedAt,
  }
}

/**
 * Split a batch of events into those the tables keep and those whose kind's retention passed while
 * they waited on the bus (Kafka lag, a stopped ingester): those would be inserted and dropped by the
 * TTL at the next merge, so they are quarantined with why instead (nothing is dropped unseen).
 */
function withoutExpired(
  kind: EventKind,
  topic: string,
  messages: BusMessage[],
  retention: RetentionDays | undefined,
  now: number,
): { kept: AnyEvent[]; json: (string | undefined)[] | undefined; expired: QuarantinedRecord[] } {
  const kept: AnyEvent[] = []
  // Each kept event's JSON text as its message brought it, so that the store takes it as it is.
  const json: (string | undefined)[] = []
  const expired: QuarantinedRecord[] = []
  for (const message of messages) {
    const event = message.value as AnyEvent
    const problem = retention ? eventTimeProblem(kind, event.ts, now, retention) : undefined
    if (problem === undefined) {
      kept.push(event)
      json.push(message.json)
    } else {
      expired.push({
        tenant: event.tenant,
        kind: `expired:${topic}`,
        line: 1,
        raw: JSON.stringify(event),
        reason: problem,
        request_id: topic,
        received_at: now,
      })
    }
  }
  // Without a single text (Kafka brings none), the writer has nothing to forward.
  return { kept, json: json.some((text) => text !== undefined) ? json : undefined, expired }
}

/**
 * Join the `ingester` consumer group and store every batch: events deduplicated by id, quarantined
 * records, findings and dead letters (as quarantined records). A batch is committed (the handler resolves) only after ClickHouse has
 * acknowledged the insert; a failure rejects, so the publisher (or Kafka) delivers it again.
 */
export function subscribeIngester(
  bus: Bus,
  stores: IngesterStores,
  registry?: Registry,
  /** Days the tables keep each kind (the TTL applyEventRetention set): events past it are quarantined. */
  retention?: RetentionDays,
): Promise<Subscription> {
  const stored = new Counter({
    name: 'palisade_ingester_rows_total',
    help: 'Rows handled by the ingester, by table kind and outcome (stored, duplicate, dead_letter, expired)',
    labelNames: ['kind', 'outcome'] as const,
    registers: registry ? [registry] : [],
  })
  const timed = storeTiming(registry)
  const freshness = createFreshnessGauge(registry)
  return bus.subscribe(ingesterGroup, ingesterTopics, async (batch: BusBatch) => {
    await tracer.startActiveSpan(
      'ingester.store',
      { attributes: { 'messaging.destination.name': batch.topic } },
      async (span) => {
        try {
          // Messages arrive decoded and checked against their topic (the bus edge parked the rest).
          const kind = kindByTopic.get(batch.topic)
          if (kind) {
            const {
              kept: events,
              json,
              expired,
            } = withoutExpired(kind, batch.topic, batch.messages, retention, Date.now())
            if (expired.length > 0) {
              await stores.quarantine.write(expired)
              stored.inc({ kind, outcome: 'expired' }, expired.length)
            }
            // Named after its log position, a batch that a crash makes us insert twice is dropped by
            // ClickHouse; the id look-up catches the rest (a redelivery cut at other offsets).
            const position = batch.position
            const result = await timed(kind, () =>
              stores.events.write(kind, events, {
                json,
                dedupToken: position
                  ? `${batch.topic}/${position.partition}/${position.firstOffset}-${position.lastOffset}`
                  : undefined,
              }),
            )
            freshness.saw(kind, result.stored)
            stored.inc({ kind, outcome: 'stored' }, result.stored.length)
            stored.inc({ kind, outcome: 'duplicate' }, result.duplicates)
          } else if (batch.topic === topics.quarantine) {
            const records = batch.messages.map((message) => message.value as QuarantinedRecord)
            // Each record is kept once, by its content, whichever request or batch brought it.
            await timed('quarantine', () => stores.quarantine.write(records))
            stored.inc({ kind: 'quarantine', outcome: 'stored' }, records.length)
          } else if (batch.topic === topics.findings || batch.topic === topics.riskFindings) {
            const fresh = await timed('finding', () =>
              stores.findings.write(batch.messages.map((message) => message.value as Finding)),
            )
            stored.inc({ kind: 'finding', outcome: 'stored' }, fresh.length)
          } else if (batch.topic === topics.deadLetter) {
            // What no consumer could use is kept in the quarantine table, with why: nothing is dropped unseen.
            const records = batch.messages.map((message) => message.value as DeadLetterRecord)
            const receivedAt = Date.now()
            await stores.quarantine.write(records.map((record) => quarantinedDeadLetter(record, receivedAt)))
            for (const record of records)
              stored.inc({ kind: kindByTopic.get(record.topic) ?? record.topic, outcome: 'dead_letter' })
          }
        } finally {
          span.end()
        }
      },
    )
  })
}
