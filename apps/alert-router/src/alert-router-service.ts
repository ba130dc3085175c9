import type { RoutingConfig } from '@palisade/alerting'
import type { Bus, Subscription } from '@palisade/bus'
import { type ClickHouseClient, createNotificationLedger, createSilenceStore } from '@palisade/clickhouse'
import type { Registry } from 'prom-client'
import { type AlertRouter, type AlertRouterLog, createAlertRouter } from './alert-router.ts'
import { type ApiSilences, createApiSilences } from './api-silences.ts'
import { subscribeAlertRouter } from './bus-subscription.ts'
import type { AlertRouterConfig } from './config.ts'
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
}): Promise<AlertRouterService> {
  const silences = createApiSilences(createSilenceStore(deps.client))
  await silences.load()
  const router = createAlertRouter({
    muters: [silences],
    routing: deps.routing,
    receivers: createReceivers(deps.config.receivers),
    ledger: createNotificationLedger(deps.client),
    log: deps.log,
    metrics: deps.registry,
  })
  await router.start()
  for (const receiver of deps.config.receivers) {
    if (receiver.kind === 'held') {
      deps.log.warn(
        `receiver "${receiver.name}" is not configured (${receiver.missing}): its notifications wait in the ledger`,
      )
    }
  }
  const subscription: Subscription = await subscribeAlertRouter(deps.bus, router)
  return {
    router,
    silences,
    async stop() {
      await subscription.close()
      await router.stop()
    },
  }
}
