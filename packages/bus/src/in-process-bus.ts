import { AsyncLocalStorage } from 'node:async_hooks'
import {
  type BatchHandler,
  type Bus,
  type BusBatch,
  type BusMessage,
  type Subscription,
  topics,
} from './bus.ts'
import { type DeadLetterRecord, tenantNamedBy } from './dead-letter.ts'
import { BusClosedError, ConsumerGroupTakenError, DeliveryFailedError, TopicCycleError } from './errors.ts'
import { readMessage } from './message-contracts.ts'

/** Settings of {@link createInProcessBus}; every one has a default. */
export interface InProcessBusOptions {
  /**
   * The groups a publish waits for: the store's, so that a request is answered once its events are
   * stored (default: every group, which suits a test that reads what it published right away).
   * The others consume behind, from a bounded queue of their own, and never fail a publish.
   */
  acknowledgingGroups?: readonly string[]
  /**
   * Acknowledging groups whose handler may take a batch before the previous one is handled: a
   * handler whose stores order their own writes (the ingester's writers look up, then insert, one
   * table at a time, and commit what queued meanwhile as one insert). Default: none, batches one at
   * a time in publish order.
   */
  concurrentGroups?: readonly string[]
  /** Batches a group behind may have queued before publishers wait for it (default 64). */
  maxQueuedBatches?: number
  /**
   * Messages a group behind may have queued before publishers wait for it (default: no bound but
   * the batches'). What bounds memory and lag when batches are large (10,000 events a request).
   */
  maxQueuedMessages?: number
  /** Tries of a batch by a group behind before it is parked on the dead-letter topic (default 5). */
  maxAttempts?: number
  /** Wait before try `attempt + 1` of a failed batch, ms (default 100·2^attempt, at most 5 s). */
  retryDelayMs?: (attempt: number) => number
  /** Told of every failed try by a group behind (nothing else sees it: no publisher waits). */
  onBehindFailure?: (failure: DeliveryFailedError) => void
  /** Clock for `parked_at`, epoch ms (default `Date.now`). */
  now?: () => number
}

/** The in-process bus, with how far each group behind is. */
export interface InProcessBus extends Bus {
  /** Batches queued per group behind (groups that acknowledge have none). */
  queuedBatches(): Map<string, number>
}

interface Group {
  name: string
  topics: Set<string>
  handle: BatchHandler
  acknowledging: boolean
  closed: boolean
  /**
   * Acknowledging groups: batches run one at a time, in publish order, like one Kafka partition;
   * for a concurrent group, the batches in hand, all of them.
   */
  tail: Promise<unknown>
  concurrent: boolean
  /** Groups behind: batches taken but not yet handled, oldest first. */
  queue: BusBatch[]
  /** Messages in `queue`. */
  queuedMessages: number
  /** Publishers waiting for room in `queue`. */
  waitingForRoom: (() => void)[]
  /** The loop working through `queue`, while it runs. */
  draining: Promise<void> | undefined
}

/**
 * The embedded default's bus: one process, no broker. Each message is checked against its topic
 * once, at publish (what fails is parked on the dead-letter topic). A publish resolves when every
 * acknowledging group has handled the batch, and rejects when one failed (the caller did not get
 * its events stored and must say so). Groups behind queue the batch and resolve the publish at
 * once; when a group's queue is full the publisher waits (backpressure, so lag stays bounded). A
 * group behind retries a failed batch with backoff and, after `maxAttempts`, parks it on the
 * dead-letter topic with the reason and moves on.
 */
