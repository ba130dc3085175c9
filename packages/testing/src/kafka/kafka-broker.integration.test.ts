import { randomUUID } from 'node:crypto'
import { Kafka, logLevel, Partitioners } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type KafkaBroker, startKafkaBroker } from './kafka-broker.ts'

// Never skipped: a machine without java or mvn fails here with a message saying what to install.
describe('startKafkaBroker', () => {
  let broker: KafkaBroker
  let kafka: Kafka

  beforeAll(async () => {
    broker = await startKafkaBroker()
    kafka = new Kafka({
      clientId: 'kafka-broker-test',
      brokers: broker.brokers,
      // Short steps, many of them, so a restarting broker is waited for rather than given up on.
      retry: { initialRetryTime: 200, maxRetryTime: 2000, retries: 15 },
      // kafkajs logs retried, harmless errors ("coordinator is loading") at ERROR; failures still throw.
      logLevel: logLevel.NOTHING,
    })
  })
  afterAll(async () => {
    await broker?.stop()
  })

  /** Create a topic of its own for one test (deletion is asynchronous, so names are never reused). */
  async function newTopic(partitions: number): Promise<string> {
    const topic = `broker-test-${randomUUID()}`
    const admin = kafka.admin()
    await admin.connect()
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true })
    } finally {
      await admin.disconnect()
    }
    return topic
  }

  /** Publish `count` keyed messages with an idempotent producer, acks=all, in batches of 250. */
  async function produce(topic: string, count: number): Promise<void> {
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      // Limited retries could break the producer's exactly-once guarantee; it says so if given fewer.
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 2000 },
    })
    await producer.connect()
    try {
      for (let from = 0; from < count; from += 250) {
        const messages = Array.from({ length: Math.min(250, count - from) }, (_, i) => ({
          key: `identity-${(from + i) % 17}`,
          value: String(from + i),
        }))
        await producer.send({ topic, acks: -1, messages })
      }
    } finally {
      await producer.disconnect()
    }
  }

  /** Read a topic from the beginning in a new group until `count` messages came; commits each batch. */
  async function consumeAll(topic: string, count: number): Promise<{ values: string[]; groupId: string }> {
    const groupId = `broker-test-${randomUUID()}`
    const consumer = kafka.consumer({ groupId, sessionTimeout: 6000, heartbeatInterval: 1000 })
    const values: string[] = []
    await consumer.connect()
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true })
      await new Promise<void>((resolve, reject) => {
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
              for (const message of batch.messages) {
                values.push(message.value?.toString() ?? '')
                resolveOffset(message.offset)
              }
              // The next offset to read is committed, and only once the batch has been handled.
              await consumer.commitOffsets([
                { topic, partition: batch.partition, offset: (BigInt(batch.lastOffset()) + 1n).toString() },
              ])
              await heartbeat()
              if (values.length >= count) resolve()
            },
          })
          .catch(reject)
      })
    } finally {
      await consumer.disconnect()
    }
    return { values, groupId }
  }

  it('delivers 1,000 messages from an idempotent producer to a consumer group exactly once', async () => {
    const topic = await newTopic(3)
    await produce(topic, 1000)
    const { values, groupId } = await consumeAll(topic, 1000)

    expect(values).toHaveLength(1000)
    expect(new Set(values).size).toBe(1000)
    const admin = kafka.admin()
    await admin.connect()
    try {
      const ends = await admin.fetchTopicOffsets(topic)
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] })
      // Every partition's committed offset reached its end: the manual commits were stored.
      expect(committed?.partitions.map((p) => [p.partition, p.offset]).sort()).toEqual(
        ends.map((p) => [p.partition, p.high]).sort(),
      )
      expect(ends.reduce((sum, p) => sum + Number(p.high), 0)).toBe(1000)
    } finally {
      await admin.disconnect()
    }
  })

  it('refuses to produce to a topic nobody created (auto-creation is off)', async () => {
    const producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 1 },
    })
    await producer.connect()
    try {
      await expect(
        producer.send({ topic: `never-created-${randomUUID()}`, messages: [{ value: 'x' }] }),
      ).rejects.toThrow(/does not host this topic-partition/)
    } finally {
      await producer.disconnect()
    }
  })

  it('keeps its data across a kill -9 and a restart on the same address', async () => {
    const topic = await newTopic(2)
    await produce(topic, 100)

    broker.kill()
    await broker.restart()

    const { values } = await consumeAll(topic, 100)
    expect(values.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i))
  })
})
