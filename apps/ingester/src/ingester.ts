import { trace } from '@opentelemetry/api'
import { type Bus, type BusBatch, type Subscription, topics } from '@palisade/bus'
import type { EventWriter, FindingStore, QuarantineWriter } from '@palisade/clickhouse'
import {
  type AnyEvent,
  type EventKind,
  eventKinds,
  type Finding,
  type QuarantinedRecord,
  storedEventProblem,
} from '@palisade/schema'
import { Counter, type Registry } from 'prom-client'

/** Where the ingester stores what it consumes. */
export interface IngesterStores {
  events: EventWriter
  quarantine: QuarantineWriter
  findings: FindingStore
}

const tracer = trace.getTracer('palisade-ingester')
const kindByTopic = new Map<string, EventKind>(eventKinds.map((kind) => [topics.events(kind), kind]))

/** The topics the ingester consumes: every event kind, quarantine and findings. */
export const ingesterTopics = [...kindByTopic.keys(), topics.quarantine, topics.findings]

/**
 * Join the `ingester` consumer group and store every batch: events deduplicated by id, quarantined
 * records and findings. A batch is committed (the handler resolves) only after ClickHouse has
 * acknowledged the insert; a failure rejects, so the publisher (or Kafka) delivers it again.
 */
export function subscribeIngester(
  bus: Bus,
  stores: IngesterStores,
  registry?: Registry,
): Promise<Subscription> {
  const stored = new Counter({
    name: 'palisade_ingester_rows_total',
    help: 'Rows handled by the ingester, by table kind and outcome (stored, duplicate)',
    labelNames: ['kind', 'outcome'] as const,
    registers: registry ? [registry] : [],
  })
  return bus.subscribe('ingester', ingesterTopics, async (batch: BusBatch) => {
    await tracer.startActiveSpan(
      'ingester.store',
      { attributes: { 'messaging.destination.name': batch.topic } },
      async (span) => {
        try {
          const kind = kindByTopic.get(batch.topic)
          if (kind) {
            const events: AnyEvent[] = []
            const poison: { key: string; value: unknown }[] = []
            for (const message of batch.messages) {
              const problem = storedEventProblem(message.value)
              if (problem) {
                poison.push({
                  key: message.key,
                  value: {
                    topic: batch.topic,
                    position: batch.position,
                    reason: problem,
                    message: message.value,
                  },
                })
              } else events.push(message.value as AnyEvent)
            }
            // A message that can never be stored must not block its partition: park it, with why,
            // on the dead-letter topic and in the quarantine table (nothing is dropped unseen).
            if (poison.length > 0) {
              const where = batch.position
                ? `${batch.topic}/${batch.position.partition}/${batch.position.firstOffset}-${batch.position.lastOffset}`
                : batch.topic
              const records: QuarantinedRecord[] = poison.map((item, index) => {
                const value = item.value as { reason: string; message: unknown }
                const tenant = (value.message as { tenant?: unknown } | null)?.tenant
                return {
                  tenant: typeof tenant === 'string' ? tenant : '',
                  kind: `dead-letter:${batch.topic}`,
                  line: index + 1,
                  raw: JSON.stringify(value.message) ?? 'undefined',
                  reason: value.reason,
                  request_id: where,
                  received_at: Date.now(),
                }
              })
              await stores.quarantine.write(records)
              await bus.publish(topics.deadLetter, poison)
            }
            stored.inc({ kind, outcome: 'dead_letter' }, poison.length)
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
          } else if (batch.topic === topics.findings) {
            const fresh = await stores.findings.write(
              batch.messages.map((message) => message.value as Finding),
            )
            stored.inc({ kind: 'finding', outcome: 'stored' }, fresh.length)
          }
        } finally {
          span.end()
        }
      },
    )
  })
}
