import { spawn } from 'node:child_process'
import { constants } from 'node:fs'
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TestHarnessError } from './errors.ts'
import { freePort } from './free-port.ts'

/** One scrape target: the job it belongs to and the full URL of its metrics endpoint. */
export interface PrometheusTarget {
  job: string
  /** e.g. `http://127.0.0.1:9101/metrics`. */
  url: string
}

/** Settings of {@link startPrometheus}. */
export interface PrometheusOptions {
  targets: PrometheusTarget[]
  /** Sent as `Authorization: Bearer <token>` on every scrape, as a production Prometheus would. */
  bearerToken: string
  /** The Prometheus server binary (default `/usr/bin/prometheus`, Debian's package). */
  binary?: string
  /** Longest wait for `/-/ready`, ms (default 30 s). */
  startTimeoutMs?: number
  /** Alerting rule groups (`groups:` of a rules file), evaluated every second. */
  ruleGroups?: unknown[]
  /** Where the alerts go: an Alertmanager API v2 (Palisade's), sent its bearer token. */
  alertmanager?: { url: string; bearerToken: string }
  /** How often firing alerts are sent again (default Prometheus's 1m): tests shorten it to see re-sends. */
  alertResendDelay?: string
}

/** One series of an instant-query answer. */
export interface PrometheusSample {
  metric: Record<string, string>
  /** [unix time in seconds, value as Prometheus prints it]. */
  value: [number, string]
}

/** A scrape target as `/api/v1/targets` reports it. */
export interface PrometheusTargetStatus {
  labels: Record<string, string>
  scrapeUrl: string
  health: 'up' | 'down' | 'unknown'
  lastError: string
}

/** A running Prometheus server. */
export interface PrometheusServer {
  /** Base URL of its HTTP API, e.g. `http://127.0.0.1:41234`. */
  url: string
  /** Run an instant PromQL query; rejects when Prometheus reports an error. */
  query(promql: string): Promise<PrometheusSample[]>
  /** The active scrape targets and their health. */
  targets(): Promise<PrometheusTargetStatus[]>
  /** SIGTERM (SIGKILL after 5 s) and remove its data directory; idempotent. */
  stop(): Promise<void>
}

/**
 * Start the real Prometheus server (Debian's `prometheus` package) scraping `targets` every second
 * with a bearer token, storing into a temp dir and listening on a free 127.0.0.1 port. Resolves
 * once `/-/ready` answers 200. Tests use it to prove that what the apps expose is what Prometheus
 * actually scrapes and parses. The first scrape comes about 5 s after ready: Prometheus 2.42 passes
 * discovered targets to its scrapers at most every 5 s, and has no flag to shorten that.
 */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const binary = options.binary ?? '/usr/bin/prometheus'
  try {
    await access(binary, constants.X_OK)
  } catch {
    throw new TestHarnessError(
      'TOOL_MISSING',
      `${binary} is missing: install the Prometheus server (Debian: apt-get install prometheus; CI's .ci/run does)`,
    )
  }
  const dir = await mkdtemp(join(tmpdir(), 'palisade-prometheus-'))
  const configPath = join(dir, 'prometheus.yml')
  // JSON is YAML: no YAML writer needed, and no quoting surprises in tokens or URLs.
  const config = scrapeConfig(options)
  if (options.ruleGroups) {
    const rulesPath = join(dir, 'rules.yml')
    await writeFile(rulesPath, JSON.stringify({ groups: options.ruleGroups }, null, 2))
    Object.assign(config, { rule_files: [rulesPath] })
  }
  if (options.alertmanager) Object.assign(config, { alerting: alertingConfig(options.alertmanager) })
  await writeFile(configPath, JSON.stringify(config, null, 2))
  const flags = options.alertResendDelay ? [`--rules.alert.resend-delay=${options.alertResendDelay}`] : []
  try {
    // A free port is only free until someone binds it: on a collision, try again with another.
    for (let attempt = 1; ; attempt++) {
      try {
        return await launch(binary, dir, configPath, options.startTimeoutMs ?? 30_000, flags)
      } catch (error) {
        if (!/address already in use/i.test((error as Error).message) || attempt === 3) throw error
      }
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw error
  }
}

