// The ingest benchmark behind `npm run bench:ingest`, as a function, so that `npm test` runs it at a
// tiny size (scripts/bench-ingest.smoke.test.ts) and it cannot rot unseen.
//
// End-to-end ingest rate of the all-in-one process (HTTP → validate → in-process bus → exactly-once
// id look-up → chDB; acknowledged = stored and queryable), then what was stored (count and sampled
// ids), the id look-up on the table as it now is, and last the embedded engine's own rate for
// inserting the same events from a file (INSERT ... SELECT ... FROM file(..., JSONEachRow)) into
// the same migrated tables: one run, one machine, each figure printed as soon as it is known.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type ClickHouseClient,
  findStoredEventIds,
  migrate,
  migrationsDir,
  openClickHouse,
} from '@palisade/clickhouse'
import { startPalisadeProcess } from '@palisade/testing'
import { scenarioDayFlows } from './bench-events.ts'

/** What to run; every figure is printed through `print` as soon as it is measured. */
export interface IngestBenchOptions {
  /** Flow events sent over HTTP. */
  events: number
  /** Events per request. */
  batch: number
  /** Requests in flight. */
  concurrency: number
  /** Flow events stored before the run (the exactly-once look-up then searches a larger table); default 0. */
  history?: number
  /** Send at this many events a second instead of as fast as acknowledged (latency and RSS at a given rate). */
  rate?: number
  /** Scale of the generated scenario whose flows are replayed (default 0.1: about 19,000 distinct flows). */
  scenarioScale?: number
  /** Write a V8 CPU profile of the palisade process into this folder. */
  cpuProfDir?: string
  print: (line: string) => void
}

/** The figures of one run. */
export interface IngestBenchResult {
  workDir: string
  httpEventsPerSecond: number
  acknowledged: number
  stored: number
  sampledIdsFound: number
  sampledIds: number
  p50Ms: number
  p99Ms: number
  palisadePeakRssMiB: number
  lookupMs: number
  freshLookupMs: number
  engineEventsPerSecond: number
  ratio: number
  cpuRatio: number
}

const token = 'bench-token-0123456789abcdef'
const hourMs = 3_600_000

const label = (name: string) => name.padEnd(28)
const perSecond = (count: number, seconds: number) => Math.round(count / seconds)

/** CPU time of a process so far (user + system, all threads: the engine's included), seconds. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  // utime and stime are fields 14 and 15 of stat, in clock ticks (100 a second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100
}

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0
}

/**
 * `total` flow events in request bodies of `batch`: the scenario's flows over and over, each
 * pass with its own event ids. The passes follow each other in time across the last day (the
 * collector refuses what its kind's retention would not keep), each the generated day compressed,
 * so that requests come in event-time order as a live source sends them.
 */
function requestBodies(total: number, batch: number, scale: number) {
  const { events, start } = scenarioDayFlows({ scale })
  if (events.length === 0) throw new Error('the generated scenario has no flows')
  const records = events as Record<string, unknown>[]
  const passes = Math.ceil(total / records.length)
  const passMs = (24 * hourMs) / passes
  const t0 = Math.floor(Date.now() / hourMs) * hourMs - 25 * hourMs
  const bodies: string[] = []
  const ids: string[] = []
  let lines: string[] = []
  for (let i = 0; i < total; i++) {
    const pass = Math.floor(i / records.length)
    const record = records[i % records.length]!
    const id = `${record.event_id as string}-${pass.toString(36)}`
    const ts = t0 + pass * passMs + Math.floor(((record.ts as number) - start) / passes)
    ids.push(id)
    lines.push(JSON.stringify({ ...record, event_id: id, ts }))
    if (lines.length === batch || i === total - 1) {
      bodies.push(lines.join('\n'))
      lines = []
    }
  }
  return { bodies, ids, distinct: records.length }
}

/** The columns of `table` that the engine's file insert must fill, with their types, from the schema itself. */
async function tableColumns(client: ClickHouseClient, table: string) {
  const result = await client.query({
    query: `SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = {table:String}
            AND default_kind NOT IN ('MATERIALIZED', 'ALIAS') ORDER BY position`,
    query_params: { table },
    format: 'JSONEachRow',
  })
  return result.json<{ name: string; type: string }>()
}

