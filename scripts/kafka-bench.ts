// The Kafka bench (`npm run bench:kafka`), as a function the smoke test runs at a tiny size.
//
// One broker, one set of messages (realistic flow events, see bench-events.ts), three producers
// side by side: Palisade's collector (HTTP → validate → Kafka, acknowledged after acks=all),
// kafkajs alone with the bus's settings (acks=all, idempotent, gzip, one request in flight, the
// bus's request size), and Apache Kafka's own Java `ProducerPerformance` on the same payloads as the
// physical anchor. Each topic's end offsets are checked against what was sent; then the ingester
// catches up on what the collector published, and the rows stored are counted.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openClickHouse } from '@palisade/clickhouse'
import { defaultMaxChunkBytes } from '@palisade/kafka'
import { partitionKey, validateEvent } from '@palisade/schema'
import {
  type AppProcess,
  type KafkaBroker,
  resolveKafkaJars,
  resolveKafkaToolsJars,
  startAppProcess,
  startKafkaBroker,
} from '@palisade/testing'
import { type Admin, CompressionTypes, Kafka, logLevel, Partitioners, type Producer } from 'kafkajs'
import { benchFlowEvents } from './bench-events.ts'

/** Settings of {@link runKafkaBench}. */
export interface KafkaBenchOptions {
  /** Flow events sent by each producer (default 200,000). */
  events: number
  /** Events per HTTP request to the collector (default 10,000, as bench:ingest). */
  batch?: number
  /** HTTP requests in flight (default 4, as bench:ingest). */
  concurrency?: number
  /** Scale of the generated scenario day the events come from (default 0.1, as bench:ingest). */
  scale?: number
  /** Topic partitions (default 6, the bus's default). */
  partitions?: number
  /** Rounds of the three producers, one after another (default 3); each figure is the best round's. */
  rounds?: number
  /** Write a V8 CPU profile of the collector into this folder. */
  cpuProfDir?: string
}

/** One producer's rounds: events sent in all, each round's seconds until the last acknowledgement, events found on its topic. */
export interface ProducerRun {
  sent: number
  rounds: number[]
  /** CPU seconds the producing process used in each round (user + system). */
  cpuSeconds: number[]
  onTopic: number
}

/** What {@link runKafkaBench} measured. */
export interface KafkaBenchResult {
  /** The bench's temp dir (payload file, the ingester's data): removed before the result is returned. */
  workDir: string
  events: number
  meanValueBytes: number
  partitions: number
  palisade: ProducerRun
  kafkajs: ProducerRun
  java: ProducerRun
  /** The Java producer's settings besides the broker's address. */
  javaSettings: string
  rounds: number
  ingester: { seconds: number; stored: number }
  peakRssMiB: { collector: number; ingester: number; broker: number }
}

/** The Java producer's settings: the bus's guarantees; batches sized so a request carries the bus's request size. */
const javaProducerProps = (brokers: string[], partitions: number) => [
  `bootstrap.servers=${brokers.join(',')}`,
  'acks=all',
  'enable.idempotence=true',
  'max.in.flight.requests.per.connection=1',
  'compression.type=gzip',
  `batch.size=${Math.floor(defaultMaxChunkBytes / partitions)}`,
  'linger.ms=5',
]

const token = 'bench-kafka-token-0123456789abcdef'

function peakRssMiB(pid: number | undefined): number {
  if (pid === undefined) return 0
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024
  } catch {
    return 0
  }
}

/** User + system CPU seconds of a running process (0 once it is gone). */
function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return 0
  }
}

async function messagesOnTopic(admin: Admin, topic: string): Promise<number> {
  const ends = await admin.fetchTopicOffsets(topic)
  return ends.reduce((sum, { high, low }) => sum + Number(high) - Number(low), 0)
}