export function createInProcessBus(options: InProcessBusOptions = {}): InProcessBus {
  const groups = new Map<string, Group>()
  /** Closing: refuses publishes from outside, while groups finish what they hold (and may publish). */
  let closing = false
  let closed = false
  const inFlight = new Set<Promise<unknown>>()
  /** The group whose handler is running, to refuse a handler publishing to its own topics. */
  const handling = new AsyncLocalStorage<Group>()
  const maxQueued = options.maxQueuedBatches ?? 64
  const maxQueuedMessages = options.maxQueuedMessages ?? Number.POSITIVE_INFINITY
  const maxAttempts = options.maxAttempts ?? 5
  const retryDelayMs = options.retryDelayMs ?? ((attempt: number) => Math.min(5000, 100 * 2 ** attempt))
  const now = options.now ?? Date.now

  function deliverNow(group: Group, batch: BusBatch): Promise<void> {
    const run = group.concurrent
      ? handling.run(group, () => group.handle(batch))
      : group.tail.then(() => handling.run(group, () => group.handle(batch)))
    const settled = run.catch(() => undefined)
    group.tail = group.concurrent ? Promise.all([group.tail, settled]) : settled
    return run.catch((error: unknown) => {
      throw new DeliveryFailedError(group.name, batch.topic, error)
    })
  }

  async function enqueue(group: Group, batch: BusBatch): Promise<void> {
    // A batch larger than the message bound still goes in alone, once the queue is empty.
    while (
      group.queue.length >= maxQueued ||
      (group.queue.length > 0 && group.queuedMessages + batch.messages.length > maxQueuedMessages)
    )
      await new Promise<void>((resolve) => group.waitingForRoom.push(resolve))
    group.queue.push(batch)
    group.queuedMessages += batch.messages.length
    // Outside the publisher's context: the loop belongs to the group, not to whoever woke it.
    group.draining ??= handling.exit(() => drain(group))
  }

  async function drain(group: Group): Promise<void> {
    for (let batch = group.queue.shift(); batch; batch = group.queue.shift()) {
      group.queuedMessages -= batch.messages.length
      group.waitingForRoom.shift()?.()
      await handleBehind(group, batch)
    }
    group.draining = undefined
  }

  async function handleBehind(group: Group, batch: BusBatch): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await handling.run(group, () => group.handle(batch))
        return
      } catch (error) {
        const failure = new DeliveryFailedError(group.name, batch.topic, error)
        options.onBehindFailure?.(failure)
        if (attempt >= maxAttempts || closed) {
          await park(batch, [group.name], `${failure.message} (${attempt} tries)`)
          return
        }
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs(attempt)).unref())
      }
    }
  }

  /** Put messages nobody could use on the dead-letter topic, unless that is where they came from. */
  async function park(batch: BusBatch, groupNames: string[], reason: string | string[]): Promise<void> {
    if (batch.topic === topics.deadLetter || closed) return
    const records = batch.messages.map(
      (message, index): BusMessage<DeadLetterRecord> => ({
        key: message.key,
        value: {
          topic: batch.topic,
          group: groupNames.join(','),
          reason: typeof reason === 'string' ? reason : (reason[index] ?? ''),
          raw: JSON.stringify(message.value) ?? String(message.value),
          key: message.key,
          tenant: tenantNamedBy(message.value),
          parked_at: now(),
        },
      }),
    )
    await publish(topics.deadLetter, records, { fromInside: true }).catch((error: unknown) => {
      options.onBehindFailure?.(new DeliveryFailedError('dead-letter', batch.topic, error))
    })
  }

  async function publish<T>(
    topic: string,
    messages: BusMessage<T>[],
    from: { fromInside?: boolean } = {},
  ): Promise<void> {
    const publisher = handling.getStore()
    if (closed || (closing && !publisher && !from.fromInside)) throw new BusClosedError()
    if (messages.length === 0) return
    if (publisher?.topics.has(topic)) throw new TopicCycleError(publisher.name, topic)
    const readers = [...groups.values()].filter((group) => !group.closed && group.topics.has(topic))
    const checked: BusMessage[] = []
    const unusable: BusMessage[] = []
    const problems: string[] = []
    for (const message of messages) {
      const reading = readMessage(topic, message.value)
      // The message itself when its value passed as it is (no copy per message on the ingest path).
      if (reading.ok)
        checked.push(reading.value === message.value ? message : { key: message.key, value: reading.value })
      else {
        unusable.push(message)
        problems.push(reading.problem)
      }
    }
    const batch: BusBatch = { topic, messages: checked }
    const delivered = Promise.all([
      ...(checked.length === 0
        ? []
        : readers.map((group) => (group.acknowledging ? deliverNow(group, batch) : enqueue(group, batch)))),
      unusable.length === 0
        ? undefined
        : park(
            { topic, messages: unusable },
            readers.map((group) => group.name),
            problems,
          ),
    ])
    inFlight.add(delivered)
    try {
      await delivered
    } finally {
      inFlight.delete(delivered)
    }
  }

  return {
    publish: (topic, messages) => publish(topic, messages),

    async subscribe(name, topicNames, handle) {
      if (closed) throw new BusClosedError()
      const existing = groups.get(name)
      if (existing && !existing.closed) throw new ConsumerGroupTakenError(name)
      const group: Group = {
        name,
        topics: new Set(topicNames),
        handle: handle as BatchHandler,
        acknowledging: options.acknowledgingGroups?.includes(name) ?? true,
        concurrent: options.concurrentGroups?.includes(name) ?? false,
        closed: false,
        tail: Promise.resolve(),
        queue: [],
        queuedMessages: 0,
        waitingForRoom: [],
        draining: undefined,
      }
      groups.set(name, group)
      const subscription: Subscription = {
        // Finishes what the group has taken (its queue too), then takes nothing more.
        async close() {
          group.closed = true
          await group.tail
          await group.draining
        },
      }
      return subscription
    },

    queuedBatches() {
      const queued = new Map<string, number>()
      for (const group of groups.values())
        if (!group.acknowledging) queued.set(group.name, group.queue.length)
      return queued
    },

    async close() {
      closing = true
      await Promise.allSettled([...inFlight])
      // Groups behind finish their queues (their handlers may still publish, their failures park).
      // Until all are idle: one group's handler may fill another's queue.
      for (let busy = [...groups.values()]; busy.length > 0; ) {
        await Promise.allSettled([...busy.map((group) => group.draining), ...inFlight])
        busy = [...groups.values()].filter((group) => group.draining || group.queue.length > 0)
      }
      closed = true
      for (const group of groups.values()) {
        group.closed = true
        await group.tail
        await group.draining
      }
    },
  }
}
