import { fileURLToPath } from 'node:url'
import type { RoutingConfig } from '@palisade/alerting'
import {
  type ClickHouseSetting,
  createEnvReader,
  type DeclarationDirs,
  type Env,
  type EnvReader,
  readApiToken,
  readClickHouse,
  readDeclarationDirs,
  readKafkaBrokers,
} from '@palisade/settings'
import { opsgenieApiUrl } from './receivers/opsgenie-alerts-v2.ts'
import { pagerDutyEventsUrl } from './receivers/pagerduty-events-v2.ts'

/** The repository's routing file, `alerts/routing.yaml`: the default of `PALISADE_ALERT_ROUTING_FILE`. */
export const defaultRoutingFile = fileURLToPath(new URL('../../../alerts/routing.yaml', import.meta.url))

/** Where one receiver delivers, resolved from the environment variables its routing entry names. */
export type ReceiverTarget =
  | { name: string; kind: 'pagerduty'; url: string; routingKey: string }
  | { name: string; kind: 'webhook'; url: string }
  | { name: string; kind: 'slack'; url: string }
  | { name: string; kind: 'msteams'; url: string }
  | { name: string; kind: 'opsgenie'; url: string; apiKey: string }
  | { name: string; kind: 'null' }
  /** Declared but not configured, where that is allowed: its notifications wait in the ledger. */
  | { name: string; kind: 'held'; missing: string }

/** The alert router's settings. */
export interface AlertRouterConfig {
  /** Every receiver the routing file declares, with its URL and key. */
  receivers: ReceiverTarget[]
  /**
   * The dashboard's address as on-call opens it (`PALISADE_DASHBOARD_URL`, default none): pages
   * carry a link back to their incident there (PagerDuty's `client_url`).
   */
  dashboardUrl?: string
}

/**
 * Pure: the delivery settings of every receiver in `routing`, from the environment variables each
 * names (by default `PALISADE_PAGERDUTY_ROUTING_KEY`, `PALISADE_PAGERDUTY_URL` (default PagerDuty's
 * public endpoint), `PALISADE_TICKET_WEBHOOK_URL`). A missing key or URL is a problem on the reader:
 * the router fails fast rather than drop pages nobody would know were dropped. With
 * `holdUnconfigured` (the all-in-one trial run) such a receiver is `held` instead: nothing is
 * dropped, its notifications stay pending in the ledger until it is configured.
 */
export function readAlertRouterConfig(
  env: EnvReader,
  routing: RoutingConfig,
  options: { holdUnconfigured?: boolean } = {},
): AlertRouterConfig {
  const receivers = routing.receivers.map((receiver): ReceiverTarget => {
    if (receiver.kind === 'null') return receiver
    // A team's pager may fall back to another's key (security's to SRE's) until it has its own.
    const fallbackKey =
      receiver.kind === 'pagerduty' && receiver.fallbackRoutingKeyEnv
        ? env.optionalString(receiver.fallbackRoutingKeyEnv)
        : undefined
    if (options.holdUnconfigured) {
      const needed =
        receiver.kind === 'pagerduty'
          ? receiver.routingKeyEnv
          : receiver.kind === 'opsgenie'
            ? receiver.apiKeyEnv
            : receiver.urlEnv
      if (!env.optionalString(needed) && !fallbackKey)
        return { name: receiver.name, kind: 'held', missing: needed }
    }
    if (receiver.kind === 'pagerduty') {
      const routingKey = env.optionalString(receiver.routingKeyEnv) ?? fallbackKey
      if (!routingKey) {
        env.problem(
          `receiver "${receiver.name}" (PagerDuty) needs ${receiver.routingKeyEnv}: the Events API v2 integration key`,
        )
      }
      const url = env.url(receiver.urlEnv) ?? pagerDutyEventsUrl
      return { name: receiver.name, kind: 'pagerduty', url, routingKey: routingKey ?? '' }
    }
    if (receiver.kind === 'opsgenie') {
      const apiKey = env.optionalString(receiver.apiKeyEnv)
      if (!apiKey)
        env.problem(
          `receiver "${receiver.name}" (Opsgenie) needs ${receiver.apiKeyEnv}: an API integration key`,
        )
      const url = env.url(receiver.urlEnv) ?? opsgenieApiUrl
      return { name: receiver.name, kind: 'opsgenie', url, apiKey: apiKey ?? '' }
    }
    const url = env.url(receiver.urlEnv)
    // env.url already reported a value that is set but not a URL.
    if (!url && !env.optionalString(receiver.urlEnv)) {
      const what = {
        webhook: 'the URL to POST alerts to',
        slack: 'the Slack incoming webhook URL',
        msteams: 'the Teams incoming webhook URL',
      }[receiver.kind]
      env.problem(`receiver "${receiver.name}" (${receiver.kind}) needs ${receiver.urlEnv}: ${what}`)
    }
    return { name: receiver.name, kind: receiver.kind, url: url ?? '' }
  })
  const dashboardUrl = env.url('PALISADE_DASHBOARD_URL')
  return { receivers, ...(dashboardUrl ? { dashboardUrl } : {}) }
}

/** The standalone alert router's settings (distributed mode). */
export interface AlertRouterAppConfig {
  /** Where the declarations (the routing tree among them) are read from, before anything is opened. */
  declarationDirs: DeclarationDirs
  brokers: string[]
  clickhouse: ClickHouseSetting
  token: string
  tenant: string
  /** Health and metrics listen address (default 127.0.0.1:9094). */
  host: string
  port: number
  /**
   * Cluster mode: this router's place among peers sharing the ledger
   * (`PALISADE_ALERT_ROUTER_PEER_POSITION`, default 0, delivers at once) and how long each place
   * waits for the one before it (`PALISADE_ALERT_ROUTER_PEER_WAIT_MS`, default 15,000 ms).
   */
  peer: { position: number; waitMs: number }
}

/**
 * Pure: the alert router's configuration from the environment (the routing file's path among it,
 * `PALISADE_ALERT_ROUTING_FILE`, default `alerts/routing.yaml`); every problem reported at once.
 */
export function loadConfig(env: Env, repoRoot: string): AlertRouterAppConfig {
  const read = createEnvReader(env)
  const config = {
    declarationDirs: readDeclarationDirs(read, repoRoot),
    brokers: readKafkaBrokers(read),
    clickhouse: readClickHouse(read),
    ...readApiToken(read),
    host: read.string('PALISADE_ALERT_ROUTER_HOST', '127.0.0.1'),
    port: read.port('PALISADE_ALERT_ROUTER_PORT', 9094),
    peer: {
      // positiveInt refuses 0: the first peer is the default, a standby says its place from 1.
      position: read.optionalString('PALISADE_ALERT_ROUTER_PEER_POSITION')
        ? read.positiveInt('PALISADE_ALERT_ROUTER_PEER_POSITION', 1)
        : 0,
      waitMs: read.positiveInt('PALISADE_ALERT_ROUTER_PEER_WAIT_MS', 15_000),
    },
  }
  read.done()
  return config
}

/**
 * Pure: the destination of every receiver the loaded routing tree declares, from the environment;
 * every problem reported at once. Here every declared receiver must be configured: this process
 * exists to deliver.
 */
export function loadReceivers(env: Env, routing: RoutingConfig): AlertRouterConfig {
  const read = createEnvReader(env)
  const receivers = readAlertRouterConfig(read, routing)
  read.done()
  return receivers
}
