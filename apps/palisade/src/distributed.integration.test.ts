import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { topics } from '@palisade/bus'
import { openClickHouse } from '@palisade/clickhouse'
import {
  type AppProcess,
  type PrometheusServer,
  promtoolCheckMetrics,
  startAppProcess,
  startKafkaBroker,
  startPagerDutySink,
  startPrometheus,
} from '@palisade/testing'
import { Kafka, logLevel, Partitioners } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// Distributed mode on a real Apache Kafka broker (KRaft, from Maven Central): each app its own
// process, as `palisade <app>` runs it. The ingester keeps an embedded engine of its own; what it
// stored is read back after it stopped (one process per data directory).

const token = 'distributed-test-token-0123456789'
const workDir = mkdtempSync(join(tmpdir(), 'palisade-distributed-'))
let broker: Awaited<ReturnType<typeof startKafkaBroker>>
const running: AppProcess[] = []
// Recent, on the hour: the collector refuses events older than their kind's retention (30 days).
const t0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 6 * 3_600_000

beforeAll(async () => {
  broker = await startKafkaBroker()
}, 600_000)

afterAll(async () => {
  for (const app of running) if (app.child.exitCode === null) app.child.kill('SIGKILL')
  await broker?.stop()
  rmSync(workDir, { recursive: true, force: true })
})

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { KAFKA_BROKERS: broker.brokers.join(','), PALISADE_TOKEN: token, ...extra }
}

async function start(app: string, extra: Record<string, string> = {}): Promise<AppProcess> {
  const process = await startAppProcess(app, env(extra))
  running.push(process)
  return process
}

function flowBody(prefix: string, count: number, start = 0): string {
  const lines: string[] = []
  for (let i = start; i < start + count; i++) {
    lines.push(
      JSON.stringify({
        event_id: `${prefix}-${i}`,
        ts: t0 + i,
        src_identity: `spiffe://acme.io/ns/load/sa/client-${i % 7}`,
        dst_identity: 'spiffe://acme.io/ns/shop/sa/api',
        dst_port: 8080,
        service: 'api',
      }),
    )
  }
  return lines.join('\n')
}

async function post(collector: AppProcess, body: string): Promise<number> {
  try {
    const response = await fetch(`${collector.url}/v1/ingest/flow`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body,
    })
    if (response.status !== 200) return 0
    return ((await response.json()) as { accepted: number }).accepted
  } catch {
    return 0
  }
}

/** A counter's value from an app's /metrics, summed over the label sets that match. */
async function metric(app: AppProcess, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (
    await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })
  ).text()
  let total = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue
    if (Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`)))
      total += Number(line.split(' ').at(-1))
  }
  return total
}

async function until(what: string, deadlineMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + deadlineMs
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${deadlineMs / 1000} s`)
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
}

/** Whether consumer group `group` has committed everything on `topic` (lag 0 on every partition). */
async function caughtUp(group: string, topic: string): Promise<boolean> {
  const admin = new Kafka({
    clientId: 'lag-check',
    brokers: broker.brokers,
    logLevel: logLevel.NOTHING,
  }).admin()
  await admin.connect()
  try {
    const ends = await admin.fetchTopicOffsets(topic)
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] })
    return ends.every(({ partition, high }) => {
      const offset = committed?.partitions.find((p) => p.partition === partition)?.offset ?? '-1'
      return high === '0' || offset === high
    })
  } finally {
    await admin.disconnect()
  }
}

async function storedFlowIds(dataDir: string, prefix: string): Promise<{ rows: number; ids: number }> {
  const client = await openClickHouse({ kind: 'embedded', dataDir: join(dataDir, 'clickhouse') })
  try {
    const [row] = await (
      await client.query({
        query:
          'SELECT count() AS rows, uniqExact(event_id) AS ids FROM flow_events WHERE startsWith(event_id, {p:String})',
        query_params: { p: `${prefix}-` },
        format: 'JSONEachRow',
        clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
      })
    ).json<{ rows: number; ids: number }>()
    return row!
  } finally {
    await client.close()
  }
}

