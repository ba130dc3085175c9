import { trace } from '@opentelemetry/api'
import { type Bus, type BusBatch, type DeadLetterRecord, type Subscription, topics } from '@palisade/bus'
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
import { Counter, type Registry } from 'prom-client'

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
 * that the same message parked by two groups (or twice) is kept once.
 */
export function quarantinedDeadLetter(record: DeadLetterRecord): QuarantinedRecord {
  const where =
    record.partition === undefined ? record.topic : `${record.topic}/${record.partition}/${record.offset}`
  return {
    tenant: record.tenant,
    kind: `dead-letter:${record.topic}`,
    line: 1,
    raw: record.raw,
    reason: record.reason,
    request_id: where,
    received_at: record.parked_at,
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
  events: AnyEvent[],
  retention: RetentionDays | undefined,
  now: number,
): { kept: AnyEvent[]; expired: QuarantinedRecord[] } {
  if (!retention) return { kept: events, expired: [] }
  const kept: AnyEvent[] = []
  const expired: QuarantinedRecord[] = []
  for (const event of events) {
    const problem = eventTimeProblem(kind, event.ts, now, retention)
    if (problem === undefined) kept.push(event)
    else {
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
  return { kept, expired }
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
  return bus.subscribe(ingesterGroup, ingesterTopics, async (batch: BusBatch) => {
    await tracer.startActiveSpan(
      'ingester.store',
      { attributes: { 'messaging.destination.name': batch.topic } },
      async (span) => {
        try {
          // Messages arrive decoded and checked against their topic (the bus edge parked the rest).
          const kind = kindByTopic.get(batch.topic)
          if (kind) {
            const { kept: events, expired } = withoutExpired(
              kind,
              batch.topic,
              batch.messages.map((message) => message.value as AnyEvent),
              retention,
              Date.now(),
            )
            if (expired.length > 0) {
              await stores.quarantine.write(expired)
              stored.inc({ kind, outcome: 'expired' }, expired.length)
            }
            // Named after its log position, a batch that a crash makes us insert twice is dropped by
            // ClickHouse; the id look-up catches the rest (a redelivery cut at other offsets).
            const position = batch.position
            const result = await stores.events.write(kind, events, {
              dedupToken: position
                ? `${batch.topic}/${position.partition}/${position.firstOffset}-${position.lastOffset}`
                : undefined,
            })
            stored.inc({ kind, outcome: 'stored' }, result.stored.length)
            stored.inc({ kind, outcome: 'duplicate' }, result.duplicates)
          } else if (batch.topic === topics.quarantine) {
            const records = batch.messages.map((message) => message.value as QuarantinedRecord)
            // Each record is kept once, by its content, whichever request or batch brought it.
            await stores.quarantine.write(records)
            stored.inc({ kind: 'quarantine', outcome: 'stored' }, records.length)
          } else if (batch.topic === topics.findings || batch.topic === topics.riskFindings) {
            const fresh = await stores.findings.write(
              batch.messages.map((message) => message.value as Finding),
            )
            stored.inc({ kind: 'finding', outcome: 'stored' }, fresh.length)
          } else if (batch.topic === topics.deadLetter) {
            // What no consumer could use is kept in the quarantine table, with why: nothing is dropped unseen.
            const records = batch.messages.map((message) => message.value as DeadLetterRecord)
            await stores.quarantine.write(records.map(quarantinedDeadLetter))
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
