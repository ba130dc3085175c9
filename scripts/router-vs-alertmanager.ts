// `npm run bench:router`'s side-by-side part: the same alerts through `POST /api/v2/alerts` to
// Palisade's alert router (scripts/router-bench-server.ts: its ledger in the embedded ClickHouse
// engine) and to a real Alertmanager (Debian's prometheus-alertmanager, with an equivalent route),
// each a server process of its own on a local port, both notifying local webhook sinks. The load
// generator, the sinks and the clock are this process's and the same for both, and every figure is
// taken the same way for both (RSS: the server process's). Prints each figure and the ratio
// Palisade / Alertmanager.

import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { Agent, createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Where Debian installs Alertmanager. */
export const alertmanagerBinary = '/usr/bin/prometheus-alertmanager'

/** Sizes of one side-by-side run. */
export interface SideBySideOptions {
  /** Alerts sent in batches of 100 (default 20,000). */
  batched: number
  /** Alerts sent one per request (default 2,000). */
  single: number
  /** Alerts of the one-group burst (default 2,000). */
  burst: number
  /** Requests in flight at once (default 8). */
  concurrency: number
  /**
   * Rounds, each system once per round in turn (Palisade, Alertmanager, Palisade, ...), each time a
   * fresh process; every figure is each system's best round (default 1). On a shared machine a
   * neighbour's burst then costs a system one round, not the comparison.
   */
  rounds?: number
  /** Write a V8 CPU profile of each Palisade server process here (`node --cpu-prof`; default none). */
  cpuProfileDir?: string
}

/** One system's figures. */
export interface SystemFigures {
  batchedAlertsPerSecond: number
  batchedP99Ms: number
  singleAlertsPerSecond: number
  singleP99Ms: number
  /**
   * The server process's CPU time (user + system, all its threads) per 1,000 alerts accepted, ms:
   * what the alerts/s would be on an idle machine depends on it, and a busy machine moves it less.
   */
  batchedCpuMsPer1000: number
  singleCpuMsPer1000: number
  burstNotifications: number
  /** New group to its notification, beyond group_wait, ms. */
  newGroupBeyondWaitMs: number
  /** Resolve sent to its notification, ms. */
  resolveToNotifyMs: number
  rssMb: number
}

const TOKEN = 'router-bench-token-0123456789abcdef'
const GROUP_WAIT_MS = 1000
const GROUP_INTERVAL_MS = 2000

interface Sink {
  url: string
  received: Array<{
    at: number
    body: { status: string; groupLabels?: Record<string, string>; alerts: unknown[] }
  }>
  close(): Promise<void>
}

async function startSink(): Promise<Sink> {
  const received: Sink['received'] = []
  const server: Server = createServer((request, response) => {
    let text = ''
    request.on('data', (chunk) => (text += chunk))
    request.on('end', () => {
      received.push({ at: Date.now(), body: JSON.parse(text) })
      response.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

function alertBody(
  i: number,
  alertname: string,
  extra: Record<string, string> = {},
  times: { startsAt?: number; endsAt?: number } = {},
) {
  return {
    labels: { alertname, service: `svc-${i % 500}`, instance: `i-${i}`, severity: 'warning', ...extra },
    annotations: { summary: `${alertname} on svc-${i % 500}` },
    // As Prometheus sends them: started a rule's `for` ago (Alertmanager flushes a new group at
    // once when its alert started more than group_wait ago; Palisade waits group_wait).
    startsAt: new Date(times.startsAt ?? Date.now() - 60_000).toISOString(),
    ...(times.endsAt !== undefined ? { endsAt: new Date(times.endsAt).toISOString() } : {}),
  }
}

function p99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0
}

/**
 * POST `bodies` (one request each) with `concurrency` in flight over kept-alive connections;
 * alerts/s and p99 request time. Bodies are encoded before the clock starts, and the client is
 * node:http (less work per request than fetch), so that the figure is the server's as far as can be.
 */
async function send(url: string, headers: Record<string, string>, bodies: unknown[][], concurrency: number) {
  const target = new URL(url)
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
  const encoded = bodies.map((body) => ({ bytes: Buffer.from(JSON.stringify(body)), alerts: body.length }))
  const post = (bytes: Buffer) =>
    new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json', 'content-length': bytes.length },
        },
        (response) => {
          response.resume()
          response.on('end', () => resolve(response.statusCode ?? 0))
          response.on('error', reject)
        },
      )
      request.on('error', reject)
      request.end(bytes)
    })
  const times: number[] = []
  let next = 0
  let alerts = 0
  const started = performance.now()
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < encoded.length) {
          const body = encoded[next++]!
          const t = performance.now()
          // A kept-alive socket the server closed as idle resets once; the request itself is sent again.
          const status = await post(body.bytes).catch(() => post(body.bytes))
          if (status !== 200) throw new Error(`${url} answered ${status}`)
          times.push(performance.now() - t)
          alerts += body.alerts
        }
      }),
    )
  } finally {
    agent.destroy()
  }
  const seconds = (performance.now() - started) / 1000
  return { alertsPerSecond: alerts / seconds, p99Ms: p99(times) }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function waitFor<T>(check: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = check()
    if (value !== undefined || Date.now() > deadline) return value
    await sleep(5)
  }
}

