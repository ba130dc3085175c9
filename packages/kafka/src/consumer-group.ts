import type { BatchHandler, BusMessage, DeadLetterRecord, SubscribeOptions } from '@palisade/bus'
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs'
import type { Gauge } from 'prom-client'
import { decodeBatch, parkDeadLetters } from './dead-letter.ts'
import { KafkaHandlerFailedError } from './errors.ts'
import type { BusLog } from './producer.ts'
import type { TopicAdmin } from './topic-admin.ts'

/** One member of a consumer group, joined in the background. */
export interface ConsumerGroupMember {
  /** True while its consumer is connected. */
  connected(): boolean
  /** Stop: waits for the join in progress and the batch in hand, then leaves the group. */
  close(): Promise<void>
}

/** What a member needs around it. */
export interface ConsumerGroupOptions<T> {
  group: string
  topics: string[]
  handle: BatchHandler<T>
  subscribe: SubscribeOptions
  topicAdmin: TopicAdmin
  /** Publishes dead-letter records (the bus's producer). */
  publish: (topic: string, messages: BusMessage<DeadLetterRecord>[]) => Promise<void>
  /** Consumer lag per group, topic and partition. */
  lag: Gauge<'group' | 'topic' | 'partition'>
  log: BusLog
  /** True once the bus is closing: stop rejoining. */
  busClosed(): boolean
  /** Clock for `parked_at`, epoch ms. */
  now: () => number
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref())
const backoffMs = (attempt: number) => Math.min(5000, 200 * 2 ** Math.min(attempt, 5))

/**
 * Join consumer group `group` on `topics`. Batches are read per partition, decoded and checked
 * once (what fails is parked on the dead-letter topic), handed to `handle`, and committed only
 * after it resolved: a crash redelivers, never loses. Joining runs in the background, retried with
 * backoff: a broker down at start makes the process not ready, not dead; and a member that kafkajs
 * gave up on joins again from scratch.
 */
export function joinConsumerGroup<T>(kafka: Kafka, options: ConsumerGroupOptions<T>): ConsumerGroupMember {
  const { group, log } = options
  let consumer: Consumer | undefined
  let connected = false
  let stopped = false

  async function attach(onGivenUp: () => void): Promise<void> {
    await options.topicAdmin.ensure(options.topics)
    // Closed while the topics were being ensured: do not join after all.
    if (stopped) return
    const created = kafka.consumer({
      groupId: group,
      sessionTimeout: 6000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 500,
      maxBytesPerPartition: 4 * 1024 * 1024,
      retry: { initialRetryTime: 200, maxRetryTime: 2000, retries: 15 },
    })
    consumer = created
    created.on(created.events.CONNECT, () => (connected = true))
    // Emitted after every join (start and rebalance), before batches of the new assignment.
    created.on(created.events.GROUP_JOIN, () => options.subscribe.onRebalance?.())
    created.on(created.events.DISCONNECT, () => (connected = false))
    created.on(created.events.CRASH, (event) => {
      connected = false
      log.error(
        `consumer group ${group} crashed (${event.payload.restart ? 'restarting' : 'stopped'}): ${event.payload.error}`,
      )
      // kafkajs gives up for good on some errors; a member that stops consuming while its process
      // looks alive is the worst outcome, so join again from scratch.
      if (!event.payload.restart) onGivenUp()
    })
    await created.connect()
    connected = true
    await created.subscribe({ topics: options.topics, fromBeginning: true })
    await created.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => handleBatch(created, payload),
    })
  }

  async function handleBatch(
    from: Consumer,
    { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload,
  ): Promise<void> {
    if (!isRunning() || isStale() || batch.messages.length === 0) return
    const decoded = decodeBatch(
      { topic: batch.topic, partition: batch.partition, group },
      batch.messages,
      options.now,
    )
    if (decoded.deadLetters.length > 0) {
      await parkDeadLetters(options.publish, decoded.deadLetters, (message) =>
        log.warn(`consumer group ${group}: ${message}`),
      )
    }
    if (decoded.messages.length > 0) {
      // kafkajs heartbeats only when asked: keep the membership alive through a slow insert.
      const beat = setInterval(() => void heartbeat().catch(() => {}), 1000)
      try {
        await options.handle({
          topic: batch.topic,
          messages: decoded.messages as BusMessage<T>[],
          position: {
            partition: batch.partition,
            firstOffset: batch.firstOffset()!,
            lastOffset: batch.lastOffset(),
          },
        })
      } catch (error) {
        throw new KafkaHandlerFailedError(group, batch.topic, error)
      } finally {
        clearInterval(beat)
      }
    }
    if (isStale()) return
    const last = batch.lastOffset()
    resolveOffset(last)
    // Committed only now, after the handler stored the batch: a crash before this redelivers it.
    await from.commitOffsets([
      { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
    ])
    options.lag.set(
      { group, topic: batch.topic, partition: String(batch.partition) },
      Number(batch.offsetLag()),
    )
    await heartbeat()
  }

  const join = async () => {
    for (let attempt = 1; !stopped && !options.busClosed(); attempt++) {
      try {
        await attach(rejoin)
        return
      } catch (error) {
        connected = false
        await consumer?.disconnect().catch(() => {})
        consumer = undefined
        log.warn(
          `consumer group ${group} cannot join (attempt ${attempt}), retrying: ${(error as Error).message}`,
        )
        await sleep(backoffMs(attempt))
      }
    }
  }
  function rejoin(): void {
    if (stopped || options.busClosed()) return
    const previous = consumer
    consumer = undefined
    joined = (async () => {
      await previous?.disconnect().catch(() => {})
      await join()
    })()
  }
  let joined = join()

  return {
    connected: () => connected,
    async close() {
      stopped = true
      // Leaving first also cuts short a join that is still retrying against an absent broker.
      const wasConnected = connected
      await consumer?.disconnect().catch(() => {})
      // Not yet joined (brokers unreachable): no batch is in hand, and the join may sit in the
      // topic admin's connect retries for 20 s; waiting for it would hold a SIGTERM that long.
      if (wasConnected) await joined
      await consumer?.disconnect()
    },
  }
}