describe('distributed mode on a real Kafka broker', () => {
  it('stores every event sent over HTTP exactly once, also across a kill -9 of the ingester', {
    timeout: 240_000,
  }, async () => {
    const dataDir = join(workDir, 'ingester-1')
    const collector = await start('collector')
    let ingester = await start('ingester', { PALISADE_DATA_DIR: dataDir })
    let accepted = 0
    for (let batch = 0; batch < 10; batch++)
      accepted += await post(collector, flowBody('exact', 500, batch * 500))
    expect(accepted).toBe(5000)
    // Mid-stream: the ingester dies without warning while a second wave is being consumed.
    const wave = (async () => {
      for (let batch = 10; batch < 30; batch++)
        accepted += await post(collector, flowBody('exact', 500, batch * 500))
    })()
    await until(
      'the ingester storing rows',
      60_000,
      async () => (await metric(ingester, 'palisade_ingester_rows_total', { outcome: 'stored' })) > 0,
    )
    ingester.child.kill('SIGKILL')
    await ingester.exited
    await wave
    // One request larger than a Kafka record batch may be (1 MiB): the bus sends it in chunks.
    accepted += await post(collector, flowBody('exact', 10_000, 15_000))
    expect(accepted).toBe(25_000)
    ingester = await start('ingester', { PALISADE_DATA_DIR: dataDir })
    await until('the ingester catching up', 120_000, () => caughtUp('ingester', topics.events('flow')))
    expect(await ingester.stop()).toBe(0)
    expect(await storedFlowIds(dataDir, 'exact')).toEqual({ rows: 25_000, ids: 25_000 })
    await collector.stop()
  })

  it('loses no acknowledged event when the collector is killed under load', {
    timeout: 180_000,
  }, async () => {
    const dataDir = join(workDir, 'ingester-2')
    const ingester = await start('ingester', { PALISADE_DATA_DIR: dataDir })
    const collector = await start('collector')
    const acknowledged: number[] = []
    let stop = false
    const load = [0, 1, 2].map(async (worker) => {
      for (let batch = 0; !stop; batch++) {
        const start = (worker * 1000 + batch) * 200
        if ((await post(collector, flowBody('acked', 200, start))) === 200) acknowledged.push(start)
      }
    })
    await until('some acknowledged batches', 60_000, async () => acknowledged.length >= 10)
    collector.child.kill('SIGKILL')
    stop = true
    await Promise.all(load)
    await until('the ingester storing every acknowledged event', 120_000, () =>
      caughtUp('ingester', topics.events('flow')),
    )
    await ingester.stop()
    const stored = await storedFlowIds(dataDir, 'acked')
    expect(stored.rows).toBe(stored.ids)
    expect(stored.ids).toBeGreaterThanOrEqual(acknowledged.length * 200)
  })

  it('rides out a broker crash: not ready while it is down, nothing acknowledged lost, stored once', {
    timeout: 240_000,
  }, async () => {
    const dataDir = join(workDir, 'ingester-broker-crash')
    const ingester = await start('ingester', { PALISADE_DATA_DIR: dataDir })
    const collector = await start('collector')
    let accepted = 0
    for (let batch = 0; batch < 4; batch++)
      accepted += await post(collector, flowBody('crash', 250, batch * 250))
    broker.kill()
    await until(
      'the collector reporting not ready',
      30_000,
      async () => (await fetch(`${collector.url}/readyz`)).status === 503,
    )
    // Sent while the broker is down: answered only once the broker is back (or refused: 503).
    const during = post(collector, flowBody('crash', 250, 1000))
    await broker.restart()
    accepted += await during
    for (let batch = 5; batch < 8; batch++)
      accepted += await post(collector, flowBody('crash', 250, batch * 250))
    await until(
      'the collector ready again',
      60_000,
      async () => (await fetch(`${collector.url}/readyz`)).status === 200,
    )
    await until('the ingester catching up', 120_000, () => caughtUp('ingester', topics.events('flow')))
    expect(await ingester.stop()).toBe(0)
    await collector.stop()
    const stored = await storedFlowIds(dataDir, 'crash')
    expect(stored.rows).toBe(stored.ids)
    expect(stored.ids).toBeGreaterThanOrEqual(accepted)
    expect(accepted).toBeGreaterThanOrEqual(7 * 250)
  })

  it('parks a poison record in the dead-letter topic while its partition keeps flowing', {
    timeout: 180_000,
  }, async () => {
    const dataDir = join(workDir, 'ingester-3')
    const kafka = new Kafka({ clientId: 'poison-test', brokers: broker.brokers, logLevel: logLevel.NOTHING })
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
    await producer.connect()
    const good = (i: number) =>
      JSON.stringify({
        tenant: 'default',
        event_id: `poison-${i}`,
        ts: t0 + i,
        observed_at: t0,
        source: 'test',
        service: 'api',
        dst_port: 80,
        verdict: 'allowed',
        protocol: 'tcp',
      })
    // All on one key, so all in one partition: the good record after the poison must still arrive.
    await producer.send({
      topic: topics.events('flow'),
      messages: [
        { key: 'same', value: good(1) },
        { key: 'same', value: 'this is not JSON' },
        { key: 'same', value: JSON.stringify({ hello: 'world' }) },
        { key: 'same', value: good(2) },
      ],
    })
    await producer.disconnect()
    const ingester = await start('ingester', { PALISADE_DATA_DIR: dataDir })
    await until('the foreign record parked', 60_000, async () => {
      return (
        (await metric(ingester, 'palisade_ingester_rows_total', { kind: 'flow', outcome: 'dead_letter' })) >=
        1
      )
    }).catch((error) => {
      throw new Error(`${error.message}\n${ingester.output()}`)
    })
    const consumer = kafka.consumer({ groupId: `dlq-reader-${Date.now()}` })
    await consumer.connect()
    await consumer.subscribe({ topics: [topics.deadLetter], fromBeginning: true })
    const parked: { reason: string }[] = []
    await consumer.run({
      eachMessage: async ({ message }) => void parked.push(JSON.parse(message.value!.toString())),
    })
    await until('both poison records in the dead-letter topic', 60_000, async () => parked.length >= 2)
    await consumer.disconnect()
    expect(parked).toHaveLength(2)
    expect(parked.map((item) => item.reason)).toEqual(
      expect.arrayContaining([expect.stringContaining('not JSON'), 'tenant missing']),
    )
    // The ingester reads the dead-letter topic too and keeps each dead letter in quarantine.
    await until('both dead letters stored', 60_000, async () => {
      return (
        (await metric(ingester, 'palisade_ingester_rows_total', { kind: 'flow', outcome: 'dead_letter' })) >=
        2
      )
    })
    await ingester.stop()
    expect((await storedFlowIds(dataDir, 'poison')).ids).toBe(2)
    const client = await openClickHouse({ kind: 'embedded', dataDir: join(dataDir, 'clickhouse') })
    try {
      const quarantined = await (
        await client.query({
          query: "SELECT raw FROM quarantine WHERE kind = 'dead-letter:palisade.flow.v1' ORDER BY raw",
          format: 'JSONEachRow',
        })
      ).json<{ raw: string }>()
      expect(quarantined).toEqual([{ raw: 'this is not JSON' }, { raw: '{"hello":"world"}' }])
    } finally {
      await client.close()
    }
  })

  it('turns traffic into a finding in the detector process that the router delivers, with state restored after a kill -9', {
    timeout: 240_000,
  }, async () => {
    const routingKey = 'DISTRIBUTEDROUTINGKEY0123456789'
    const sink = await startPagerDutySink(routingKey)
    try {
      // The repository's lateral rules with a one-minute learning period for new edges, so that
      // the test's traffic (minutes of event time) produces one, and no declared intent (an edge
      // intent forbids is also cross-namespace access, grouped into the same page).
      const rulesDir = join(workDir, 'rules')
      const intentDir = join(workDir, 'intent')
      mkdirSync(rulesDir, { recursive: true })
      mkdirSync(intentDir, { recursive: true })
      const lateral = readFileSync(new URL('../../../alerts/rules/lateral.yaml', import.meta.url), 'utf8')
      const newEdgeLearning = /(detector: new_edge[\s\S]*?learning_period: )\w+/
      expect(lateral).toMatch(newEdgeLearning)
      writeFileSync(
        join(rulesDir, 'lateral.yaml'),
        lateral.replace(newEdgeLearning, (_, head: string) => `${head}1m`),
      )
      const detectorEnv = {
        PALISADE_DATA_DIR: join(workDir, 'detector'),
        PALISADE_RULES_DIR: rulesDir,
        PALISADE_INTENT_DIR: intentDir,
        PALISADE_CHECKPOINT_INTERVAL_MS: '500',
      }
      let detector = await start('detector', detectorEnv)
      await start('alert-router', {
        PALISADE_DATA_DIR: join(workDir, 'router'),
        PALISADE_PAGERDUTY_URL: sink.url,
        PALISADE_PAGERDUTY_ROUTING_KEY: routingKey,
        PALISADE_TICKET_WEBHOOK_URL: sink.url.replace('/v2/enqueue', '/tickets'),
      })
      const collector = await start('collector')
      const flow = (ts: number, src: string, dst: string, port: number) =>
        JSON.stringify({
          ts,
          src_identity: `spiffe://acme.io/ns/shop/sa/${src}`,
          dst_identity: `spiffe://acme.io/ns/data/sa/${dst}`,
          dst_port: port,
          service: dst,
        })
      const base = t0 + 4 * 3_600_000
      // Ten minutes of normal traffic in event time: web learns its one edge.
      const normal = Array.from({ length: 20 }, (_, i) => flow(base + i * 30_000, 'web', 'api', 8080))
      expect(await postLines(collector, normal)).toBe(20)
      await until('the detector consuming the baseline', 60_000, () =>
        caughtUp('detector', topics.events('flow')),
      )
      await new Promise((resolve) => setTimeout(resolve, 1500)) // a checkpoint interval or three
      // The detector dies; its successor must know web's baseline from the checkpoint, since the
      // baseline's offsets are committed and will not be read again.
      detector.child.kill('SIGKILL')
      await detector.exited
      detector = await start('detector', detectorEnv)
      expect(await postLines(collector, [flow(base + 11 * 60_000, 'web', 'postgres', 5432)])).toBe(1)
      await until('a page for the new edge', 120_000, async () =>
        sink.events.some(
          (event) =>
            event.body.event_action === 'trigger' && /postgres/.test(event.body.payload?.summary ?? ''),
        ),
      )
      const page = sink.events.find((event) => /postgres/.test(event.body.payload?.summary ?? ''))!
      // The page reads as the finding's title; its full summary is in the details.
      expect(page.body.payload!.summary).toBe('[default] New service edge web → postgres:5432')
      expect(page.body.payload!.custom_details?.summary).toContain('not among the 1 edge spiffe:')
    } finally {
      await sink.close()
    }
  })
})

