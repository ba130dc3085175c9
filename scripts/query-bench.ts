// The dashboard's read cost as history grows: every panel and API route timed over real HTTP
// against the embedded store at two or more sizes, with the raw (pre-rollup) service graph beside
// the rollup one as the baseline of the same run. `npm run bench:query` runs it at 5 M and 50 M.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  type ClickHouseClient,
  createFindingStore,
  createNotificationLedger,
  createSloRollupReader,
  dashboardQueries,
  migrate,
  migrationsDir,
  openClickHouse,
} from '@palisade/clickhouse'
import { createDashboardRoutes } from '@palisade/dashboard'
import { loadDeclarations } from '@palisade/declarations'
import {
  closeServer,
  createMetricsRegistry,
  createServiceApp,
  createTokenAuthenticator,
  finishServiceApp,
  listen,
} from '@palisade/http-server'
import type { Finding } from '@palisade/schema'
import { createEnvReader, readDeclarationDirs } from '@palisade/settings'
import { createSloStatusReader } from '@palisade/slo'
import { insertSyntheticEvents, rawPanelQueries } from '@palisade/testing'

/** What {@link runQueryBench} measures. */
export interface QueryBenchOptions {
  /** Stored events at each measurement, ascending; each step inserts the difference (default 5 M, 50 M). */
  sizes?: number[]
  /** Timed requests per route and size (default 20), after one untimed warm-up. */
  runs?: number
  /** Days the events span, ending now (default 7): a larger size is a denser history, not a longer one. */
  spanDays?: number
  /** Longest wait for background merges after a load, ms (default 10 minutes). */
  settleMs?: number
  /** Progress lines (default: none). */
  log?: (line: string) => void
  /**
   * A folder to keep each size's store in (`<dataDir>/events-<size>`), reused by the next run with
   * the same folder: a store found there is migrated (new migrations and their backfills apply, as
   * on an upgrade) and timed as it is, without loading again. Default: a temporary folder, removed.
   */
  dataDir?: string
  /** Time only the routes whose label contains one of these (default: every route and the baselines). */
  only?: string[]
}

/** One route's figures at one size. */
export interface RouteFigures {
  p50Ms: number
  p95Ms: number
  /** Rows (panels) or bytes (other routes) of the last answer: shows what was asked returned data. */
  answered: number
}

/** What {@link runQueryBench} measured. */
export interface QueryBenchResult {
  sizes: number[]
  /** Seconds each size took to load its events (merges not included), and events/s; `reused` when found stored. */
  loads: {
    events: number
    seconds: number
    eventsPerSecond: number
    settledSeconds: number
    reused: boolean
  }[]
  /** Route label → figures per size (same order as `sizes`). */
  routes: Map<string, RouteFigures[]>
  /** The data folder: removed before the call returns unless it was `dataDir`. */
  workDir: string
}

const TENANT = 'acme'
const TOKEN = 'bench-query-token-0123456789abcdef'
const HOUR = 3_600_000
const repoRoot = fileURLToPath(new URL('..', import.meta.url))

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0
}

async function waitForMerges(client: ClickHouseClient, limitMs: number): Promise<number> {
  const started = Date.now()
  while (Date.now() - started < limitMs) {
    const result = await client.query({
      query: 'SELECT count() AS n FROM system.merges WHERE database = currentDatabase()',
      format: 'JSONEachRow',
    })
    const [row] = await result.json<{ n: string | number }>()
    if (Number(row?.n ?? 0) === 0) break
    await new Promise((resolve) => setTimeout(resolve, 1000))
  }
  return (Date.now() - started) / 1000
}

