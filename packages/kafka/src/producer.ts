import { BusClosedError, type BusMessage } from '@palisade/bus'
import { CompressionTypes, type Kafka, type Producer } from 'kafkajs'
import { KafkaBackloggedError, KafkaPublishTimeoutError } from './errors.ts'
import { keyPartitioner } from './key-partitioner.ts'
import type { TopicAdmin } from './topic-admin.ts'

/** Where the bus's parts report. */
export interface BusLog {
  info(message: string): void
  warn(message: string): void
  error(message: string): void
}

/** Publishes to Kafka through one idempotent producer, one produce request at a time. */
export interface BusProducer {
  /** Resolves once every broker in sync holds the messages (acks=all). */
  publish<T>(topic: string, messages: BusMessage<T>[]): Promise<void>
  /** Connect now (retried with backoff until it works or the producer closes). */
  connect(): Promise<void>
  /** True while the producer is connected. */
  connected(): boolean
  /** Refuses new publishes, lets the batch in flight finish (at most the publish timeout), disconnects. */
  close(): Promise<void>
}

/** Settings of {@link createBusProducer}. */
export interface BusProducerOptions {
  topicAdmin: TopicAdmin
  log: BusLog
  /** A publish not acknowledged within this is failed, ms. */
  publishTimeoutMs: number
  /** Largest uncompressed size of one produce request, bytes (under the brokers' `message.max.bytes`). */
  maxChunkBytes: number
  /** Publishes queued or in flight (a timed-out one may still be) before new ones are refused. */
  maxPendingPublishes: number
}

/** One caller's publish, waiting in the queue or (partly) sent. */
export interface Pending {
  topic: string
  messages: { key: string; value: string; bytes: number }[]
  /** Messages already handed to a produce request that succeeded. */
  sent: number
  inFlight: boolean
  resolve(): void
  reject(error: unknown): void
}

/** Per-message overhead on the wire besides key and value (record header, lengths), bytes. */
const recordOverheadBytes = 64

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref())
const backoffMs = (attempt: number) => Math.min(5000, 200 * 2 ** Math.min(attempt, 5))

/** One produce request: how far it takes each caller's publish, and its messages per topic. */
export interface ProduceRequest {
  slices: { pending: Pending; to: number }[]
  byTopic: Map<string, Pending['messages']>
}

/**
 * The next produce request: the messages of the callers at the head of the queue, in order, up to
 * `maxBytes` (at least one message, even one over it: the broker says if it is too big). A publish
 * that does not fit whole ends the request; the next one carries on from where it stopped.
 */
export function nextProduceRequest(queue: readonly Pending[], maxBytes: number): ProduceRequest {
  const slices: ProduceRequest['slices'] = []
  const byTopic: ProduceRequest['byTopic'] = new Map()
  let bytes = 0
  for (const pending of queue) {
    let to = pending.sent
    while (to < pending.messages.length) {
      const message = pending.messages[to]!
      if (bytes > 0 && bytes + message.bytes > maxBytes) break
      bytes += message.bytes
      to++
    }
    if (to === pending.sent) break
    slices.push({ pending, to })
    const list = byTopic.get(pending.topic) ?? []
    list.push(...pending.messages.slice(pending.sent, to))
    byTopic.set(pending.topic, list)
    if (to < pending.messages.length) break
  }
  return { slices, byTopic }
}

/** Messages encoded between two yields to the event loop (see {@link encodeMessages}). */
const messagesPerSlice = 250

/**
 * Each message's value as JSON (its own text when it came with one), with its size on the wire. A large publish is encoded in slices
 * with a yield to the event loop between them, so that the send loop sees the brokers'
 * acknowledgement of the request in flight at once and sends the next (one request in flight:
 * every moment the loop waits is a moment the broker idles).
 */
export async function encodeMessages<T>(messages: BusMessage<T>[]): Promise<Pending['messages']> {
  const encoded: Pending['messages'] = new Array(messages.length)
  for (let i = 0; i < messages.length; i++) {
    if (i > 0 && i % messagesPerSlice === 0) await new Promise((resolve) => setImmediate(resolve))
    const { key, value, json: given } = messages[i]!
    // The publisher's own text when it has one (the client's line, validated): not encoded again.
    const json = given ?? JSON.stringify(value)
    encoded[i] = {
      key,
      value: json,
      bytes: Buffer.byteLength(json) + Buffer.byteLength(key) + recordOverheadBytes,
    }
  }
  return encoded
}

/**
 * The bus's producer. kafkajs's idempotent producer is only safe with one produce request in
 * flight: concurrent `send` calls can fail with "out of order sequence number" or lose messages
 * (kafkajs issues #598 and #1005). So every publish joins one queue, and a single loop sends it:
 * each request carries the messages of every caller waiting (coalesced, up to `maxChunkBytes`),
 * and the next request leaves only after the brokers acknowledged the previous one. A publish
 * larger than one request goes out in several, one after another, which keeps each key in order.
 */
