import type { RoutingConfig } from '@palisade/alerting'
import type { Bus, Subscription } from '@palisade/bus'
import {
  type ClickHouseClient,
  createIncidentActionLog,
  createNoiseBudgetLog,
  createNotificationLedger,
  createSilenceStore,
} from '@palisade/clickhouse'
import type { Registry } from 'prom-client'
import { type AlertRouter, type AlertRouterLog, createAlertRouter } from './alert-router.ts'
import { type ApiSilences, createApiSilences } from './api-silences.ts'
import { subscribeAlertRouter } from './bus-subscription.ts'
import type { AlertRouterConfig } from './config.ts'
import { createIncidentActionFeed } from './incident-action-feed.ts'
import { createReceivers } from './receivers/create-receivers.ts'

/** The running alert router. */
export interface AlertRouterService {
  router: AlertRouter
  /** The silences of the Alertmanager API, kept in ClickHouse (`alert_silences`). */
  silences: ApiSilences
  stop(): Promise<void>
}

/**
 * Start the alert router on a bus (consumer group `alert-router` on findings and alerts), with its
 * ledger in ClickHouse. Receivers left unconfigured (`held`) are reported once here. Used by the
 * standalone alert router and the all-in-one.
 */
export async function startAlertRouterService(deps: {
  bus: Bus
  client: ClickHouseClient
  routing: RoutingConfig
  config: AlertRouterConfig
  registry: Registry
  log: AlertRouterLog
  /** The tenant whose always-firing `Watchdog` heartbeat this router sends (default none). */
  heartbeatTenant?: string
  /**
   * Cluster mode (default: a single router at position 0): each peer consumes every alert in its
   * own consumer group, and a standby delivers only what the peers before it did not.
   */
  peer?: { position: number; waitMs: number }
}): Promise<AlertRouterService> {
  const silences = createApiSilences(createSilenceStore(deps.client))
  await silences.load()
  const router = createAlertRouter({
    muters: [silences],
    routing: deps.routing,
    receivers: createReceivers(
      deps.config.receivers,
      deps.config.dashboardUrl ? { dashboardUrl: deps.config.dashboardUrl } : {},
    ),
    ledger: createNotificationLedger(deps.client),
    noiseBudgetLog: createNoiseBudgetLog(deps.client),
    // People's actions reach the router through the store, from whichever process took them.
    actions: createIncidentActionFeed({
      log: createIncidentActionLog(deps.client),
      routerLog: deps.log,
      onSilence: () => silences.load(),
    }),
    log: deps.log,
    metrics: deps.registry,
    ...(deps.heartbeatTenant ? { heartbeat: { tenant: deps.heartbeatTenant } } : {}),
    ...(deps.peer ? { peer: deps.peer } : {}),
  })
  await router.start()
  for (const receiver of deps.config.receivers) {
    if (receiver.kind === 'held') {
      deps.log.warn(
        `receiver "${receiver.name}" is not configured (${receiver.missing}): its notifications wait in the ledger`,
      )
    }
  }
  const position = deps.peer?.position ?? 0
  const subscription: Subscription = await subscribeAlertRouter(deps.bus, router, {
    // The first peer keeps the historical group name, so a single router's offsets carry over.
    ...(position > 0 ? { group: `alert-router-${position}` } : {}),
  })
  return {
    router,
    silences,
    async stop() {
      await subscription.close()
      await router.stop()
    },
  }
}