/** A few hundred findings and incidents, so that the finding, evidence and incident routes answer. */
async function seedFindingsAndIncidents(client: ClickHouseClient, from: number, to: number): Promise<void> {
  const findings: Finding[] = Array.from({ length: 300 }, (_, i) => {
    const ts = from + Math.floor(((to - from) * (i + 1)) / 301)
    return {
      finding_id: `bench-finding-${i}`,
      tenant: TENANT,
      ts,
      detected_at: ts + 5_000,
      rule: i % 3 === 0 ? 'lateral.new_edge' : 'authz.deny_spike',
      severity: i % 10 === 0 ? 'page' : 'ticket',
      title: `bench finding ${i}`,
      summary: 'svc-1 → svc-8:443 not seen before',
      entities: {
        src_identity: `spiffe://${TENANT}.io/ns/edge/sa/svc-1`,
        dst_identity: `spiffe://${TENANT}.io/ns/shop/sa/svc-8`,
        dst_port: '443',
      },
      evidence: { event_ids: [`syn-f-1-${i * 1000}`, `syn-d-1-${i * 1000}`], baseline_flows: 0 },
    }
  })
  await createFindingStore(client).write(findings)
  await createNotificationLedger(client).record(
    Array.from({ length: 200 }, (_, i) => ({
      tenant: TENANT,
      dedup_key: `bench-incident-${i % 40}`,
      receiver: 'pagerduty',
      action: 'trigger' as const,
      status: 'delivered' as const,
      alertname: 'authz.deny_spike',
      severity: 'page',
      summary: `deny spike on svc-${i % 40}`,
      labels: { alertname: 'authz.deny_spike', service: `svc-${i % 40}` },
      payload: '{}',
      attempts: 1,
      detail: '',
      recorded_at: to - (200 - i) * 60_000,
    })),
  )
}

/** The requests timed: each dashboard panel over the default 6 h and over 24 h, and every read route. */
function routesToTime(
  to: number,
  sloName: string | undefined,
  requestId: string | undefined,
): [string, string][] {
  const panels = Object.keys(dashboardQueries).flatMap((name): [string, string][] => [
    [`panel ${name} 6h`, `/api/v1/panels/${name}?from=${to - 6 * HOUR}&to=${to}`],
    [`panel ${name} 24h`, `/api/v1/panels/${name}?from=${to - 24 * HOUR}&to=${to}`],
  ])
  const entity = encodeURIComponent(`spiffe://${TENANT}.io/ns/edge/sa/svc-1`)
  const range = `from=${to - 24 * HOUR}&to=${to}`
  return [
    ...panels,
    ['GET /api/v1/findings', `/api/v1/findings?${range}`],
    ['GET /api/v1/findings/:id (evidence)', '/api/v1/findings/bench-finding-150'],
    ['GET /api/v1/entities/spiffe/:id 24h', `/api/v1/entities/spiffe/${entity}?${range}`],
    ['GET /api/v1/entities/workload/:name 24h', `/api/v1/entities/workload/svc-1?${range}`],
    ['GET /api/v1/incidents/:key', `/api/v1/incidents/bench-incident-7?${range}`],
    ...(requestId
      ? ([['GET /api/v1/requests/:id 24h', `/api/v1/requests/${requestId}?${range}`]] as [string, string][])
      : []),
    ['GET /api/v1/slos', '/api/v1/slos'],
    ['GET /api/v1/gates', '/api/v1/gates'],
    ...(sloName
      ? ([
          ['GET /api/v1/slos/:name/budget', `/api/v1/slos/${sloName}/budget`],
          ['GET /api/v1/slos/:name/burn-rate', `/api/v1/slos/${sloName}/burn-rate?${range}`],
        ] as [string, string][])
      : []),
    ['GET /api/v1/dashboards/oncall', '/api/v1/dashboards/oncall'],
  ]
}

async function timeRoute(base: string, path: string, runs: number): Promise<RouteFigures> {
  const headers = { authorization: `Bearer ${TOKEN}` }
  const once = async () => {
    const started = performance.now()
    const response = await fetch(`${base}${path}`, { headers })
    const text = await response.text()
    const elapsed = performance.now() - started
    if (response.status !== 200) throw new Error(`${path} answered ${response.status}: ${text.slice(0, 300)}`)
    return { elapsed, text }
  }
  let last = await once()
  const times: number[] = []
  for (let run = 0; run < runs; run++) {
    last = await once()
    times.push(last.elapsed)
  }
  times.sort((a, b) => a - b)
  const body = JSON.parse(last.text) as { rows?: unknown[] }
  return {
    p50Ms: percentile(times, 0.5),
    p95Ms: percentile(times, 0.95),
    answered: Array.isArray(body.rows) ? body.rows.length : last.text.length,
  }
}

