/** One message on a topic. `key` keeps one identity's messages in order (one Kafka partition). */
export interface BusMessage<T = unknown> {
  key: string
  value: T
  /**
   * The value as JSON text, when the publisher has it already (the collector: the client's own
   * line, completed by validation): Kafka sends it as the message instead of encoding the value,
   * and the store takes it as the row. It must parse to `value`.
   */
  json?: string
}

/** A batch handed to a consumer: messages of one topic, in publish order. */
export interface BusBatch<T = unknown> {
  topic: string
  messages: BusMessage<T>[]
  /**
   * Where the batch sits in a durable log (Kafka: partition and offset range), so that a consumer
   * can name its writes after it (an insert deduplication token). Absent in-process.
   */
  position?: { partition: number; firstOffset: string; lastOffset: string }
}

/** What a consumer group does with each batch; resolving commits it, rejecting retries it. */
export type BatchHandler<T = unknown> = (batch: BusBatch<T>) => Promise<void>

/** Options of a subscription. */
export interface SubscribeOptions {
  /**
   * Called when this member's partitions may have changed (it joined the group, or the group
   * rebalanced), before it handles batches of the new assignment: keyed state is reloaded here.
   */
  onRebalance?: () => void
}

/** A consumer group's subscription. */
export interface Subscription {
  /** Stop receiving; waits for the batch in hand to finish. */
  close(): Promise<void>
}

/**
 * The bus between the apps. `publish` resolves once the bus holds the messages durably: with Kafka,
 * once the brokers acknowledged them; in-process, once the acknowledging groups (the store's) have
 * handled them, which is what lets the collector acknowledge a request only after its events are
 * stored. Consumers receive values already decoded and checked against their topic (see
 * `readMessage`); what fails the check is parked on the dead-letter topic instead.
 */
export interface Bus {
  publish<T>(topic: string, messages: BusMessage<T>[]): Promise<void>
  /**
   * When set, a publisher with many messages (the collector with a 10,000-event body) should hand
   * them over in publishes of about this many as they are ready rather than all at once: a bus
   * that sends over the network (Kafka, one produce request in flight) then sends the first while
   * the rest is still being validated. Absent (in-process): one publish per batch, since each
   * publish there becomes a store insert and the store wants few large ones.
   */
  readonly publishSliceSize?: number
  /** Join consumer group `group` on `topics`: each batch goes to one member of each group. */
  subscribe<T>(
    group: string,
    topics: string[],
    handle: BatchHandler<T>,
    options?: SubscribeOptions,
  ): Promise<Subscription>
  close(): Promise<void>
}

/** Topic names, versioned so that a schema change is a new topic rather than a surprise. */
export const topics = {
  events: (kind: string) => `palisade.${kind}.v1`,
  /** The detectors' findings (the risk scorer reads them). */
  findings: 'palisade.findings.v1',
  /** The risk scorer's findings, on their own topic so that no stage reads what it writes. */
  riskFindings: 'palisade.risk-findings.v1',
  /**
   * Events re-published for detectors keyed other than by the event's partition key (password
   * spray by client IP, cross-source patterns by tenant), keyed by the detector's key.
   */
  rekeyed: 'palisade.detector-rekeyed.v1',
  alerts: 'palisade.alerts.v1',
  /** Records the collector could not read or validate, on their way to the quarantine table. */
  quarantine: 'palisade.quarantine.v1',
  /** Messages a consumer could not use, each a `DeadLetterRecord` with the reason. */
  deadLetter: 'palisade.dead-letter.v1',
} as const