async function countRows(client: ClickHouseClient, query: string, params: Record<string, unknown> = {}) {
  const result = await client.query({
    query,
    query_params: params,
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  })
  const [row] = await result.json<{ n: number }>()
  return row?.n ?? 0
}

/**
 * Fill `flow_events` with `rows` older flows (spread over the 29 days before the run's day, so the
 * 30-day TTL keeps them), as a long-running installation has them, before the process starts.
 */
async function prefillHistory(client: ClickHouseClient, rows: number, print: (line: string) => void) {
  const start = performance.now()
  const end = Math.floor(Date.now() / hourMs) * hourMs - 26 * hourMs
  const span = 28 * 24 * hourMs
  for (let done = 0; done < rows; ) {
    const slice = Math.min(5_000_000, rows - done)
    await client.command({
      query: `INSERT INTO flow_events (tenant, event_id, ts, observed_at, source, service, src_identity, dst_identity,
                                        src_ip, dst_ip, src_port, dst_port, protocol, verdict, bytes_sent, bytes_received)
              SELECT 'default', concat('history-', toString(n)),
                     fromUnixTimestamp64Milli(toInt64({end:Int64} - {span:Int64} + intDiv(n * {span:Int64}, {rows:UInt64})), 'UTC'),
                     now64(3), 'history', concat('svc-', toString(n % 24), '.shop'),
                     concat('spiffe://cluster.local/ns/shop/sa/client-', toString(n % 97)),
                     concat('spiffe://cluster.local/ns/shop/sa/svc-', toString(n % 24)),
                     concat('10.244.', toString(n % 7), '.', toString(n % 251)), concat('10.245.0.', toString(n % 24)),
                     30000 + n % 30000, 8080, 'tcp', 'allowed', n % 5000, n % 50000
              FROM (SELECT number + {offset:UInt64} AS n FROM numbers({slice:UInt64}))`,
      query_params: { end, span, rows, offset: done, slice },
    })
    done += slice
  }
  // Merged now, as an installation's history long since is: the run then pays no merges of it.
  await client.command({ query: 'OPTIMIZE TABLE flow_events FINAL' })
  const seconds = (performance.now() - start) / 1000
  print(
    `${label('history')}${rows.toLocaleString()} flows stored and merged before the run (${seconds.toFixed(1)} s)`,
  )
}

