import { type BusMessage, type DeadLetterRecord, readMessage, tenantNamedBy, topics } from '@palisade/bus'
import type { KafkaMessage } from 'kafkajs'

/** Where a batch was read: its topic and partition, and the group reading it. */
export interface BatchOrigin {
  topic: string
  partition: number
  group: string
}

/** A batch as it came off the wire, split into what its consumers take and what is parked. */
export interface DecodedBatch {
  messages: BusMessage[]
  deadLetters: DeadLetterRecord[]
}

/**
 * Decode a batch at the bus edge, once: JSON, then checked against what its topic carries
 * (`readMessage`). A message that fails becomes a dead-letter record with its bytes as received,
 * so that it neither blocks its partition nor disappears.
 */
export function decodeBatch(origin: BatchOrigin, messages: KafkaMessage[], now: () => number): DecodedBatch {
  const decoded: DecodedBatch = { messages: [], deadLetters: [] }
  for (const message of messages) {
    const key = message.key?.toString('utf8') ?? ''
    const raw = message.value?.toString('utf8') ?? ''
    let value: unknown
    let problem: string | undefined
    try {
      value = JSON.parse(raw)
      const reading = readMessage(origin.topic, value)
      if (reading.ok) decoded.messages.push({ key, value: reading.value })
      else problem = reading.problem
    } catch (error) {
      problem = `not JSON: ${(error as Error).message}`
    }
    if (problem === undefined) continue
    decoded.deadLetters.push({
      topic: origin.topic,
      group: origin.group,
      reason: problem,
      raw,
      key,
      tenant: tenantNamedBy(value),
      partition: origin.partition,
      offset: message.offset,
      parked_at: now(),
    })
  }
  return decoded
}

/**
 * Park dead-letter records on the dead-letter topic, keyed like the messages they stand for. One
 * that came from the dead-letter topic itself is not parked again (that would loop): it is only
 * reported.
 */
export async function parkDeadLetters(
  publish: (topic: string, messages: BusMessage<DeadLetterRecord>[]) => Promise<void>,
  records: DeadLetterRecord[],
  report: (message: string) => void,
): Promise<void> {
  const parkable = records.filter((record) => record.topic !== topics.deadLetter)
  for (const record of records) {
    if (record.topic === topics.deadLetter)
      report(`unreadable dead-letter record at offset ${record.offset} skipped: ${record.reason}`)
  }
  await publish(
    topics.deadLetter,
    parkable.map((record) => ({ key: record.key, value: record })),
  )
}