/** Run the three producers and the ingester's catch-up on one broker; everything started is stopped and removed. */
export async function runKafkaBench(options: KafkaBenchOptions): Promise<KafkaBenchResult> {
  const batchSize = options.batch ?? 10_000
  const concurrency = options.concurrency ?? 4
  const partitions = options.partitions ?? 6
  const rounds = options.rounds ?? 3
  const { tenant, events } = benchFlowEvents(options.events, { scale: options.scale ?? 0.1 })
  const bodies: string[] = []
  for (let start = 0; start < events.length; start += batchSize)
    bodies.push(
      events
        .slice(start, start + batchSize)
        .map((event) => JSON.stringify(event))
        .join('\n'),
    )
  // What the collector publishes for these events: the same validation, the same key, JSON values.
  const observedAt = Date.now()
  const messages = events.map((event) => {
    const result = validateEvent('flow', { ...event }, { tenant, observedAt })
    if (!result.ok) throw new Error(`a bench event is not valid: ${result.reason}`)
    return { key: partitionKey('flow', result.event), value: JSON.stringify(result.event) }
  })
  const meanValueBytes =
    messages.reduce((sum, { value }) => sum + Buffer.byteLength(value), 0) / messages.length

  const workDir = mkdtempSync(join(tmpdir(), 'palisade-bench-kafka-'))
  let broker: KafkaBroker | undefined
  let admin: Admin | undefined
  let kafkajsProducer: Producer | undefined
  const apps: AppProcess[] = []
  try {
    const [brokerLibs, toolsLibs] = await Promise.all([resolveKafkaJars(), resolveKafkaToolsJars()])
    broker = await startKafkaBroker({ heap: '768m' })
    const kafka = new Kafka({ clientId: 'bench', brokers: broker.brokers, logLevel: logLevel.NOTHING })
    admin = kafka.admin()
    await admin.connect()
    const kafkajsTopic = 'bench.kafkajs.v1'
    const javaTopic = 'bench.java.v1'
    await admin.createTopics({
      topics: [kafkajsTopic, javaTopic].map((topic) => ({ topic, numPartitions: partitions })),
      waitForLeaders: true,
    })

    // Each round runs the three producers one after another, so that a busy spell of a shared
    // machine hits them alike; the best round of each is its figure.
    const env = {
      KAFKA_BROKERS: broker.brokers.join(','),
      PALISADE_TOKEN: token,
      PALISADE_TENANT: tenant,
    }
    const collector = await startAppProcess(
      'collector',
      env,
      options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [],
    )
    apps.push(collector)
    // Warm-up, outside the measurement, the same for both: the first request's events (the topic is
    // created on first use, connections open, the JIT warms).
    const warmUp = await postBody(collector.url, bodies[0]!)
    kafkajsProducer = await connectKafkajsProducer(broker.brokers)
    await produceWithKafkajs(kafkajsProducer, kafkajsTopic, messages.slice(0, warmUp))
    const payloadFile = join(workDir, 'payloads.txt')
    writeFileSync(payloadFile, messages.map(({ value }) => value).join('\n'))
    const palisade: ProducerRun = { sent: 0, rounds: [], cpuSeconds: [], onTopic: 0 }
    const kafkajs: ProducerRun = { sent: 0, rounds: [], cpuSeconds: [], onTopic: 0 }
    const java: ProducerRun = { sent: 0, rounds: [], cpuSeconds: [], onTopic: 0 }
    for (let round = 0; round < rounds; round++) {
      // 1. Palisade: HTTP → collector → Kafka, acknowledged once the brokers hold the events.
      let next = 0
      let accepted = 0
      const cpuBefore = processCpuSeconds(collector.child.pid)
      const palisadeStart = performance.now()
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < bodies.length) {
            // Not `accepted += await ...`: that reads `accepted` before the await and loses the others' counts.
            const answered = await postBody(collector.url, bodies[next++]!)
            accepted += answered
          }
        }),
      )
      palisade.rounds.push((performance.now() - palisadeStart) / 1000)
      palisade.cpuSeconds.push(processCpuSeconds(collector.child.pid) - cpuBefore)
      palisade.sent += accepted

      // 2. kafkajs alone: the same messages, the bus producer's settings and request size.
      const own = process.cpuUsage()
      const kafkajsStart = performance.now()
      await produceWithKafkajs(kafkajsProducer, kafkajsTopic, messages)
      kafkajs.rounds.push((performance.now() - kafkajsStart) / 1000)
      const used = process.cpuUsage(own)
      kafkajs.cpuSeconds.push((used.user + used.system) / 1e6)
      kafkajs.sent += messages.length

      // 3. Kafka's Java producer on the same payloads (no keys: it reads values only).
      const javaRun = await produceWithJava(
        `${brokerLibs}/*:${toolsLibs}/*`,
        javaTopic,
        messages.length,
        payloadFile,
        javaProducerProps(broker.brokers, partitions),
      )
      java.rounds.push(javaRun.seconds)
      java.cpuSeconds.push(javaRun.cpuSeconds)
      java.sent += javaRun.sent
    }
    const collectorRss = peakRssMiB(collector.child.pid)
    await collector.stop()
    palisade.onTopic = (await messagesOnTopic(admin, 'palisade.flow.v1')) - warmUp
    kafkajs.onTopic = (await messagesOnTopic(admin, kafkajsTopic)) - warmUp
    java.onTopic = await messagesOnTopic(admin, javaTopic)

    // 4. The ingester catches up on what the collector published; then the stored rows are counted.
    const dataDir = join(workDir, 'ingester')
    const ingesterStart = performance.now()
    const ingester = await startAppProcess('ingester', { ...env, PALISADE_DATA_DIR: dataDir })
    apps.push(ingester)
    await waitCaughtUp(admin, 'ingester', 'palisade.flow.v1')
    const ingesterSeconds = (performance.now() - ingesterStart) / 1000
    const ingesterRss = peakRssMiB(ingester.child.pid)
    const brokerRss = peakRssMiB(broker.pid())
    await ingester.stop()
    const stored = await countStored(join(dataDir, 'clickhouse'), tenant)

    return {
      workDir,
      events: events.length,
      meanValueBytes,
      partitions,
      palisade,
      kafkajs,
      java,
      javaSettings: javaProducerProps([], partitions).slice(1).join(' '),
      rounds,
      ingester: { seconds: ingesterSeconds, stored },
      peakRssMiB: { collector: collectorRss, ingester: ingesterRss, broker: brokerRss },
    }
  } finally {
    for (const app of apps) await app.stop().catch(() => {})
    await kafkajsProducer?.disconnect().catch(() => {})
    await admin?.disconnect().catch(() => {})
    await broker?.stop()
    rmSync(workDir, { recursive: true, force: true })
  }
}

