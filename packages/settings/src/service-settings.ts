import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { defaultRetentionDays, eventKinds, type RetentionDays } from '@palisade/schema'
import type { EnvReader } from './env-reader.ts'

/** Where ClickHouse is: a server (`CLICKHOUSE_URL`), or an embedded engine in a data directory. */
export type ClickHouseSetting =
  | { kind: 'server'; url: string; username?: string; password?: string; database?: string }
  | { kind: 'embedded'; dataDir: string }

/** `KAFKA_BROKERS`: comma-separated `host:port` list; required by the apps of distributed mode. */
export function readKafkaBrokers(env: EnvReader): string[] {
  const raw = env.optionalString('KAFKA_BROKERS')
  if (!raw) {
    env.problem('KAFKA_BROKERS is required: comma-separated host:port of the Kafka brokers')
    return []
  }
  const brokers = raw
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean)
  for (const broker of brokers) {
    if (!/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/.test(broker))
      env.problem(`KAFKA_BROKERS: "${broker}" is not host:port`)
  }
  return brokers
}

/**
 * `CLICKHOUSE_URL` (+ `CLICKHOUSE_USER`, `CLICKHOUSE_PASSWORD`, `CLICKHOUSE_DATABASE`) for a server;
 * without it, an embedded engine in `<PALISADE_DATA_DIR>/clickhouse` (one process per directory).
 */
export function readClickHouse(env: EnvReader): ClickHouseSetting {
  const url = env.url('CLICKHOUSE_URL')
  if (url) {
    return {
      kind: 'server',
      url,
      username: env.optionalString('CLICKHOUSE_USER'),
      password: env.optionalString('CLICKHOUSE_PASSWORD'),
      database: env.optionalString('CLICKHOUSE_DATABASE'),
    }
  }
  return { kind: 'embedded', dataDir: resolve(env.string('PALISADE_DATA_DIR', './data'), 'clickhouse') }
}

/** `PALISADE_TOKEN` (required, 16+ characters) and the tenant it acts for (`PALISADE_TENANT`). */
export function readApiToken(env: EnvReader): { token: string; tenant: string } {
  const token = env.optionalString('PALISADE_TOKEN') ?? ''
  if (token.length < 16)
    env.problem('PALISADE_TOKEN is required (16+ characters): the bearer token of the API and /metrics')
  return { token, tenant: env.string('PALISADE_TENANT', 'default') }
}

/** Where the declarations live (what `loadDeclarations` reads). */
export interface DeclarationDirs {
  /** `risk.yaml` and `slos/` are read from here. */
  alertsDir: string
  rulesDir: string
  intentDir: string
  dashboardsDir: string
  /** The alert routing tree. */
  routingFile: string
}

/**
 * Where the declarations live: the alerts folder from `PALISADE_ALERTS_DIR` (default `alerts` in the
 * repository), `PALISADE_RULES_DIR` (default `<alerts>/rules`), `PALISADE_INTENT_DIR` (default
 * `<alerts>/intent`), `PALISADE_ALERT_ROUTING_FILE` (default `<alerts>/routing.yaml`) and
 * `PALISADE_DASHBOARDS_DIR` (default `dashboards` in the repository).
 */
export function readDeclarationDirs(env: EnvReader, repoRoot: string): DeclarationDirs {
  const alertsDir = resolve(env.string('PALISADE_ALERTS_DIR', resolve(repoRoot, 'alerts')))
  // One line naming the setting, instead of one "cannot read" per declaration inside it.
  if (!existsSync(alertsDir)) {
    env.problem(
      `PALISADE_ALERTS_DIR: ${alertsDir} does not exist; set it to the folder holding routing.yaml, rules/, intent/, risk.yaml and slos/`,
    )
  }
  return {
    alertsDir,
    rulesDir: resolve(env.string('PALISADE_RULES_DIR', join(alertsDir, 'rules'))),
    intentDir: resolve(env.string('PALISADE_INTENT_DIR', join(alertsDir, 'intent'))),
    dashboardsDir: resolve(env.string('PALISADE_DASHBOARDS_DIR', resolve(repoRoot, 'dashboards'))),
    routingFile: resolve(env.string('PALISADE_ALERT_ROUTING_FILE', join(alertsDir, 'routing.yaml'))),
  }
}

/**
 * `PALISADE_RETENTION_DAYS_<KIND>` (`_FLOW`, `_AUTH`, `_MTLS`, `_DECISION`, `_POLICY_CHANGE`): days
 * each kind of event is kept from its event time (defaults: {@link defaultRetentionDays}). The
 * collector refuses older events with this reason, and the process that writes events sets the
 * tables' TTL to it at startup; both must read the same values.
 */
export function readRetention(env: EnvReader): RetentionDays {
  const days = { ...defaultRetentionDays }
  for (const kind of eventKinds) {
    days[kind] = env.positiveInt(`PALISADE_RETENTION_DAYS_${kind.toUpperCase()}`, defaultRetentionDays[kind])
  }
  return days
}
