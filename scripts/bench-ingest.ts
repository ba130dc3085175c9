// npm run bench:ingest [-- --events N --batch B --concurrency C]
//
// End-to-end ingest rate of the all-in-one process (HTTP → validate → bus → dedup → ClickHouse,
// acknowledged = stored and queryable) beside the embedded engine's own rate for inserting the same
// events from a file (INSERT ... SELECT ... FROM file(..., JSONEachRow)), measured in one run.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { migrate, migrationsDir, openClickHouse } from '@palisade/clickhouse'
import { startPalisadeProcess } from '@palisade/testing'

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    batch: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '4' },
    /** Write a V8 CPU profile of the palisade process into this folder. */
    'cpu-prof-dir': { type: 'string' },
  },
})
const total = Number(args.events)
const batchSize = Number(args.batch)
const concurrency = Number(args.concurrency)
const token = 'bench-token-0123456789abcdef'
// Recent: the collector refuses events older than their kind's retention (30 days for flows).
const t0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 24 * 3_600_000
const workDir = mkdtempSync(join(tmpdir(), 'palisade-bench-'))

function flowLine(i: number): string {
  const src = i % 50
  return JSON.stringify({
    event_id: `bench-${i}`,
    ts: t0 + Math.floor(i / 20),
    source: 'bench',
    service: `svc-${i % 20}`,
    src_identity: `spiffe://bench.example/ns/app/sa/client-${src}`,
    dst_identity: `spiffe://bench.example/ns/app/sa/svc-${i % 20}`,
    src_ip: `10.0.${src}.${i % 250}`,
    dst_ip: `10.1.0.${i % 20}`,
    src_port: 30000 + (i % 30000),
    dst_port: 8080,
    protocol: 'tcp',
    verdict: i % 97 === 0 ? 'dropped' : 'allowed',
    bytes_sent: (i * 7919) % 100000,
    bytes_received: (i * 104729) % 1000000,
    packets: 10 + (i % 90),
    duration_ms: i % 1000,
  })
}

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0
}

console.log(`generating ${total.toLocaleString()} flow events...`)
const bodies: string[] = []
for (let start = 0; start < total; start += batchSize) {
  const lines: string[] = []
  for (let i = start; i < Math.min(total, start + batchSize); i++) lines.push(flowLine(i))
  bodies.push(lines.join('\n'))
}

// 1. Over HTTP, through the all-in-one process.
const palisade = await startPalisadeProcess(
  { PALISADE_DATA_DIR: join(workDir, 'aio'), PALISADE_TOKEN: token },
  'start',
  args['cpu-prof-dir'] ? ['--cpu-prof', `--cpu-prof-dir=${args['cpu-prof-dir']}`] : [],
)
const latencies: number[] = []
let next = 0
let accepted = 0
const httpStart = performance.now()
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!
      const sent = performance.now()
      const response = await fetch(`${palisade.collectorUrl}/v1/ingest/flow`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
        body,
      })
      if (response.status !== 200)
        throw new Error(`collector answered ${response.status}: ${await response.text()}`)
      accepted += ((await response.json()) as { accepted: number }).accepted
      latencies.push(performance.now() - sent)
    }
  }),
)
const httpSeconds = (performance.now() - httpStart) / 1000
const palisadeRss = peakRssMiB(palisade.child.pid!)
palisade.child.kill('SIGTERM')
await palisade.exited
latencies.sort((a, b) => a - b)

// 2. The embedded engine alone, from a file of the same events, into the same migrated schema.
const file = join(workDir, 'events.ndjson')
writeFileSync(file, bodies.join('\n'))
bodies.length = 0
const client = await openClickHouse({ kind: 'embedded', dataDir: join(workDir, 'engine') })
await migrate(client, { dir: migrationsDir })
const fileStart = performance.now()
await client.command({
  query: `INSERT INTO flow_events
          SELECT {tenant:String} AS tenant, * EXCEPT (ts), fromUnixTimestamp64Milli(ts, 'UTC') AS ts, now64(3) AS observed_at
          FROM file({path:String}, 'JSONEachRow')`,
  query_params: { tenant: 'default', path: file },
})
const fileSeconds = (performance.now() - fileStart) / 1000
const [stored] = await (
  await client.query({
    query: 'SELECT count() AS n FROM flow_events',
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  })
).json<{ n: number }>()
await client.close()
const engineRss = peakRssMiB(process.pid)

const httpRate = accepted / httpSeconds
const fileRate = (stored?.n ?? 0) / fileSeconds
console.log(`
events                      ${total.toLocaleString()} (batches of ${batchSize.toLocaleString()}, ${concurrency} in flight)
HTTP end to end             ${Math.round(httpRate).toLocaleString()} events/s (${httpSeconds.toFixed(1)} s, ${accepted.toLocaleString()} acknowledged)
engine from file            ${Math.round(fileRate).toLocaleString()} events/s (${fileSeconds.toFixed(1)} s, ${(stored?.n ?? 0).toLocaleString()} rows)
ratio HTTP / file           ${(httpRate / fileRate).toFixed(2)}   (aim: >= 0.6)
request latency             p50 ${percentile(latencies, 0.5).toFixed(0)} ms, p99 ${percentile(latencies, 0.99).toFixed(0)} ms
peak RSS                    palisade ${palisadeRss.toFixed(0)} MiB, bench+engine ${engineRss.toFixed(0)} MiB`)
rmSync(workDir, { recursive: true, force: true })