/** Run the measured sequence against one system's `POST /api/v2/alerts`. */
async function measure(
  base: string,
  headers: Record<string, string>,
  sink: Sink,
  pid: number,
  options: SideBySideOptions,
): Promise<SystemFigures> {
  const url = `${base}/api/v2/alerts`
  // Untimed, the same for both: a JIT compiler (Palisade's) has seen the path before it is timed,
  // as it has in a server that has been up for a minute.
  const warmup = Array.from({ length: 20 }, (_, b) =>
    Array.from({ length: 100 }, (_, j) => alertBody(b * 100 + j, `Warmup${j % 20}`)),
  )
  await send(url, headers, warmup, options.concurrency)
  await send(
    url,
    headers,
    Array.from({ length: 200 }, (_, i) => [alertBody(i, 'WarmupSingle')]),
    options.concurrency,
  )
  const batches: unknown[][] = []
  for (let i = 0; i < options.batched; i += 100)
    batches.push(
      Array.from({ length: Math.min(100, options.batched - i) }, (_, j) =>
        alertBody(i + j, `Batched${(i + j) % 20}`),
      ),
    )
  const cpuBeforeBatched = cpuMsOf(pid)
  const batched = await send(url, headers, batches, options.concurrency)
  const cpuBeforeSingle = cpuMsOf(pid)
  const singles = Array.from({ length: options.single }, (_, i) => [alertBody(i, `Single${i % 20}`)])
  const single = await send(url, headers, singles, options.concurrency)
  const cpuAfterSingle = cpuMsOf(pid)

  // A burst sharing one group: how many notifications it becomes.
  const burstBodies: unknown[][] = []
  for (let i = 0; i < options.burst; i += 100)
    burstBodies.push(
      Array.from({ length: Math.min(100, options.burst - i) }, (_, j) =>
        alertBody(i + j, 'Burst', { service: 'burst' }),
      ),
    )
  const beforeBurst = sink.received.length
  await send(url, headers, burstBodies, options.concurrency)
  // Its first notification (however late a backlog makes it), then two group_intervals for more.
  await waitFor(
    () => sink.received.slice(beforeBurst).find((n) => n.body.groupLabels?.alertname === 'Burst'),
    120_000,
  )
  await sleep(2 * GROUP_INTERVAL_MS + 500)
  const burstNotifications = sink.received
    .slice(beforeBurst)
    .filter((n) => n.body.groupLabels?.alertname === 'Burst').length

  // A new group's first notification, and its resolve. The probe starts when it is sent, so that
  // both systems wait group_wait for it (Alertmanager skips the wait for an alert that started
  // longer ago than that, which made this figure about -group_wait for it).
  const sentAt = Date.now()
  const probe = alertBody(0, 'Probe', { service: 'probe' }, { startsAt: sentAt })
  await send(url, headers, [[probe]], 1)
  const opened = await waitFor(
    () => sink.received.find((n) => n.body.groupLabels?.alertname === 'Probe' && n.body.status === 'firing'),
    30_000,
  )
  const resolvedAt = Date.now()
  const resolve = alertBody(0, 'Probe', { service: 'probe' }, { startsAt: sentAt, endsAt: resolvedAt - 1 })
  await send(url, headers, [[resolve]], 1)
  const resolved = await waitFor(
    () =>
      sink.received.find((n) => n.body.groupLabels?.alertname === 'Probe' && n.body.status === 'resolved'),
    30_000,
  )
  return {
    batchedAlertsPerSecond: batched.alertsPerSecond,
    batchedP99Ms: batched.p99Ms,
    singleAlertsPerSecond: single.alertsPerSecond,
    singleP99Ms: single.p99Ms,
    batchedCpuMsPer1000: ((cpuBeforeSingle - cpuBeforeBatched) / options.batched) * 1000,
    singleCpuMsPer1000: ((cpuAfterSingle - cpuBeforeSingle) / options.single) * 1000,
    burstNotifications,
    newGroupBeyondWaitMs: opened ? opened.at - sentAt - GROUP_WAIT_MS : Number.NaN,
    resolveToNotifyMs: resolved ? resolved.at - resolvedAt : Number.NaN,
    rssMb: rssOf(pid),
  }
}