async function timeRawQuery(
  client: ClickHouseClient,
  query: string,
  params: Record<string, unknown>,
  runs: number,
): Promise<RouteFigures> {
  const once = async () => {
    const started = performance.now()
    const result = await client.query({ query, query_params: params, format: 'JSONEachRow' })
    const found = await result.json()
    return { elapsed: performance.now() - started, rows: found.length }
  }
  let last = await once()
  const times: number[] = []
  for (let run = 0; run < runs; run++) {
    last = await once()
    times.push(last.elapsed)
  }
  times.sort((a, b) => a - b)
  return { p50Ms: percentile(times, 0.5), p95Ms: percentile(times, 0.95), answered: last.rows }
}

/** What a kept store holds: written once its load is complete, so a half-loaded store is never reused. */
interface LoadedStore {
  events: number
  from: number
  to: number
}

const LOADED_MARKER = 'bench-query-loaded.json'

function readLoaded(dir: string): LoadedStore | undefined {
  const marker = join(dir, LOADED_MARKER)
  return existsSync(marker) ? (JSON.parse(readFileSync(marker, 'utf8')) as LoadedStore) : undefined
}

/** The dashboard's routes over HTTP on `client`, its clock stopped at `to` (the end of the stored events). */
async function startDashboard(client: ClickHouseClient, to: number, log: (line: string) => void) {
  // The repository's own declarations (SLOs, dashboards), as a dashboard with no settings reads them.
  const env = createEnvReader({})
  const dirs = readDeclarationDirs(env, repoRoot)
  env.done()
  const declarations = await loadDeclarations(dirs)
  const authenticator = createTokenAuthenticator({ [TENANT]: TOKEN })
  const metrics = createMetricsRegistry({ app: 'bench-query' })
  const app = createServiceApp({ authenticator, metrics, ready: () => true })
  app.use(
    createDashboardRoutes({
      authenticator,
      client,
      findings: createFindingStore(client),
      slos: createSloStatusReader({
        rollups: createSloRollupReader(client),
        slos: declarations.slos,
        now: () => to,
      }),
      dashboards: declarations.dashboards,
      metrics,
      now: () => to,
    }),
  )
  finishServiceApp(app, (error) => log(`request failed: ${String(error)}`))
  const server = await listen(app, 0, '127.0.0.1')
  return {
    server,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sloName: declarations.slos[0]?.name,
  }
}

/**
 * For each size, a store holding that many synthetic events (see `insertSyntheticEvents`) over the
 * same span, loaded into its own folder or reused from `dataDir`, and every route of the dashboard
 * timed over real HTTP on it. A temporary folder is removed in `finally`, whatever happens.
 */
