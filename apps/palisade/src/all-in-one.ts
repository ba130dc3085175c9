import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { createAlertRouter, createReceivers, subscribeAlertRouter } from '@palisade/alert-router'
import { createInProcessBus, topics } from '@palisade/bus'
import {
  createCheckpointStore,
  createEventWriter,
  createFindingStore,
  createNotificationLedger,
  createQuarantineWriter,
  migrate,
  migrationsDir,
  openClickHouse,
} from '@palisade/clickhouse'
import { mountCollectorRoutes } from '@palisade/collector'
import { createDashboardRoutes } from '@palisade/dashboard'
import {
  createDetectorRuntime,
  createSloEvaluator,
  loadSloDirectory,
  startSloSchedule,
  subscribeDetectors,
} from '@palisade/detector'
import { newEdgeDetector } from '@palisade/detectors'
import {
  closeServer,
  createMetricsRegistry,
  createServiceApp,
  createTokenAuthenticator,
  finishServiceApp,
  listen,
} from '@palisade/http-server'
import { subscribeIngester } from '@palisade/ingester'
import type { AllInOneConfig } from './config.ts'
import type { Log } from './log.ts'
import { resolveToken } from './token-file.ts'

/** A running all-in-one process. */
export interface RunningPalisade {
  collectorUrl: string
  dashboardUrl: string
  token: string
  tokenOrigin: 'env' | 'file' | 'generated'
  tokenPath: string
  /** Stop accepting, finish what was accepted, checkpoint, close the store. */
  stop(): Promise<void>
}

function urlOf(server: Server): string {
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return `http://${host}:${address.port}`
}

/**
 * The composition root of the embedded default: one process, the embedded ClickHouse engine in
 * `<dataDir>/clickhouse`, the in-process bus, and every app's parts wired to them.
 */
export async function startAllInOne(config: AllInOneConfig, log: Log): Promise<RunningPalisade> {
  const client = await openClickHouse({ kind: 'embedded', dataDir: join(config.dataDir, 'clickhouse') })
  const applied = await migrate(client, {
    dir: migrationsDir,
    onApplied: (migration) => log.info(`applied migration ${migration.name}`),
  })
  if (applied.length === 0) log.info('schema is up to date')
  const token = resolveToken(config.dataDir, config.token)
  const authenticator = createTokenAuthenticator({ [config.tenant]: token.token })
  const registry = createMetricsRegistry({ app: 'palisade' })
  let ready = false

  const bus = createInProcessBus()
  const findingStore = createFindingStore(client)

  // The router first: findings and SLO alerts published from here on reach it.
  const router = createAlertRouter({
    routing: config.routing,
    receivers: createReceivers(config.alertRouter.receivers),
    ledger: createNotificationLedger(client),
    log,
    metrics: registry,
  })
  await router.start()
  for (const receiver of config.alertRouter.receivers) {
    if (receiver.kind === 'held') {
      log.warn(
        `receiver "${receiver.name}" is not configured (${receiver.missing}): its notifications wait in the ledger`,
      )
    }
  }
  const subscriptions = [
    await subscribeIngester(
      bus,
      {
        events: createEventWriter(client),
        quarantine: createQuarantineWriter(client),
        findings: findingStore,
      },
      registry,
    ),
  ]

  const detectors = [newEdgeDetector({ learningPeriodMs: config.newEdgeLearningMs })]
  const runtime = createDetectorRuntime({
    detectors,
    checkpoints: createCheckpointStore(client),
    publishFindings: (findings) =>
      bus.publish(
        topics.findings,
        findings.map((finding) => ({ key: `${finding.tenant}/${finding.rule}`, value: finding })),
      ),
    registry,
  })
  await runtime.restore()
  subscriptions.push(await subscribeDetectors(bus, runtime, detectors))
  subscriptions.push(await subscribeAlertRouter(bus, router))
  const checkpointTimer = setInterval(() => {
    runtime.checkpoint().catch((error) => log.error('detector checkpoint failed; will retry', error))
  }, config.checkpointIntervalMs)
  checkpointTimer.unref()

  // SLOs are evaluated every minute from the rollups; their alerts go to the router like findings.
  const slos = await loadSloDirectory(join(config.alertsDir, 'slos'))
  const sloEvaluator = createSloEvaluator({
    client,
    slos,
    onAlerts: (alerts) =>
      bus.publish(
        topics.alerts,
        alerts.map((alert) => ({ key: `${alert.tenant}/${alert.labels.alertname}`, value: alert })),
      ),
  })
  const stopSloSchedule = startSloSchedule(sloEvaluator, {
    onError: (error) => log.error('SLO evaluation failed; next run in a minute', error),
  })
  log.info(`evaluating ${slos.length} SLOs every minute: ${slos.map((slo) => slo.name).join(', ')}`)

  const collectorApp = createServiceApp({ authenticator, metrics: registry, ready: () => ready })
  mountCollectorRoutes(collectorApp, { bus, authenticator, metrics: registry, config: config.collector })
  finishServiceApp(collectorApp, (error) => log.error('collector request failed', error))

  const dashboardApp = createServiceApp({ authenticator, metrics: registry, ready: () => ready })
  dashboardApp.use(
    createDashboardRoutes({
      authenticator,
      client,
      findings: findingStore,
      slos: sloEvaluator,
      dashboardsDir: config.dashboardsDir,
    }),
  )
  finishServiceApp(dashboardApp, (error) => log.error('dashboard request failed', error))

  const collectorServer = await listen(collectorApp, config.collector.port, config.collector.host)
  const dashboardServer = await listen(dashboardApp, config.dashboardPort, config.dashboardHost)
  ready = true

  let stopping: Promise<void> | undefined
  return {
    collectorUrl: urlOf(collectorServer),
    dashboardUrl: urlOf(dashboardServer),
    token: token.token,
    tokenOrigin: token.origin,
    tokenPath: token.path,
    stop() {
      stopping ??= (async () => {
        ready = false
        clearInterval(checkpointTimer)
        await stopSloSchedule()
        // Servers first: in-flight requests finish (and are stored) before the bus closes.
        await Promise.all([closeServer(collectorServer), closeServer(dashboardServer)])
        await bus.close()
        for (const subscription of subscriptions) await subscription.close()
        await runtime.checkpoint().catch((error) => log.error('final detector checkpoint failed', error))
        await router.stop()
        await client.close()
      })()
      return stopping
    },
  }
}