/** A process's CPU time so far (user + system, every thread), ms, from /proc/<pid>/stat. */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The fields after the command name (which may hold spaces), from the 3rd (state) on.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = Number(fields[11]) + Number(fields[12])
  // Linux reports in clock ticks of 1/100 s (USER_HZ) on every architecture Node runs on.
  return ticks * 10
}

function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return match ? Number(match[1]) / 1024 : Number.NaN
}

/** A server process the bench started: its base URL, and how to stop it. */
interface BenchServer {
  url: string
  pid: number
  stop(): Promise<void>
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill('SIGTERM')
    const late = setTimeout(() => child.kill('SIGKILL'), 15_000)
    await exited
    clearTimeout(late)
  }
}

async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as AddressInfo).port
  await new Promise((resolve) => probe.close(resolve))
  return port
}

async function startAlertmanager(dir: string, sinkUrl: string): Promise<BenchServer> {
  const port = await freePort()
  writeFileSync(
    join(dir, 'alertmanager.yml'),
    `route:
  receiver: sink
  group_by: [alertname, service]
  group_wait: ${GROUP_WAIT_MS / 1000}s
  group_interval: ${GROUP_INTERVAL_MS / 1000}s
  repeat_interval: 4h
receivers:
  - name: sink
    webhook_configs: [{ url: '${sinkUrl}', send_resolved: true }]
`,
  )
  const child = spawn(
    alertmanagerBinary,
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
    { stdio: 'ignore' },
  )
  const server = { url: `http://127.0.0.1:${port}`, pid: child.pid ?? 0, stop: stopper(child) }
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`${server.url}/-/ready`)
      .then((r) => r.ok)
      .catch(() => false)
    if (ok) return server
    await sleep(50)
  }
  await server.stop()
  throw new Error('Alertmanager did not become ready')
}

const palisadeServerScript = fileURLToPath(new URL('./router-bench-server.ts', import.meta.url))

