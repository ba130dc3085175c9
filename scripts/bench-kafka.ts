// npm run bench:kafka [-- --events N --backlog M]
//
// Distributed mode on a real broker: events/s from HTTP through the collector, Kafka and the
// ingester into ClickHouse (until the ingester's group has committed everything), then the
// ingester's catch-up rate on a backlog of M events (default 1,000,000) written while it was
// stopped; peak RSS of every process. One run, figures side by side.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { type AppProcess, startAppProcess, startKafkaBroker } from '@palisade/testing'
import { Kafka, logLevel, Partitioners } from 'kafkajs'

const { values: args } = parseArgs({
  options: { events: { type: 'string', default: '200000' }, backlog: { type: 'string', default: '1000000' } },
})
const events = Number(args.events)
const backlog = Number(args.backlog)
const token = 'bench-kafka-token-0123456789abcdef'
const workDir = mkdtempSync(join(tmpdir(), 'palisade-bench-kafka-'))
const topic = 'palisade.flow.v1'
// Recent: the collector refuses events older than their kind's retention (30 days for flows).
const t0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 24 * 3_600_000

const peakRssMiB = (pid: number | undefined) =>
  pid === undefined
    ? 0
    : Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024

function flow(i: number) {
  return {
    event_id: `kb-${i}`,
    ts: t0 + Math.floor(i / 10),
    src_identity: `spiffe://bench.example/ns/app/sa/client-${i % 64}`,
    dst_identity: `spiffe://bench.example/ns/app/sa/svc-${i % 16}`,
    dst_port: 8080,
    service: `svc-${i % 16}`,
    bytes_sent: i % 5000,
  }
}

const broker = await startKafkaBroker({ heap: '768m' })
const kafka = new Kafka({ clientId: 'bench', brokers: broker.brokers, logLevel: logLevel.NOTHING })
const admin = kafka.admin()
await admin.connect()

async function caughtUp(): Promise<boolean> {
  const ends = await admin.fetchTopicOffsets(topic)
  const [committed] = await admin.fetchOffsets({ groupId: 'ingester', topics: [topic] })
  return ends.every(
    ({ partition, high }) =>
      high === '0' || committed?.partitions.find((p) => p.partition === partition)?.offset === high,
  )
}
async function waitCaughtUp(): Promise<void> {
  while (!(await caughtUp())) await new Promise((resolve) => setTimeout(resolve, 200))
}

const env = { KAFKA_BROKERS: broker.brokers.join(','), PALISADE_TOKEN: token }
const dataDir = join(workDir, 'ingester')
const collector = await startAppProcess('collector', env)
let ingester: AppProcess = await startAppProcess('ingester', { ...env, PALISADE_DATA_DIR: dataDir })

// 1. HTTP → collector → Kafka → ingester → ClickHouse.
const batch = 10_000
let next = 0
const httpStart = performance.now()
await Promise.all(
  Array.from({ length: 4 }, async () => {
    while (next < events) {
      const start = next
      next += batch
      const body = Array.from({ length: Math.min(batch, events - start) }, (_, k) =>
        JSON.stringify(flow(start + k)),
      ).join('\n')
      const response = await fetch(`${collector.url}/v1/ingest/flow`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body,
      })
      if (response.status !== 200)
        throw new Error(`collector answered ${response.status}: ${await response.text()}`)
      await response.arrayBuffer()
    }
  }),
)
const ackSeconds = (performance.now() - httpStart) / 1000
await waitCaughtUp()
const endToEndSeconds = (performance.now() - httpStart) / 1000
const rss = { collector: peakRssMiB(collector.child.pid), ingesterLive: peakRssMiB(ingester.child.pid) }
await collector.stop()

// 2. A backlog written while the ingester is down, then its catch-up.
await ingester.stop()
const producer = kafka.producer({
  createPartitioner: Partitioners.DefaultPartitioner,
  allowAutoTopicCreation: false,
})
await producer.connect()
const produceStart = performance.now()
for (let start = 0; start < backlog; start += 10_000) {
  const messages = Array.from({ length: Math.min(10_000, backlog - start) }, (_, k) => {
    const event = {
      ...flow(events + start + k),
      tenant: 'default',
      observed_at: t0,
      source: 'bench',
      protocol: 'tcp',
      verdict: 'allowed',
    }
    return { key: `default/${event.src_identity}`, value: JSON.stringify(event) }
  })
  await producer.send({ topic, messages })
}
await producer.disconnect()
const produceSeconds = (performance.now() - produceStart) / 1000
const catchUpStart = performance.now()
ingester = await startAppProcess('ingester', { ...env, PALISADE_DATA_DIR: dataDir })
await waitCaughtUp()
const catchUpSeconds = (performance.now() - catchUpStart) / 1000
rss.ingesterLive = Math.max(rss.ingesterLive, 0)
const ingesterCatchUpRss = peakRssMiB(ingester.child.pid)
const brokerRss = peakRssMiB(broker.pid())
await ingester.stop()
await admin.disconnect()
await broker.stop()
rmSync(workDir, { recursive: true, force: true })

const rate = (n: number, s: number) => `${Math.round(n / s).toLocaleString('en')} events/s`
console.log(`
HTTP → Kafka → ClickHouse   ${events.toLocaleString('en')} events: acknowledged at ${rate(events, ackSeconds)}, stored at ${rate(events, endToEndSeconds)} end to end (${endToEndSeconds.toFixed(1)} s)
backlog                     ${backlog.toLocaleString('en')} events produced in ${produceSeconds.toFixed(1)} s while the ingester was down
ingester catch-up           ${rate(backlog, catchUpSeconds)} (${catchUpSeconds.toFixed(1)} s, including its start)
peak RSS                    collector ${rss.collector.toFixed(0)} MiB, ingester ${rss.ingesterLive.toFixed(0)} MiB live / ${ingesterCatchUpRss.toFixed(0)} MiB catching up, broker ${brokerRss.toFixed(0)} MiB`)
