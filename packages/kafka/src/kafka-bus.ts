import {
  type BatchHandler,
  type Bus,
  BusClosedError,
  type BusMessage,
  type SubscribeOptions,
  type Subscription,
  topics,
} from '@palisade/bus'
import {
  CompressionTypes,
  type Consumer,
  type EachBatchPayload,
  Kafka,
  type KafkaConfig,
  logLevel,
  Partitioners,
  type Producer,
} from 'kafkajs'
import { Gauge, type Registry } from 'prom-client'
import { KafkaBackloggedError, KafkaPublishTimeoutError } from './errors.ts'

/** Settings of {@link createKafkaBus}. */
export interface KafkaBusOptions {
  /** `host:port` of one or more brokers. */
  brokers: string[]
  /** Names this process to the brokers (default `palisade`). */
  clientId?: string
  /** Partitions of the topics this bus creates (default 6): the unit of consumer scale-out. */
  partitions?: number
  /** Replication factor of the topics it creates (default 1; 3 on a real cluster). */
  replicationFactor?: number
  /** A publish not acknowledged by the brokers within this is failed (default 30 s), ms. */
  publishTimeoutMs?: number
  /** Largest uncompressed size of one produce request, bytes (default 768 KiB, under the brokers' 1 MiB). */
  maxChunkBytes?: number
  /** Publishes still in kafkajs's hands (a timed-out one keeps retrying) before new ones are refused (default 32). */
  maxUnsettledSends?: number
  /** How often readiness asks the cluster whether it is there, ms (default 2 s). */
  readinessProbeMs?: number
  /** Registry for consumer-lag gauges. */
  registry?: Registry
  /** Where the bus and kafkajs report (default: stderr). */
  log?: { info(message: string): void; warn(message: string): void; error(message: string): void }
  /** Extra client settings (TLS, SASL), passed to kafkajs as they are. */
  client?: Pick<KafkaConfig, 'ssl' | 'sasl'>
}

/** A Kafka bus, with readiness for `/readyz`. */
export interface KafkaBus extends Bus {
  /** True while the producer and every consumer are connected. */
  connected(): boolean
}

const levels: Record<number, 'error' | 'warn' | 'info'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
}

/**
 * The bus over Kafka (kafkajs). `publish` resolves once every broker in sync has the messages
 * (idempotent producer, acks=all), so a collector answering after it has lost nothing a crash could
 * take. Consumers read in batches per partition, commit a batch's offsets only after the handler
 * resolved, and so redeliver (never lose) what a crash interrupted. Topics are created on first use
 * with `partitions` partitions; keys keep one identity in one partition.
 */
