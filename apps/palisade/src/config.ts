import { resolve } from 'node:path'
import { type CollectorConfig, readCollectorConfig } from '@palisade/collector'
import { createEnvReader, type Env } from '@palisade/settings'

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
  /** PagerDuty Events v2 endpoint and routing key for pages. */
  pagerdutyUrl: string | undefined
  pagerdutyRoutingKey: string | undefined
  /** Generic webhook that receives tickets. */
  ticketWebhookUrl: string | undefined
  /** Folders of the declarative files (defaults: the repository's `alerts/` and `dashboards/`). */
  alertsDir: string
  dashboardsDir: string
  /** Detector checkpoint interval, ms (default 10 s). */
  checkpointIntervalMs: number
  /** Event time the new-edge detector learns before reporting, ms (default 1 h). */
  newEdgeLearningMs: number
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
    pagerdutyUrl: read.url('PALISADE_PAGERDUTY_URL'),
    pagerdutyRoutingKey: read.optionalString('PALISADE_PAGERDUTY_ROUTING_KEY'),
    ticketWebhookUrl: read.url('PALISADE_TICKET_WEBHOOK_URL'),
    alertsDir: resolve(read.string('PALISADE_ALERTS_DIR', resolve(repoRoot, 'alerts'))),
    dashboardsDir: resolve(read.string('PALISADE_DASHBOARDS_DIR', resolve(repoRoot, 'dashboards'))),
    checkpointIntervalMs: read.positiveInt('PALISADE_CHECKPOINT_INTERVAL_MS', 10_000),
    newEdgeLearningMs: read.positiveInt('PALISADE_NEW_EDGE_LEARNING_MS', 3_600_000),
  }
  if (config.token !== undefined && config.token.length < 16) {
    read.problem('PALISADE_TOKEN must be at least 16 characters')
  }
  if (config.pagerdutyUrl && !config.pagerdutyRoutingKey) {
    read.problem('PALISADE_PAGERDUTY_ROUTING_KEY is required when PALISADE_PAGERDUTY_URL is set')
  }
  if (config.collector.port !== 0 && config.collector.port === config.dashboardPort) {
    read.problem('PALISADE_COLLECTOR_PORT and PALISADE_DASHBOARD_PORT must differ')
  }
  read.done()
  return config
}
