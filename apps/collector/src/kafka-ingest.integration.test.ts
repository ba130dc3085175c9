import { topics } from '@palisade/bus'
import { createKafkaBus, type KafkaBus } from '@palisade/kafka'
import { type KafkaBroker, startKafkaBroker } from '@palisade/testing'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveCollector } from './testing/collector-server.ts'

// Many ingest requests at once through the collector into a real Kafka broker. kafkajs's idempotent
// producer with concurrent sends can fail ("out of order sequence number") or lose messages (kafkajs
// issues #598, #1005); the bus sends one coalesced request at a time. Counted on the topic itself:
// every acknowledged event there exactly once.

const token = 'kafka-ingest-test-token'
const requests = 240
const eventsPerRequest = 40
let broker: KafkaBroker
let bus: KafkaBus
let base: string
let close: () => Promise<void>

beforeAll(async () => {
  broker = await startKafkaBroker()
  bus = createKafkaBus({
    brokers: broker.brokers,
    clientId: 'kafka-ingest-test',
    // Every request below is in flight at once, each publishing events and quarantine.
    maxPendingPublishes: 2 * requests,
    // Short, so that a broker that stops answering makes kafkajs time a produce request out and
    // send it again while the broker may already have written it (what made concurrent sends lose
    // or reorder messages).
    requestTimeoutMs: 2000,
    log: { info: () => {}, warn: () => {}, error: () => {} },
  })
  const server = await serveCollector(
    bus,
    token,
    { maxConcurrentRequests: requests, maxBytesInFlight: 256 * 1024 * 1024 },
    () => bus.connected(),
  )
  base = server.url
  close = server.close
}, 180_000)

afterAll(async () => {
  await close?.()
  await bus?.close()
  await broker?.stop()
})

// Recent, on the hour: the collector refuses events older than their kind's retention (30 days).
const t0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 6 * 3_600_000

/** A body of `eventsPerRequest` flows with ids unique to the request, and one line that is rejected. */
function body(request: number, run = 'r'): string {
  const lines = Array.from({ length: eventsPerRequest }, (_, i) =>
    JSON.stringify({
      event_id: `${run}${request}-e${i}`,
      ts: t0 + request * eventsPerRequest + i,
      src_identity: `spiffe://acme.example/ns/app/sa/client-${(request + i) % 29}`,
      dst_identity: `spiffe://acme.example/ns/app/sa/svc-${i % 7}`,
      dst_port: 8080,
      service: `svc-${i % 7}`,
    }),
  )
  lines.push(JSON.stringify({ event_id: `${run}${request}-bad`, ts: t0, dst_port: 'eighty' }))
  return lines.join('\n')
}

/** Every message on `topic` up to its end offsets as they are now, values parsed. */
async function readTopic(topic: string): Promise<{ event_id?: string; raw?: string }[]> {
  const kafka = new Kafka({
    clientId: 'kafka-ingest-reader',
    brokers: broker.brokers,
    logLevel: logLevel.NOTHING,
  })
  const admin = kafka.admin()
  await admin.connect()
  const ends = await admin.fetchTopicOffsets(topic)
  await admin.disconnect()
  const remaining = new Map(ends.map(({ partition, high }) => [partition, BigInt(high)]))
  for (const [partition, high] of remaining) if (high === 0n) remaining.delete(partition)
  const values: { event_id?: string; raw?: string }[] = []
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}` })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  await new Promise<void>((resolve) => {
    if (remaining.size === 0) resolve()
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        values.push(JSON.parse(message.value!.toString('utf8')))
        if (BigInt(message.offset) + 1n >= (remaining.get(partition) ?? 0n)) remaining.delete(partition)
        if (remaining.size === 0) resolve()
      },
    })
  })
  await consumer.disconnect()
  return values
}

/** Post `requests` bodies at once; the answers in request order. */
function ingestAll(run: string) {
  return Promise.all(
    Array.from({ length: requests }, async (_, request) => {
      const response = await fetch(`${base}/v1/ingest/flow`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: body(request, run),
      })
      return {
        status: response.status,
        body: (await response.json()) as { accepted: number; rejected: number },
      }
    }),
  )
}

/** One request, answered 200: the topics exist and the producer is connected before a fault. */
async function warmUp(): Promise<void> {
  const response = await fetch(`${base}/v1/ingest/flow`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: body(0, 'warm-up'),
  })
  expect(response.status).toBe(200)
}

/** How many times each of the run's event ids is on the flow topic. */
async function copiesOnTopic(run: string): Promise<Map<string, number>> {
  const copies = new Map<string, number>()
  for (const event of await readTopic(topics.events('flow'))) {
    if (event.event_id?.startsWith(run)) copies.set(event.event_id, (copies.get(event.event_id) ?? 0) + 1)
  }
  return copies
}

describe('collector on Kafka', () => {
  it('puts every event of many concurrent requests on the topic once: 0 lost, 0 duplicated', {
    timeout: 180_000,
  }, async () => {
    const answers = await ingestAll('r')
    expect(answers.filter((answer) => answer.status !== 200)).toEqual([])
    expect(
      answers.every((answer) => answer.body.accepted === eventsPerRequest && answer.body.rejected === 1),
    ).toBe(true)

    const copies = await copiesOnTopic('r')
    expect(copies.size).toBe(requests * eventsPerRequest)
    expect([...copies.values()].filter((count) => count > 1)).toEqual([])
    for (let request = 0; request < requests; request += 37) expect(copies.get(`r${request}-e0`)).toBe(1)

    const quarantined = await readTopic(topics.quarantine)
    expect(quarantined).toHaveLength(requests)
    expect(new Set(quarantined.map((record) => record.raw)).size).toBe(requests)
  })

  it('loses and duplicates nothing when the broker is killed while those requests are in flight', {
    timeout: 240_000,
  }, async () => {
    await warmUp()
    const answered = ingestAll('k')
    // Let the first requests reach the producer, then crash the broker under them.
    await new Promise((resolve) => setTimeout(resolve, 150))
    broker.kill()
    await broker.restart()
    const answers = await answered
    expect(answers.filter((answer) => answer.status !== 200)).toEqual([])
    const copies = await copiesOnTopic('k')
    expect(copies.size).toBe(requests * eventsPerRequest)
    expect([...copies.values()].filter((count) => count > 1)).toEqual([])
  })

  it('loses and duplicates nothing when the broker stalls past the request timeout under those requests', {
    timeout: 240_000,
  }, async () => {
    await warmUp()
    const pid = broker.pid()!
    const answered = ingestAll('s')
    await new Promise((resolve) => setTimeout(resolve, 150))
    // Frozen, the broker still takes requests into its socket buffer and writes them when it thaws,
    // after the client has timed them out.
    process.kill(pid, 'SIGSTOP')
    await new Promise((resolve) => setTimeout(resolve, 5000))
    process.kill(pid, 'SIGCONT')
    const answers = await answered
    expect(answers.filter((answer) => answer.status !== 200)).toEqual([])
    const copies = await copiesOnTopic('s')
    expect(copies.size).toBe(requests * eventsPerRequest)
    expect([...copies.values()].filter((count) => count > 1)).toEqual([])
  })
})