export function createKafkaBus(options: KafkaBusOptions): KafkaBus {
  const log = options.log ?? {
    info: (message: string) => process.stderr.write(`kafka: ${message}\n`),
    warn: (message: string) => process.stderr.write(`kafka warning: ${message}\n`),
    error: (message: string) => process.stderr.write(`kafka error: ${message}\n`),
  }
  const kafka = new Kafka({
    clientId: options.clientId ?? 'palisade',
    brokers: options.brokers,
    ...options.client,
    // Short steps, many of them: a broker restart takes seconds and must not fail what is in flight.
    retry: { initialRetryTime: 200, maxRetryTime: 2000, retries: 15 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }) => {
        const name = levels[level]
        if (name) log[name](`${entry.message}${entry.error ? `: ${entry.error}` : ''}`)
      },
  })
  const admin = kafka.admin()
  let producer: Producer | undefined
  let producerReady: Promise<Producer> | undefined
  let producerConnected = false
  const consumers = new Map<string, { consumer: Consumer | undefined; connected: boolean }>()
  const knownTopics = new Set<string>()
  let closed = false
  let brokersReachable = true
  let unsettledSends = 0
  let stopProbe: () => Promise<void> = async () => {}
  const lag = new Gauge({
    name: 'palisade_consumer_lag_messages',
    help: 'Messages behind the end of the partition, per consumer group, topic and partition',
    labelNames: ['group', 'topic', 'partition'] as const,
    registers: options.registry ? [options.registry] : [],
  })

  async function ensureTopics(names: string[]): Promise<void> {
    const missing = names.filter((name) => !knownTopics.has(name))
    if (missing.length === 0) return
    await admin.connect()
    const existing = new Set(await admin.listTopics())
    const toCreate = missing.filter((name) => !existing.has(name))
    if (toCreate.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: toCreate.map((topic) => ({
          topic,
          numPartitions: options.partitions ?? 6,
          replicationFactor: options.replicationFactor ?? 1,
        })),
      })
    }
    for (const name of missing) knownTopics.add(name)
  }

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref())
  const backoffMs = (attempt: number) => Math.min(5000, 200 * 2 ** Math.min(attempt, 5))

  /** The producer, connected: retried with backoff for as long as it takes (a broker down at start). */
  function connectedProducer(): Promise<Producer> {
    producerReady ??= (async () => {
      for (let attempt = 1; ; attempt++) {
        if (closed) throw new BusClosedError()
        try {
          return await connectProducer()
        } catch (error) {
          log.warn(
            `cannot connect the producer to Kafka (attempt ${attempt}), retrying: ${(error as Error).message}`,
          )
          await sleep(backoffMs(attempt))
        }
      }
    })()
    return producerReady
  }

  async function connectProducer(): Promise<Producer> {
    {
      const created = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        // The idempotent producer keeps order and avoids duplicates only if it never gives up.
        retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 2000 },
        createPartitioner: Partitioners.DefaultPartitioner,
      })
      created.on(created.events.CONNECT, () => (producerConnected = true))
      created.on(created.events.DISCONNECT, () => (producerConnected = false))
      await created.connect()
      producerConnected = true
      producer = created
      return created
    }
  }

  async function attach<T>(
    group: string,
    topicNames: string[],
    handle: BatchHandler<T>,
    entry: { consumer: Consumer | undefined; connected: boolean },
    subscribeOptions: SubscribeOptions,
    onGivenUp: () => void,
  ): Promise<void> {
    await ensureTopics(topicNames)
    const consumer = kafka.consumer({
      groupId: group,
      sessionTimeout: 6000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 500,
      maxBytesPerPartition: 4 * 1024 * 1024,
      retry: { initialRetryTime: 200, maxRetryTime: 2000, retries: 15 },
    })
    entry.consumer = consumer
    consumer.on(consumer.events.CONNECT, () => (entry.connected = true))
    // Emitted after every join (start and rebalance), before batches of the new assignment.
    consumer.on(consumer.events.GROUP_JOIN, () => subscribeOptions.onRebalance?.())
    consumer.on(consumer.events.DISCONNECT, () => (entry.connected = false))
    consumer.on(consumer.events.CRASH, (event) => {
      entry.connected = false
      log.error(
        `consumer group ${group} crashed (${event.payload.restart ? 'restarting' : 'stopped'}): ${event.payload.error}`,
      )
      // kafkajs gives up for good on some errors; a member that stops consuming while its process
      // looks alive is the worst outcome, so join again from scratch.
      if (!event.payload.restart) onGivenUp()
    })
    await consumer.connect()
    entry.connected = true
    await consumer.subscribe({ topics: topicNames, fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return
        const parsed: BusMessage<T>[] = []
        const poison: { key: string; raw: string; reason: string; offset: string }[] = []
        for (const message of batch.messages) {
          const raw = message.value?.toString('utf8') ?? ''
          try {
            parsed.push({ key: message.key?.toString('utf8') ?? '', value: JSON.parse(raw) as T })
          } catch (error) {
            poison.push({
              key: message.key?.toString('utf8') ?? '',
              raw,
              reason: `not JSON: ${(error as Error).message}`,
              offset: message.offset,
            })
          }
        }
        if (poison.length > 0 && batch.topic !== topics.deadLetter) {
          // Unreadable messages must not block their partition: park them with the reason.
          await bus.publish(
            topics.deadLetter,
            poison.map((item) => ({
              key: item.key,
              value: {
                topic: batch.topic,
                partition: batch.partition,
                offset: item.offset,
                group,
                raw: item.raw,
                reason: item.reason,
              },
            })),
          )
        }
        if (parsed.length > 0) {
          // kafkajs heartbeats only when asked: keep the membership alive through a slow insert.
          const beat = setInterval(() => void heartbeat().catch(() => {}), 1000)
          try {
            await handle({
              topic: batch.topic,
              messages: parsed,
              position: {
                partition: batch.partition,
                firstOffset: batch.firstOffset()!,
                lastOffset: batch.lastOffset(),
              },
            })
          } catch (error) {
            // kafkajs gives up for good on a TypeError and the like; a handler failure is worth
            // another try (the batch is redelivered, never skipped), so say it is retriable.
            throw Object.assign(
              new Error(`consumer group ${group} failed on ${batch.topic}: ${(error as Error).message}`),
              {
                retriable: true,
              },
            )
          } finally {
            clearInterval(beat)
          }
        }
        if (isStale()) return
        const last = batch.lastOffset()
        resolveOffset(last)
        // Committed only now, after the handler stored the batch: a crash before this redelivers it.
        await consumer.commitOffsets([
          { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
        ])
        lag.set({ group, topic: batch.topic, partition: String(batch.partition) }, Number(batch.offsetLag()))
        await heartbeat()
      },
    })
  }

  const bus: KafkaBus = {
    async publish<T>(topic: string, messages: BusMessage<T>[]) {
      if (closed) throw new BusClosedError()
      if (messages.length === 0) return
      // A timed-out send keeps retrying inside kafkajs, holding its messages; while the brokers are
      // away, refuse new publishes beyond a bound instead of piling them up (memory stays bounded).
      if (unsettledSends >= (options.maxUnsettledSends ?? 32))
        throw new KafkaBackloggedError(topic, unsettledSends)
      const timeoutMs = options.publishTimeoutMs ?? 30_000
      let timer: NodeJS.Timeout | undefined
      const send = (async () => {
        await ensureTopics([topic])
        const connected = await connectedProducer()
        // Brokers refuse a record batch over `message.max.bytes` (1 MiB by default): send in
        // chunks well under it, one after another, which keeps each key's messages in order.
        const maxChunkBytes = options.maxChunkBytes ?? 768 * 1024
        let chunk: { key: string; value: string }[] = []
        let chunkBytes = 0
        const flush = async () => {
          if (chunk.length === 0) return
          await connected.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages: chunk })
          chunk = []
          chunkBytes = 0
        }
        for (const message of messages) {
          const value = JSON.stringify(message.value)
          const size = Buffer.byteLength(value) + Buffer.byteLength(message.key) + 64
          if (chunkBytes + size > maxChunkBytes) await flush()
          chunk.push({ key: message.key, value })
          chunkBytes += size
        }
        await flush()
      })()
      unsettledSends++
      send.then(
        () => unsettledSends--,
        () => unsettledSends--,
      )
      try {
        await Promise.race([
          send,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new KafkaPublishTimeoutError(topic, timeoutMs)), timeoutMs)
          }),
        ])
      } finally {
        clearTimeout(timer)
        // A send that lost the race may still fail later; it has been reported already.
        send.catch(() => {})
      }
    },

    async subscribe<T>(
      group: string,
      topicNames: string[],
      handle: BatchHandler<T>,
      subscribeOptions: SubscribeOptions = {},
    ): Promise<Subscription> {
      if (closed) throw new BusClosedError()
      const entry: { consumer: Consumer | undefined; connected: boolean } = {
        consumer: undefined,
        connected: false,
      }
      consumers.set(group, entry)
      let stopped = false
      // Joining runs in the background, retried with backoff: a broker down at start makes the
      // process not ready (see `connected`), not dead.
      const rejoin = () => {
        if (stopped || closed) return
        const previous = entry.consumer
        entry.consumer = undefined
        attached = (async () => {
          await previous?.disconnect().catch(() => {})
          await join()
        })()
      }
      const join = async () => {
        for (let attempt = 1; !stopped && !closed; attempt++) {
          try {
            await attach(group, topicNames, handle, entry, subscribeOptions, rejoin)
            return
          } catch (error) {
            entry.connected = false
            await entry.consumer?.disconnect().catch(() => {})
            entry.consumer = undefined
            log.warn(
              `consumer group ${group} cannot join (attempt ${attempt}), retrying: ${(error as Error).message}`,
            )
            await sleep(backoffMs(attempt))
          }
        }
      }
      let attached = join()
      return {
        async close() {
          stopped = true
          await attached
          await entry.consumer?.disconnect()
          consumers.delete(group)
        },
      }
    },

    connected() {
      return (
        brokersReachable && producerConnected && [...consumers.values()].every((entry) => entry.connected)
      )
    },

    async close() {
      closed = true
      await stopProbe()
      for (const { consumer } of consumers.values()) await consumer?.disconnect()
      consumers.clear()
      if (producer) await producer.disconnect()
      await admin.disconnect()
    },
  }
  // Connect the producer now, in the background, so readiness reflects the brokers from the start.
  connectedProducer().catch(() => {})
  // kafkajs says nothing when a broker dies under an idle client: ask the cluster every few
  // seconds, with no retries, so that /readyz turns 503 while it is away and 200 when it is back.
  const probe = new Kafka({
    clientId: `${options.clientId ?? 'palisade'}-readiness`,
    brokers: options.brokers,
    ...options.client,
    connectionTimeout: 1000,
    requestTimeout: 2000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin()
  const probeTimer = setInterval(() => {
    probe
      .connect()
      .then(() => probe.describeCluster())
      .then(
        () => {
          brokersReachable = true
        },
        () => {
          brokersReachable = false
          probe.disconnect().catch(() => {})
        },
      )
  }, options.readinessProbeMs ?? 2000)
  probeTimer.unref()
  stopProbe = () => {
    clearInterval(probeTimer)
    return probe.disconnect().catch(() => {})
  }
  return bus
}
