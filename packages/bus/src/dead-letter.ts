/**
 * A message a consumer could not use, parked on `palisade.dead-letter.v1` with the reason, so that
 * it neither blocks its partition nor disappears: the ingester keeps every one in the quarantine
 * table. The one shape every writer uses (the Kafka bus's decoder, the in-process bus, a group that
 * kept failing on a batch).
 */
export interface DeadLetterRecord {
  /** The topic the message was read from. */
  topic: string
  /** The consumer group that could not use it. */
  group: string
  /** Why it could not be used. */
  reason: string
  /** The message as received: its bytes as UTF-8 text (Kafka), or its value as JSON (in-process). */
  raw: string
  /** The message's key ('' when it had none). */
  key: string
  /** The tenant the message names, '' when it names none (it may not even be JSON). */
  tenant: string
  /** Where it sits in the log (Kafka); absent in-process. */
  partition?: number
  /** Its offset in that partition (Kafka); absent in-process. */
  offset?: string
  /** When it was parked, epoch ms. */
  parked_at: number
}

/** The tenant a decoded message names, '' when it names none. */
export function tenantNamedBy(value: unknown): string {
  const tenant = (value as { tenant?: unknown } | null | undefined)?.tenant
  return typeof value === 'object' && typeof tenant === 'string' ? tenant : ''
}

/**
 * A dead-letter record read back from the topic, in today's shape. Records parked before the shape
 * was unified are read too: the Kafka decoder's (`offset`, `raw`, no `tenant`) and the ingester's
 * (`position` and the decoded `message` instead of `raw`). Undefined when it is neither.
 */
export function readDeadLetter(value: unknown): DeadLetterRecord | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined
  const record = value as Record<string, unknown>
  if (typeof record.topic !== 'string' || typeof record.reason !== 'string') return undefined
  const legacyPosition = record.position as { partition?: unknown } | undefined
  const raw =
    typeof record.raw === 'string'
      ? record.raw
      : 'message' in record
        ? (JSON.stringify(record.message) ?? 'undefined')
        : undefined
  if (raw === undefined) return undefined
  const partition = typeof record.partition === 'number' ? record.partition : legacyPosition?.partition
  // The ingester's old records named the batch's offset range, not the message's: no offset then.
  const offset = typeof record.offset === 'string' ? record.offset : undefined
  return {
    topic: record.topic,
    group: typeof record.group === 'string' ? record.group : 'ingester',
    reason: record.reason,
    raw,
    key: typeof record.key === 'string' ? record.key : '',
    tenant: typeof record.tenant === 'string' ? record.tenant : tenantNamedBy(record.message),
    ...(typeof partition === 'number' ? { partition } : {}),
    ...(typeof offset === 'string' ? { offset } : {}),
    parked_at: typeof record.parked_at === 'number' ? record.parked_at : 0,
  }
}
