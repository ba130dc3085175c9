import { resolve } from 'node:path'
import { type AlertRouterConfig, readAlertRouterConfig } from '@palisade/alert-router'
import type { RoutingConfig } from '@palisade/alerting'
import { type CollectorConfig, readCollectorConfig } from '@palisade/collector'
import { type OidcSettings, readOidcSettings } from '@palisade/dashboard'
import { createEnvReader, type DeclarationDirs, type Env, readDeclarationDirs } from '@palisade/settings'

/** Settings of the all-in-one process (the embedded default). */
export interface AllInOneConfig {
  /** Embedded ClickHouse data and the generated token live here (default `./data`). */
  dataDir: string
  /** Bearer token; when unset, generated on first start and kept in `<dataDir>/token`. */
  token: string | undefined
  /** Tenant the token acts for (default `default`). */
  tenant: string
  collector: CollectorConfig
  /** Dashboard + API listen address and port (default 127.0.0.1:8080). */
  dashboardHost: string
  dashboardPort: number
  /** Where the declarations are read from, before anything is opened (defaults: the repository's `alerts/` and `dashboards/`). */
  declarationDirs: DeclarationDirs
  /** Detector checkpoint interval, ms (default 10 s). */
  checkpointIntervalMs: number
  /** How often expected sources are checked for silence by the wall clock, ms (default 30 s). */
  sourceSilenceCheckIntervalMs: number
  /** Shortest silence of an expected source that pages, ms (default 5 min). */
  sourceSilenceMinMs: number
  /** Seed of the demo's generated telemetry (default 1). */
  demoSeed: number
  /** OpenID Connect sign-in for the dashboard (PALISADE_OIDC_*); undefined: token sign-in only. */
  oidc: OidcSettings | undefined
}

/** Pure: the all-in-one's configuration from the environment; every problem reported at once. */
export function loadConfig(env: Env, repoRoot: string): AllInOneConfig {
  const read = createEnvReader(env)
  const config: AllInOneConfig = {
    dataDir: resolve(read.string('PALISADE_DATA_DIR', './data')),
    token: read.optionalString('PALISADE_TOKEN'),
    tenant: read.string('PALISADE_TENANT', 'default'),
    collector: readCollectorConfig(read),
    dashboardHost: read.string('PALISADE_DASHBOARD_HOST', '127.0.0.1'),
    dashboardPort: read.port('PALISADE_DASHBOARD_PORT', 8080),
    declarationDirs: readDeclarationDirs(read, repoRoot),
    checkpointIntervalMs: read.positiveInt('PALISADE_CHECKPOINT_INTERVAL_MS', 10_000),
    sourceSilenceCheckIntervalMs: read.positiveInt('PALISADE_SOURCE_SILENCE_CHECK_INTERVAL_MS', 30_000),
    sourceSilenceMinMs: read.positiveInt('PALISADE_SOURCE_SILENCE_MIN_MS', 5 * 60_000),
    demoSeed: read.positiveInt('PALISADE_DEMO_SEED', 1),
    oidc: readOidcSettings(read),
  }
  if (config.token !== undefined && config.token.length < 16) {
    read.problem('PALISADE_TOKEN must be at least 16 characters')
  }
  if (
    read.optionalString('PALISADE_PAGERDUTY_URL') &&
    !read.optionalString('PALISADE_PAGERDUTY_ROUTING_KEY')
  ) {
    read.problem('PALISADE_PAGERDUTY_ROUTING_KEY is required when PALISADE_PAGERDUTY_URL is set')
  }
  if (config.collector.port !== 0 && config.collector.port === config.dashboardPort) {
    read.problem('PALISADE_COLLECTOR_PORT and PALISADE_DASHBOARD_PORT must differ')
  }
  read.done()
  return config
}

/**
 * Pure: the destination of every receiver the loaded routing tree declares, from the environment.
 * Receivers left unconfigured are held, not refused: a trial run on a laptop starts, and its pages
 * wait in the ledger until PagerDuty is configured.
 */
export function loadReceivers(env: Env, routing: RoutingConfig): AlertRouterConfig {
  const read = createEnvReader(env)
  const receivers = readAlertRouterConfig(read, routing, { holdUnconfigured: true })
  read.done()
  return receivers
}