async function startPalisade(dir: string, sinkUrl: string, cpuProfileDir?: string): Promise<BenchServer> {
  const child = spawn(
    process.execPath,
    [
      ...(cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : []),
      '--import',
      'tsx',
      palisadeServerScript,
      join(dir, 'palisade'),
      sinkUrl,
      String(GROUP_WAIT_MS),
      String(GROUP_INTERVAL_MS),
      TOKEN,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const stop = stopper(child)
  const url = await new Promise<string | undefined>((resolve) => {
    let output = ''
    const timer = setTimeout(() => resolve(undefined), 120_000)
    child.stdout?.on('data', (chunk) => {
      output += String(chunk)
      const match = /^listening (\S+)$/m.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
    child.once('exit', () => {
      clearTimeout(timer)
      resolve(undefined)
    })
  })
  if (url === undefined) {
    await stop()
    throw new Error('the Palisade bench server did not start')
  }
  return { url, pid: child.pid ?? 0, stop }
}

/** Each figure's best over rounds: most alerts/s, least time, CPU and memory, most notifications (the worst case). */
function best(rounds: SystemFigures[]): SystemFigures {
  const pick = (key: keyof SystemFigures, most: boolean) => {
    const values = rounds.map((figures) => figures[key]).filter((value) => !Number.isNaN(value))
    if (values.length === 0) return Number.NaN
    return most ? Math.max(...values) : Math.min(...values)
  }
  return {
    batchedAlertsPerSecond: pick('batchedAlertsPerSecond', true),
    batchedP99Ms: pick('batchedP99Ms', false),
    singleAlertsPerSecond: pick('singleAlertsPerSecond', true),
    singleP99Ms: pick('singleP99Ms', false),
    batchedCpuMsPer1000: pick('batchedCpuMsPer1000', false),
    singleCpuMsPer1000: pick('singleCpuMsPer1000', false),
    burstNotifications: pick('burstNotifications', true),
    newGroupBeyondWaitMs: pick('newGroupBeyondWaitMs', false),
    resolveToNotifyMs: pick('resolveToNotifyMs', false),
    rssMb: pick('rssMb', true),
  }
}

/** Run both systems on the same sequence, in turn, `rounds` times; each one's best figures. */
export async function runSideBySide(
  options: SideBySideOptions,
): Promise<{ palisade: SystemFigures; alertmanager: SystemFigures }> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-router-vs-am-'))
  const palisade: SystemFigures[] = []
  const alertmanager: SystemFigures[] = []
  try {
    const run = async (start: (sinkUrl: string) => Promise<BenchServer>, headers: Record<string, string>) => {
      // A sink per run: the probe is found by its name, which every run sends.
      const sink = await startSink()
      const server = await start(sink.url)
      try {
        return await measure(server.url, headers, sink, server.pid, options)
      } finally {
        await server.stop()
        await sink.close()
      }
    }
    for (let round = 0; round < (options.rounds ?? 1); round++) {
      const roundDir = join(dir, `round-${round}`)
      mkdirSync(roundDir, { recursive: true })
      palisade.push(
        await run((sinkUrl) => startPalisade(roundDir, sinkUrl, options.cpuProfileDir), {
          authorization: `Bearer ${TOKEN}`,
        }),
      )
      alertmanager.push(await run((sinkUrl) => startAlertmanager(roundDir, sinkUrl), {}))
    }
    return { palisade: best(palisade), alertmanager: best(alertmanager) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The side-by-side table with ratios (Palisade / Alertmanager). */
export function sideBySideReport(
  result: { palisade: SystemFigures; alertmanager: SystemFigures },
  rounds = 1,
): string {
  const rows: Array<[string, keyof SystemFigures, number]> = [
    ['accepted alerts/s, batches of 100', 'batchedAlertsPerSecond', 0],
    ['p99 request, batches of 100 (ms)', 'batchedP99Ms', 1],
    ['accepted alerts/s, one per request', 'singleAlertsPerSecond', 0],
    ['p99 request, one per request (ms)', 'singleP99Ms', 1],
    ['server CPU per 1,000 alerts, batches of 100 (ms)', 'batchedCpuMsPer1000', 1],
    ['server CPU per 1,000 alerts, one per request (ms)', 'singleCpuMsPer1000', 0],
    ['notifications for a 2,000-alert one-group burst', 'burstNotifications', 0],
    ['new group → notification beyond group_wait (ms)', 'newGroupBeyondWaitMs', 0],
    ['resolve → notification (ms)', 'resolveToNotifyMs', 0],
    ['RSS of the server process (MB; Palisade: embedded ClickHouse included)', 'rssMb', 0],
  ]
  const { palisade, alertmanager } = result
  return [
    `Palisade vs Alertmanager 0.25 (POST /api/v2/alerts, group_wait 1s, group_interval 2s${rounds > 1 ? `; each system's best of ${rounds} rounds` : ''})`,
    ...rows.map(([label, key, digits]) => {
      const p = palisade[key]
      const a = alertmanager[key]
      const ratio = a === 0 ? '—' : `${(p / a).toFixed(2)}×`
      return `  ${label}: Palisade ${p.toFixed(digits)}, Alertmanager ${a.toFixed(digits)}, ratio ${ratio}`
    }),
  ].join('\n')
}