export async function runQueryBench(options: QueryBenchOptions = {}): Promise<QueryBenchResult> {
  const sizes = options.sizes ?? [5_000_000, 50_000_000]
  const runs = options.runs ?? 20
  const log = options.log ?? (() => {})
  const now = Math.floor(Date.now() / 60_000) * 60_000
  const spanMs = (options.spanDays ?? 7) * 24 * HOUR
  const workDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'palisade-bench-query-'))
  const routes = new Map<string, RouteFigures[]>()
  const loads: QueryBenchResult['loads'] = []
  let client: ClickHouseClient | undefined
  let server: Awaited<ReturnType<typeof listen>> | undefined
  try {
    for (const size of sizes) {
      const dir = join(workDir, `events-${size}`)
      const stored = readLoaded(dir)
      if (!stored) rmSync(dir, { recursive: true, force: true })
      client = await openClickHouse({ kind: 'embedded', dataDir: join(dir, 'data') })
      const migrating = performance.now()
      await migrate(client, { dir: migrationsDir })
      const migrateSeconds = (performance.now() - migrating) / 1000
      // A reused store is timed at the clock of its load, so that "the last 24 h" holds its events.
      const loaded = stored ?? { events: size, from: now - spanMs, to: now }
      if (stored) {
        if (stored.events !== size) throw new Error(`${dir} holds ${stored.events} events, not ${size}`)
        const settledSeconds = await waitForMerges(client, options.settleMs ?? 600_000)
        loads.push({ events: size, seconds: 0, eventsPerSecond: 0, settledSeconds, reused: true })
        log(
          `reused ${dir} (migrated in ${migrateSeconds.toFixed(1)} s, merges settled in ${settledSeconds} s)`,
        )
      } else {
        await seedFindingsAndIncidents(client, loaded.from, loaded.to)
        const started = performance.now()
        await insertSyntheticEvents(client, {
          tenant: TENANT,
          events: size,
          from: loaded.from,
          to: loaded.to,
          seed: 1,
        })
        const seconds = (performance.now() - started) / 1000
        const settledSeconds = await waitForMerges(client, options.settleMs ?? 600_000)
        writeFileSync(join(dir, LOADED_MARKER), JSON.stringify(loaded))
        loads.push({ events: size, seconds, eventsPerSecond: size / seconds, settledSeconds, reused: false })
        log(`loaded ${size} events in ${seconds.toFixed(1)} s; merges settled in ${settledSeconds} s`)
      }
      const to = loaded.to
      const dashboard = await startDashboard(client, to, log)
      server = dashboard.server
      // A request id from the middle of the last day: the request timeline's drill-down.
      const [request] = await (
        await client.query({
          query: `SELECT request_id FROM decision_events WHERE tenant = {tenant:String}
                    AND ts >= fromUnixTimestamp64Milli({at:Int64}, 'UTC') AND request_id != '' LIMIT 1`,
          query_params: { tenant: TENANT, at: to - 12 * HOUR },
          format: 'JSONEachRow',
        })
      ).json<{ request_id: string }>()
      const picked = (label: string) => !options.only || options.only.some((part) => label.includes(part))
      for (const [label, path] of routesToTime(to, dashboard.sloName, request?.request_id).filter(([label]) =>
        picked(label),
      )) {
        const figures = await timeRoute(dashboard.base, path, runs)
        routes.set(label, [...(routes.get(label) ?? []), figures])
        log(`${size} ${label}: p50 ${figures.p50Ms.toFixed(1)} ms, p95 ${figures.p95Ms.toFixed(1)} ms`)
      }
      // The floor on a shared machine: what a query that reads nothing takes in the same minutes.
      const floor = await timeRawQuery(client, 'SELECT 1', {}, runs)
      routes.set('floor: SELECT 1', [...(routes.get('floor: SELECT 1') ?? []), floor])
      for (const hours of options.only ? [] : [6, 24]) {
        const label = `baseline: raw service_graph (before 0009) ${hours}h`
        const figures = await timeRawQuery(
          client,
          rawPanelQueries.service_graph,
          { tenant: TENANT, from: to - hours * HOUR, to, limit: 200 },
          runs,
        )
        routes.set(label, [...(routes.get(label) ?? []), figures])
        log(`${size} ${label}: p50 ${figures.p50Ms.toFixed(1)} ms, p95 ${figures.p95Ms.toFixed(1)} ms`)
      }
      await closeServer(server)
      server = undefined
      await client.close()
      client = undefined
    }
    return { sizes, loads, routes, workDir }
  } finally {
    if (server) await closeServer(server)
    await client?.close()
    if (!options.dataDir) rmSync(workDir, { recursive: true, force: true })
  }
}

const millions = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000} M` : n.toLocaleString('en-US'))

/** The figures as a table: p50/p95 at each size, and the p95 ratio of the largest size to the smallest. */
export function queryBenchReport(result: QueryBenchResult): string {
  const first = 0
  const last = result.sizes.length - 1
  const header = [
    'route',
    ...result.sizes.flatMap((size) => [`p50 @${millions(size)}`, `p95 @${millions(size)}`]),
    `p95 ratio ${millions(result.sizes[last] ?? 0)}/${millions(result.sizes[first] ?? 0)}`,
    'rows/bytes',
  ]
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`]
  for (const [label, figures] of result.routes) {
    const ratio = (figures[last]?.p95Ms ?? 0) / Math.max(0.001, figures[first]?.p95Ms ?? 0)
    lines.push(
      `| ${label} | ${figures.flatMap((f) => [f.p50Ms.toFixed(1), f.p95Ms.toFixed(1)]).join(' | ')} | ${ratio.toFixed(2)}× | ${figures.map((f) => f.answered).join(' / ')} |`,
    )
  }
  const loads = result.loads.map((load) =>
    load.reused
      ? `load: ${millions(load.events)} events reused from a kept store, merges settled in ${load.settledSeconds.toFixed(0)} s`
      : `load: ${millions(load.events)} events in ${load.seconds.toFixed(1)} s (${Math.round(load.eventsPerSecond).toLocaleString('en-US')} events/s), merges settled in ${load.settledSeconds.toFixed(0)} s`,
  )
  return [...loads, 'times in ms, over real HTTP with a bearer token;', ...lines].join('\n')
}