async function postBody(url: string, body: string): Promise<number> {
  const response = await fetch(`${url}/v1/ingest/flow`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
    body,
  })
  if (response.status !== 200)
    throw new Error(`collector answered ${response.status}: ${await response.text()}`)
  const answer = (await response.json()) as { accepted: number; rejected: number }
  if (answer.rejected > 0) throw new Error(`collector rejected ${answer.rejected} bench events`)
  return answer.accepted
}

/** kafkajs with the bus producer's settings: idempotent, acks=all, one request in flight, retries as the bus's. */
async function connectKafkajsProducer(brokers: string[]): Promise<Producer> {
  const kafka = new Kafka({
    clientId: 'bench-kafkajs',
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { initialRetryTime: 200, maxRetryTime: 2000, retries: 15 },
  })
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 2000 },
    createPartitioner: Partitioners.DefaultPartitioner,
  })
  await producer.connect()
  return producer
}

/** The messages in requests of at most the bus's request size (counted as the bus counts), gzip, one after another. */
async function produceWithKafkajs(
  producer: Producer,
  topic: string,
  messages: { key: string; value: string }[],
): Promise<void> {
  const requests: { key: string; value: string }[][] = []
  let request: { key: string; value: string }[] = []
  let bytes = 0
  for (const message of messages) {
    const size = Buffer.byteLength(message.value) + Buffer.byteLength(message.key) + 64
    if (request.length > 0 && bytes + size > defaultMaxChunkBytes) {
      requests.push(request)
      request = []
      bytes = 0
    }
    request.push(message)
    bytes += size
  }
  if (request.length > 0) requests.push(request)
  for (const chunk of requests)
    await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages: chunk })
}

