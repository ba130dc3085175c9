import { type Bus, BusClosedError } from '@palisade/bus'
import { Kafka, type KafkaConfig, logLevel } from 'kafkajs'
import { Gauge, type Registry } from 'prom-client'
import { type ConsumerGroupMember, joinConsumerGroup } from './consumer-group.ts'
import { type BusLog, createBusProducer } from './producer.ts'
import { startReadinessProbe } from './readiness-probe.ts'
import { createTopicAdmin } from './topic-admin.ts'

/** Largest uncompressed size of one produce request by default, bytes: under the brokers' 1 MiB `message.max.bytes`. */
export const defaultMaxChunkBytes = 768 * 1024

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
  /** Publishes queued or in kafkajs's hands (a timed-out one may still be) before new ones are refused (default 64). */
  maxPendingPublishes?: number
  /** A request to a broker not answered within this is retried, ms (default kafkajs's 30 s). */
  requestTimeoutMs?: number
  /** How often readiness asks the cluster whether it is there, ms (default 2 s). */
  readinessProbeMs?: number
  /** Registry for consumer-lag gauges. */
  registry?: Registry
  /** Where the bus and kafkajs report (default: stderr). */
  log?: BusLog
  /** Extra client settings (TLS, SASL), passed to kafkajs as they are. */
  client?: Pick<KafkaConfig, 'ssl' | 'sasl'>
  /** Clock for dead-letter records, epoch ms (default `Date.now`). */
  now?: () => number
}

/** A Kafka bus, with readiness for `/readyz`. */
export interface KafkaBus extends Bus {
  /** True while the brokers answer and the producer and every consumer are connected. */
  connected(): boolean
}

const levels: Record<number, 'error' | 'warn' | 'info'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
}

/**
 * The bus over Kafka (kafkajs), composed of its parts: the producer (`publish` resolves once every
 * broker in sync has the messages; one produce request in flight), a consumer-group member per
 * subscription (decode and check once, park what fails on the dead-letter topic, commit after the
 * handler), the topic admin (topics created on first use with `partitions` partitions) and the
 * readiness probe. Keys keep one identity in one partition.
 */
export function createKafkaBus(options: KafkaBusOptions): KafkaBus {
  const log = options.log ?? {
    info: (message: string) => process.stderr.write(`kafka: ${message}\n`),
    warn: (message: string) => process.stderr.write(`kafka warning: ${message}\n`),
    error: (message: string) => process.stderr.write(`kafka error: ${message}\n`),
  }
  const clientId = options.clientId ?? 'palisade'
  const kafka = new Kafka({
    clientId,
    brokers: options.brokers,
    ...options.client,
    ...(options.requestTimeoutMs === undefined ? {} : { requestTimeout: options.requestTimeoutMs }),
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
  const topicAdmin = createTopicAdmin(kafka, {
    partitions: options.partitions ?? 6,
    replicationFactor: options.replicationFactor ?? 1,
  })
  const producer = createBusProducer(kafka, {
    topicAdmin,
    log,
    publishTimeoutMs: options.publishTimeoutMs ?? 30_000,
    maxChunkBytes: options.maxChunkBytes ?? defaultMaxChunkBytes,
    maxPendingPublishes: options.maxPendingPublishes ?? 64,
  })
  const probe = startReadinessProbe({
    brokers: options.brokers,
    clientId,
    client: options.client,
    intervalMs: options.readinessProbeMs ?? 2000,
  })
  const lag = new Gauge({
    name: 'palisade_consumer_lag_messages',
    help: 'Messages behind the end of the partition, per consumer group, topic and partition',
    labelNames: ['group', 'topic', 'partition'] as const,
    registers: options.registry ? [options.registry] : [],
  })
  const members = new Map<string, ConsumerGroupMember>()
  let closed = false

  const bus: KafkaBus = {
    publish: (topic, messages) => producer.publish(topic, messages),
    // About one produce request of our events (768 KiB at ~550 bytes each): the producer coalesces
    // what queues into requests anyway, and the first request leaves before a body is validated.
    publishSliceSize: 1000,

    async subscribe(group, topicNames, handle, subscribeOptions = {}) {
      if (closed) throw new BusClosedError()
      const member = joinConsumerGroup(kafka, {
        group,
        topics: topicNames,
        handle,
        subscribe: subscribeOptions,
        topicAdmin,
        publish: (topic, messages) => producer.publish(topic, messages),
        lag,
        log,
        busClosed: () => closed,
        now: options.now ?? Date.now,
      })
      members.set(group, member)
      return {
        async close() {
          await member.close()
          members.delete(group)
        },
      }
    },

    connected() {
      return (
        probe.reachable() &&
        producer.connected() &&
        [...members.values()].every((member) => member.connected())
      )
    },

    async close() {
      closed = true
      await probe.stop()
      for (const member of members.values()) await member.close()
      members.clear()
      await producer.close()
      await topicAdmin.disconnect()
    },
  }
  // Connect the producer now, in the background, so readiness reflects the brokers from the start.
  producer.connect().catch(() => {})
  return bus
}