describe('every app under a real Prometheus', () => {
  let prometheus: PrometheusServer | undefined
  afterAll(() => prometheus?.stop())

  it('is scraped with the token, up, with exposition promtool finds nothing to fix in', {
    timeout: 180_000,
  }, async () => {
    const apps: Record<string, AppProcess> = {
      collector: await start('collector'),
      ingester: await start('ingester', { PALISADE_DATA_DIR: join(workDir, 'prometheus-ingester') }),
      detector: await start('detector', { PALISADE_DATA_DIR: join(workDir, 'prometheus-detector') }),
      'alert-router': await start('alert-router', {
        PALISADE_DATA_DIR: join(workDir, 'prometheus-router'),
        PALISADE_PAGERDUTY_ROUTING_KEY: 'prometheus-test-key',
        PALISADE_PAGERDUTY_URL: 'http://127.0.0.1:9/v2/enqueue',
        PALISADE_TICKET_WEBHOOK_URL: 'http://127.0.0.1:9/tickets',
      }),
      dashboard: await start('dashboard', { PALISADE_DATA_DIR: join(workDir, 'prometheus-dashboard') }),
    }
    expect(await post(apps.collector!, flowBody('scraped', 50))).toBe(50)
    // The standalone router answers the Alertmanager API on its port, with the token.
    const alertmanager = `${apps['alert-router']!.url}/api/v2`
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
    const external = [{ labels: { alertname: 'FromPrometheus', severity: 'warning', service: 'pdp' } }]
    expect(
      (await fetch(`${alertmanager}/alerts`, { method: 'POST', body: JSON.stringify(external) })).status,
    ).toBe(401)
    expect(
      (
        await fetch(`${alertmanager}/alerts`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify(external),
        })
      ).status,
    ).toBe(200)
    const held = (await (await fetch(`${alertmanager}/alerts`, { headers: auth })).json()) as Array<{
      labels: Record<string, string>
    }>
    expect(held.map((alert) => alert.labels.alertname)).toContain('FromPrometheus')
    await until('the ingester consuming', 60_000, () => caughtUp('ingester', topics.events('flow')))
    prometheus = await startPrometheus({
      targets: Object.entries(apps).map(([job, app]) => ({ job, url: `${app.url}/metrics` })),
      bearerToken: token,
    })
    await until('every target scraped', 60_000, async () => {
      const targets = await prometheus!.targets()
      return targets.length === 5 && targets.every((target) => target.health === 'up')
    })
    const up = await prometheus.query('up')
    expect(up.map((sample) => [sample.metric.job, sample.value[1]]).sort()).toEqual(
      Object.keys(apps)
        .sort()
        .map((job) => [job, '1']),
    )
    // Per-stage counters and consumer lag, as Prometheus stored them.
    expect(await prometheus.query('palisade_collector_records_total{outcome="accepted"}')).not.toEqual([])
    expect(await prometheus.query('palisade_ingester_rows_total{outcome="stored"}')).not.toEqual([])
    expect(await prometheus.query('palisade_consumer_lag_messages{group="ingester"}')).not.toEqual([])
    expect(await prometheus.query('palisade_detector_events_total')).not.toEqual([])
    for (const [name, app] of Object.entries(apps)) {
      const text = await (
        await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })
      ).text()
      const verdict = await promtoolCheckMetrics(text)
      expect(verdict.output, `${name}: ${verdict.output}`).toBe('')
      expect(verdict.ok).toBe(true)
    }
    for (const app of Object.values(apps)) expect(await app.stop()).toBe(0)
  })
})

async function postLines(collector: AppProcess, lines: string[]): Promise<number> {
  return post(collector, lines.join('\n'))
}