export function createBusProducer(kafka: Kafka, options: BusProducerOptions): BusProducer {
  const queue: Pending[] = []
  let unsettled = 0
  let closed = false
  let connected = false
  let producer: Producer | undefined
  let producerReady: Promise<Producer> | undefined
  let sending: Promise<void> | undefined

  /** The producer, connected: retried with backoff for as long as it takes (a broker down at start). */
  function connectedProducer(): Promise<Producer> {
    producerReady ??= (async () => {
      for (let attempt = 1; ; attempt++) {
        if (closed) throw new BusClosedError()
        try {
          const created = kafka.producer({
            idempotent: true,
            maxInFlightRequests: 1,
            // The idempotent producer keeps order and avoids duplicates only if it never gives up.
            retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 2000 },
            // The default partitioner's choice, remembered per key (see keyPartitioner).
            createPartitioner: keyPartitioner,
          })
          created.on(created.events.CONNECT, () => (connected = true))
          created.on(created.events.DISCONNECT, () => (connected = false))
          await created.connect()
          connected = true
          producer = created
          return created
        } catch (error) {
          options.log.warn(
            `cannot connect the producer to Kafka (attempt ${attempt}), retrying: ${(error as Error).message}`,
          )
          await sleep(backoffMs(attempt))
        }
      }
    })()
    return producerReady
  }

  function settle(pending: Pending, error?: unknown): void {
    const index = queue.indexOf(pending)
    if (index >= 0) queue.splice(index, 1)
    if (error === undefined) pending.resolve()
    else pending.reject(error)
  }

  async function sendQueued(): Promise<void> {
    while (queue.length > 0) {
      let connectedNow: Producer
      try {
        connectedNow = await connectedProducer()
      } catch (error) {
        for (const pending of [...queue]) settle(pending, error)
        return
      }
      const { slices, byTopic } = nextProduceRequest(queue, options.maxChunkBytes)
      if (slices.length === 0) return
      for (const { pending } of slices) pending.inFlight = true
      try {
        await connectedNow.sendBatch({
          acks: -1,
          compression: CompressionTypes.GZIP,
          // The queued messages as they are: kafkajs reads key and value and ignores `bytes`.
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        })
        for (const { pending, to } of slices) {
          pending.sent = to
          pending.inFlight = false
          if (to === pending.messages.length) settle(pending)
        }
      } catch (error) {
        // kafkajs gave up on the request (it retries retriable errors itself): its callers are told.
        for (const { pending } of slices) settle(pending, error)
      }
    }
  }

  /** Start the send loop unless it runs; a publish queued as it was ending starts it again. */
  function startSending(): void {
    sending ??= sendQueued().finally(() => {
      sending = undefined
      if (queue.length > 0 && !closed) startSending()
    })
  }

  return {
    async publish(topic, messages) {
      if (closed) throw new BusClosedError()
      if (messages.length === 0) return
      // A timed-out publish may still be in kafkajs's hands; while the brokers are away, refuse new
      // publishes beyond a bound instead of piling them up (memory stays bounded).
      if (unsettled >= options.maxPendingPublishes) throw new KafkaBackloggedError(topic, unsettled)
      unsettled++
      let timer: NodeJS.Timeout | undefined
      let pending: Pending | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const timedOut = new KafkaPublishTimeoutError(topic, options.publishTimeoutMs)
          // Not yet handed to Kafka: drop it, so that what the caller was told failed is not stored.
          if (pending && !pending.inFlight && pending.sent === 0) settle(pending, timedOut)
          reject(timedOut)
        }, options.publishTimeoutMs)
      })
      const published = (async () => {
        const [encoded] = await Promise.all([encodeMessages(messages), options.topicAdmin.ensure([topic])])
        if (closed) throw new BusClosedError()
        await new Promise<void>((resolve, reject) => {
          pending = {
            topic,
            messages: encoded,
            sent: 0,
            inFlight: false,
            resolve,
            reject,
          }
          queue.push(pending)
          startSending()
        })
      })()
      published.then(
        () => unsettled--,
        () => unsettled--,
      )
      try {
        await Promise.race([published, timeout])
      } finally {
        clearTimeout(timer)
        // A publish that lost the race may still fail later; it has been reported already.
        published.catch(() => {})
        timeout.catch(() => {})
      }
    },

    connect: async () => void (await connectedProducer()),
    connected: () => connected,

    async close() {
      closed = true
      const inFlight = queue.filter((pending) => pending.inFlight)
      for (const pending of queue.filter((item) => !item.inFlight)) settle(pending, new BusClosedError())
      queue.splice(0, queue.length, ...inFlight)
      if (sending) await Promise.race([sending, sleep(options.publishTimeoutMs)])
      if (producer) await producer.disconnect()
    },
  }
}