function alertingConfig(target: { url: string; bearerToken: string }) {
  const url = new URL(target.url)
  return {
    alertmanagers: [
      {
        api_version: 'v2',
        scheme: url.protocol.replace(/:$/, ''),
        path_prefix: url.pathname,
        authorization: { credentials: target.bearerToken },
        static_configs: [{ targets: [url.host] }],
      },
    ],
  }
}

function scrapeConfig(options: PrometheusOptions) {
  const jobs = new Map<string, { scheme: string; path: string; hosts: string[] }>()
  for (const target of options.targets) {
    const url = new URL(target.url)
    const scheme = url.protocol.replace(/:$/, '')
    const path = `${url.pathname}${url.search}`
    const job = jobs.get(target.job) ?? { scheme, path, hosts: [] }
    if (job.scheme !== scheme || job.path !== path)
      throw new TestHarnessError(
        'HARNESS_MISUSED',
        `targets of job ${target.job} must share scheme and path; give ${target.url} its own job`,
      )
    job.hosts.push(url.host)
    jobs.set(target.job, job)
  }
  return {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    scrape_configs: [...jobs].map(([job, { scheme, path, hosts }]) => ({
      job_name: job,
      scheme,
      metrics_path: path,
      authorization: { credentials: options.bearerToken },
      static_configs: [{ targets: hosts }],
    })),
  }
}

async function launch(
  binary: string,
  dir: string,
  configPath: string,
  timeoutMs: number,
  flags: string[],
): Promise<PrometheusServer> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const child = spawn(
    binary,
    [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...flags,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  let exitStatus: string | undefined
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitStatus = String(signal ?? code)
      resolve()
    })
    child.once('error', (error) => {
      exitStatus = error.message
      resolve()
    })
  })
  const terminate = async () => {
    if (exitStatus !== undefined) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }
  try {
    await waitUntilReady(
      url,
      timeoutMs,
      () => exitStatus,
      () => output,
    )
  } catch (error) {
    await terminate()
    throw error
  }
  let stopping: Promise<void> | undefined
  return {
    url,
    query: async (promql) => {
      const data = await api<{ resultType: string; result: PrometheusSample[] }>(
        `${url}/api/v1/query?${new URLSearchParams({ query: promql })}`,
      )
      return data.result
    },
    targets: async () =>
      (await api<{ activeTargets: PrometheusTargetStatus[] }>(`${url}/api/v1/targets`)).activeTargets,
    stop() {
      stopping ??= terminate().then(() => rm(dir, { recursive: true, force: true }))
      return stopping
    },
  }
}

async function waitUntilReady(
  url: string,
  timeoutMs: number,
  exitStatus: () => string | undefined,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const status = exitStatus()
    if (status !== undefined)
      throw new TestHarnessError(
        'PROCESS_NOT_READY',
        `prometheus exited (${status}) before it was ready:\n${output()}`,
      )
    if (Date.now() > deadline)
      throw new TestHarnessError(
        'PROCESS_NOT_READY',
        `prometheus was not ready within ${timeoutMs} ms:\n${output()}`,
      )
    const ready = await fetch(`${url}/-/ready`).then(
      (response) => response.ok,
      () => false,
    )
    if (ready) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function api<T>(url: string): Promise<T> {
  const response = await fetch(url)
  const body = (await response.json()) as { status: string; data: T; error?: string; errorType?: string }
  if (body.status !== 'success')
    throw new TestHarnessError(
      'HARNESS_REQUEST_FAILED',
      `prometheus ${url}: ${body.errorType ?? response.status}: ${body.error ?? ''}`,
    )
  return body.data
}