/** `ProducerPerformance` as a child process; its own figure (records/s from its final line) is kept. */
async function produceWithJava(
  classPath: string,
  topic: string,
  records: number,
  payloadFile: string,
  props: string[],
): Promise<{ sent: number; seconds: number; cpuSeconds: number }> {
  const args = [
    '-Xmx512m',
    '-cp',
    classPath,
    'org.apache.kafka.tools.ProducerPerformance',
    '--topic',
    topic,
    '--num-records',
    String(records),
    '--payload-file',
    payloadFile,
    '--throughput',
    '-1',
    '--producer-props',
    ...props,
  ]
  let cpuSeconds = 0
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    // The JVM's CPU time, read while it runs (it cannot be read once it has exited).
    const sampler = setInterval(() => {
      cpuSeconds = Math.max(cpuSeconds, processCpuSeconds(child.pid))
    }, 100)
    child.once('close', () => clearInterval(sampler))
    let text = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
    child.once('error', reject)
    child.once('close', (code) =>
      code === 0
        ? resolve(text)
        : reject(new Error(`ProducerPerformance exited ${code}:\n${text.slice(-2000)}`)),
    )
  })
  // "200000 records sent, 101832.9 records/sec (53.20 MB/sec), 1.6 ms avg latency, ..."
  const summary = /(\d+) records sent, ([\d.]+) records\/sec/.exec(output.trim().split('\n').at(-1) ?? '')
  if (!summary) throw new Error(`ProducerPerformance printed no summary:\n${output.slice(-2000)}`)
  const sent = Number(summary[1])
  return { sent, seconds: sent / Number(summary[2]), cpuSeconds }
}

async function waitCaughtUp(admin: Admin, groupId: string, topic: string): Promise<void> {
  for (;;) {
    try {
      const ends = await admin.fetchTopicOffsets(topic)
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] })
      const caughtUp = ends.every(
        ({ partition, high }) =>
          high === '0' || committed?.partitions.find((p) => p.partition === partition)?.offset === high,
      )
      if (caughtUp) return
    } catch (error) {
      // The group's coordinator moves while the offsets topic is created on the group's first join.
      if ((error as { retriable?: boolean }).retriable !== true) throw error
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** Flow rows the ingester stored for `tenant`, read from its (stopped) embedded engine. */
async function countStored(dataDir: string, tenant: string): Promise<number> {
  const client = await openClickHouse({ kind: 'embedded', dataDir })
  try {
    const [row] = await (
      await client.query({
        query: 'SELECT count() AS n FROM flow_events WHERE tenant = {tenant:String}',
        query_params: { tenant },
        format: 'JSONEachRow',
        clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
      })
    ).json<{ n: number }>()
    return row?.n ?? 0
  } finally {
    await client.close()
  }
}

const best = (run: ProducerRun) => Math.min(...run.rounds)
const rate = (run: ProducerRun) => run.sent / run.rounds.length / best(run)
const perSecond = (value: number) => `${Math.round(value).toLocaleString('en')} events/s`
const microsPerEvent = (run: ProducerRun) =>
  (1e6 * run.cpuSeconds.reduce((sum, s) => sum + s, 0)) / Math.max(1, run.sent)

/** The figures side by side, each rate with its ratio to kafkajs alone and to the Java producer. */
export function kafkaBenchReport(result: KafkaBenchResult): string {
  const kafkajs = rate(result.kafkajs)
  const java = rate(result.java)
  const perRound = result.events
  const line = (name: string, run: ProducerRun) =>
    `${name.padEnd(28)}${perSecond(rate(run)).padStart(16)}   ${(rate(run) / kafkajs).toFixed(2)} of kafkajs, ${(rate(run) / java).toFixed(2)} of Java   (rounds: ${run.rounds.map((s) => Math.round(perRound / s).toLocaleString('en')).join(', ')}; CPU ${microsPerEvent(run).toFixed(0)} µs/event; ${run.onTopic.toLocaleString('en')} on the topic)`
  return `
events                      ${result.events.toLocaleString('en')} realistic flow events per round, ${Math.round(result.meanValueBytes)} bytes of JSON each on average, ${result.partitions} partitions, one broker, best of ${result.rounds} rounds
${line('Palisade HTTP → Kafka', result.palisade)}
${line('kafkajs alone', result.kafkajs)}
${line('Java ProducerPerformance', result.java)}
Java settings               ${result.javaSettings}
ingester catch-up           ${Math.round(result.palisade.onTopic / result.ingester.seconds).toLocaleString('en')} messages/s (${result.palisade.onTopic.toLocaleString('en')} messages in ${result.ingester.seconds.toFixed(1)} s, including its start; ${result.ingester.stored.toLocaleString('en')} rows stored: the rounds' repeats dropped)
peak RSS                    collector ${result.peakRssMiB.collector.toFixed(0)} MiB, ingester ${result.peakRssMiB.ingester.toFixed(0)} MiB, broker ${result.peakRssMiB.broker.toFixed(0)} MiB`
}