/** Run the benchmark; the work directory is removed whatever happens. */
export async function runIngestBench(options: IngestBenchOptions): Promise<IngestBenchResult> {
  const { events: total, batch, concurrency, print } = options
  const history = options.history ?? 0
  const workDir = mkdtempSync(join(tmpdir(), 'palisade-bench-ingest-'))
  const dataDir = join(workDir, 'aio')
  const storeDir = join(dataDir, 'clickhouse')
  let palisade: Awaited<ReturnType<typeof startPalisadeProcess>> | undefined
  let client: ClickHouseClient | undefined
  try {
    const { bodies, ids, distinct } = requestBodies(total, batch, options.scenarioScale ?? 0.1)
    print(
      `${label('events')}${total.toLocaleString()} flows (${distinct.toLocaleString()} distinct Hubble/Envoy flows of the generated scenario, replayed with new ids), ${batch.toLocaleString()} a request, ${concurrency} in flight`,
    )

    if (history > 0) {
      client = await openClickHouse({ kind: 'embedded', dataDir: storeDir })
      await migrate(client, { dir: migrationsDir })
      await prefillHistory(client, history, print)
      await client.close()
      client = undefined
    }

    // 1. Over HTTP, through the all-in-one process (detectors consume behind the acknowledgement).
    palisade = await startPalisadeProcess(
      { PALISADE_DATA_DIR: dataDir, PALISADE_TOKEN: token },
      'start',
      options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [],
    )
    const collectorUrl = palisade.collectorUrl
    const latencies: number[] = []
    let next = 0
    let acknowledged = 0
    const pid = palisade.child.pid!
    const cpuBefore = cpuSeconds(pid)
    // Read until the process is gone, so that the detectors' drain after the last request counts too.
    let cpuLast = cpuBefore
    const sampler = setInterval(() => {
      try {
        cpuLast = cpuSeconds(pid)
      } catch {
        // Exited between two readings: the last one stands.
      }
    }, 100)
    const httpStart = performance.now()
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < bodies.length) {
          const index = next++
          const body = bodies[index]!
          if (options.rate) {
            const due = httpStart + (index * batch * 1000) / options.rate
            if (due > performance.now())
              await new Promise((resolve) => setTimeout(resolve, due - performance.now()))
          }
          const sent = performance.now()
          const response = await fetch(`${collectorUrl}/v1/ingest/flow`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
            body,
          })
          if (response.status !== 200)
            throw new Error(`collector answered ${response.status}: ${await response.text()}`)
          const answer = (await response.json()) as { accepted: number; rejected: number }
          if (answer.rejected > 0) throw new Error(`collector rejected ${answer.rejected} events`)
          acknowledged += answer.accepted
          latencies.push(performance.now() - sent)
        }
      }),
    )
    const httpSeconds = (performance.now() - httpStart) / 1000
    const palisadeCpu = cpuSeconds(pid) - cpuBefore
    const httpRate = perSecond(acknowledged, httpSeconds)
    latencies.sort((a, b) => a - b)
    const p50Ms = percentile(latencies, 0.5)
    const p99Ms = percentile(latencies, 0.99)
    const palisadeRss = peakRssMiB(palisade.child.pid!)
    print(
      `${label('HTTP end to end')}${httpRate.toLocaleString()} events/s${options.rate ? ` (sent at ${options.rate.toLocaleString()}/s)` : ''} (${httpSeconds.toFixed(1)} s, ${acknowledged.toLocaleString()} acknowledged)`,
    )
    print(
      `${label('palisade CPU')}${palisadeCpu.toFixed(1)} s until the last answer, ${((palisadeCpu * 1e6) / acknowledged).toFixed(1)} µs an event (every thread: HTTP, validation, engine, and the detectors consuming behind)`,
    )
    print(`${label('request latency')}p50 ${p50Ms.toFixed(0)} ms, p99 ${p99Ms.toFixed(0)} ms`)
    print(`${label('palisade peak RSS')}${palisadeRss.toFixed(0)} MiB`)
    // Stopping lets the detectors finish what they queued behind the acknowledgement.
    const stopStart = performance.now()
    palisade.child.kill('SIGTERM')
    await palisade.exited
    clearInterval(sampler)
    palisade = undefined
    const palisadeCpuAll = cpuLast - cpuBefore
    print(
      `${label('shutdown')}${((performance.now() - stopStart) / 1000).toFixed(1)} s (detectors drain their queue); palisade CPU in all ${palisadeCpuAll.toFixed(1)} s, ${((palisadeCpuAll * 1e6) / acknowledged).toFixed(1)} µs an event`,
    )

    // 2. What was stored: every acknowledged event, once, and a sample of ids found by id.
    client = await openClickHouse({ kind: 'embedded', dataDir: storeDir })
    const stored = await countRows(client, "SELECT count() AS n FROM flow_events WHERE source != 'history'")
    const step = Math.max(1, Math.floor(ids.length / 100))
    const sample = ids.filter((_, index) => index % step === 0).slice(0, 100)
    const sampledIdsFound = await countRows(
      client,
      'SELECT count() AS n FROM flow_events WHERE event_id IN {ids:Array(String)}',
      { ids: sample },
    )
    print(
      `${label('stored')}${stored.toLocaleString()} rows for ${acknowledged.toLocaleString()} acknowledged; ${sampledIdsFound}/${sample.length} sampled ids found once`,
    )
    if (stored !== acknowledged || sampledIdsFound !== sample.length)
      throw new Error(`stored ${stored} rows and found ${sampledIdsFound} of ${sample.length} sampled ids`)

    // 3. The exactly-once look-up as the ingester runs it, for one request's ids (a request from the
    // middle of the run), on the table as it is now: as a retry (all found) and as new ids in the
    // same time range (none found, what every fresh request pays).
    const probe = (bodies[Math.floor(bodies.length / 2)] ?? '').split('\n').map((line) => {
      const event = JSON.parse(line) as { event_id: string; ts: number; service: string }
      return { event_id: event.event_id, ts: event.ts, service: event.service }
    })
    const lookupStart = performance.now()
    const found = await findStoredEventIds(client, 'flow_events', 'default', probe)
    const lookupMs = performance.now() - lookupStart
    const freshStart = performance.now()
    const foundFresh = await findStoredEventIds(
      client,
      'flow_events',
      'default',
      probe.map((event) => ({ ...event, event_id: `${event.event_id}-new` })),
    )
    const freshLookupMs = performance.now() - freshStart
    const tableRows = await countRows(client, 'SELECT count() AS n FROM flow_events')
    print(
      `${label('exactly-once id look-up')}${freshLookupMs.toFixed(0)} ms for ${probe.length.toLocaleString()} new ids (${foundFresh.size} found), ${lookupMs.toFixed(0)} ms for the same request retried (${found.size.toLocaleString()} found), in ${tableRows.toLocaleString()} stored flows`,
    )

    // 4. The engine alone, from a file of the same events, into the same migrated tables (emptied
    // first; the rollup views fire as they did for the HTTP run). Columns named from the schema.
    const file = join(workDir, 'events.ndjson')
    writeFileSync(file, bodies.join('\n'))
    bodies.length = 0
    const columns = (await tableColumns(client, 'flow_events')).filter(
      (column) => column.name !== 'tenant' && column.name !== 'observed_at',
    )
    const structure = columns
      .map((column) => `${column.name} ${column.name === 'ts' ? 'Int64' : column.type}`)
      .join(', ')
    const selected = columns.map((column) =>
      column.name === 'ts' ? "fromUnixTimestamp64Milli(ts, 'UTC') AS ts" : column.name,
    )
    await client.command({ query: 'TRUNCATE TABLE flow_events' })
    const engineCpuBefore = process.cpuUsage()
    const fileStart = performance.now()
    await client.command({
      query: `INSERT INTO flow_events (tenant, observed_at, ${columns.map((column) => column.name).join(', ')})
              SELECT {tenant:String}, now64(3), ${selected.join(', ')}
              FROM file({path:String}, 'JSONEachRow', {structure:String})`,
      query_params: { tenant: 'default', path: file, structure },
    })
    const fileSeconds = (performance.now() - fileStart) / 1000
    const engineCpuUsage = process.cpuUsage(engineCpuBefore)
    const engineCpu = (engineCpuUsage.user + engineCpuUsage.system) / 1e6
    const engineStored = await countRows(client, 'SELECT count() AS n FROM flow_events')
    if (engineStored !== total) throw new Error(`the engine stored ${engineStored} of ${total} events`)
    const engineRate = perSecond(engineStored, fileSeconds)
    print(
      `${label('engine from file')}${engineRate.toLocaleString()} events/s (${fileSeconds.toFixed(1)} s, ${engineStored.toLocaleString()} rows)`,
    )
    print(
      `${label('engine CPU')}${engineCpu.toFixed(1)} s, ${((engineCpu * 1e6) / engineStored).toFixed(1)} µs an event`,
    )
    const ratio = httpRate / engineRate
    print(`${label('ratio HTTP / engine')}${ratio.toFixed(3)}   (aim: >= 0.6; at least 0.25)`)
    const cpuRatio = engineCpu / engineStored / (palisadeCpuAll / acknowledged)
    print(
      `${label('ratio of CPU an event')}${cpuRatio.toFixed(3)}   (engine / palisade in all, detectors included: steadier than rates when the machine is shared)`,
    )
    return {
      workDir,
      httpEventsPerSecond: httpRate,
      acknowledged,
      stored,
      sampledIdsFound,
      sampledIds: sample.length,
      p50Ms,
      p99Ms,
      palisadePeakRssMiB: palisadeRss,
      lookupMs,
      freshLookupMs,
      engineEventsPerSecond: engineRate,
      ratio,
      cpuRatio,
    }
  } finally {
    if (palisade) {
      palisade.child.kill('SIGKILL')
      await palisade.exited
    }
    await client?.close()
    rmSync(workDir, { recursive: true, force: true })
  }
}
