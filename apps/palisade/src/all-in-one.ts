import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { type AlertRouterConfig, mountAlertmanagerApi, startAlertRouterService } from '@palisade/alert-router'
import { type Bus, createInProcessBus } from '@palisade/bus'
import {
  applyEventRetention,
  clickHouseAnswers,
  createEventWriter,
  createFindingStore,
  createQuarantineWriter,
  migrate,
  migrationsDir,
  openClickHouse,
} from '@palisade/clickhouse'
import { mountCollectorRoutes } from '@palisade/collector'
import { createDashboardRoutes } from '@palisade/dashboard'
import type { Declarations } from '@palisade/declarations'
import { startDetectorService } from '@palisade/detector'
import {
  closeServer,
  createMetricsRegistry,
  createServiceApp,
  createTokenAuthenticator,
  finishServiceApp,
  listen,
  reportDependencyUp,
} from '@palisade/http-server'
import { ingesterGroup, subscribeIngester } from '@palisade/ingester'
import type { Log } from '@palisade/runtime'
import { Gauge } from 'prom-client'
import type { AllInOneConfig } from './config.ts'
import { resolveToken } from './token-file.ts'

/** A running all-in-one process. */
export interface RunningPalisade {
  collectorUrl: string
  dashboardUrl: string
  token: string
  tokenOrigin: 'env' | 'file' | 'generated'
  tokenPath: string
  /** The in-process bus the parts share, for a caller composing more on it (tests publish findings). */
  bus: Bus
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
 * `<dataDir>/clickhouse`, the in-process bus, and every app's parts wired to them. The declarations
 * and each receiver's destination were loaded and validated before: nothing here reads a file.
 */
export async function startAllInOne(
  config: AllInOneConfig,
  loaded: { declarations: Declarations; receivers: AlertRouterConfig },
  log: Log,
): Promise<RunningPalisade> {
  const { declarations, receivers } = loaded
  const client = await openClickHouse({ kind: 'embedded', dataDir: join(config.dataDir, 'clickhouse') })
  const applied = await migrate(client, {
    dir: migrationsDir,
    onApplied: (migration) => log.info(`applied migration ${migration.name}`),
  })
  if (applied.length === 0) log.info('schema is up to date')
  for (const table of await applyEventRetention(client, config.collector.retentionDays)) {
    log.info(`retention of ${table} set from PALISADE_RETENTION_DAYS_*`)
  }
  const token = resolveToken(config.dataDir, config.token)
  const authenticator = createTokenAuthenticator({ [config.tenant]: token.token })
  const registry = createMetricsRegistry({ app: 'palisade' })
  let ready = false

  // A request is answered once the ingester stored its events; detectors, the risk scorer and the
  // router consume behind it (bounded queues), so their failures never fail ingestion.
  const bus = createInProcessBus({
    acknowledgingGroups: [ingesterGroup],
    onBehindFailure: (failure) => log.error('a consumer behind the ingester failed on a batch', failure),
  })
  reportDependencyUp(registry, 'clickhouse', () => clickHouseAnswers(client))
  new Gauge({
    name: 'palisade_bus_queue_depth_batches',
    help: 'Batches a consumer group behind the ingester has taken and not yet handled, by group',
    labelNames: ['group'] as const,
    registers: [registry],
    collect() {
      for (const [group, batches] of bus.queuedBatches()) this.set({ group }, batches)
    },
  })
  const findingStore = createFindingStore(client)

  // The router first: findings and SLO alerts published from here on reach it.
  const alertRouter = await startAlertRouterService({
    bus,
    client,
    routing: declarations.routing,
    config: receivers,
    registry,
    log,
  })
  const ingester = await subscribeIngester(
    bus,
    { events: createEventWriter(client), quarantine: createQuarantineWriter(client), findings: findingStore },
    registry,
    config.collector.retentionDays,
  )
  const detector = await startDetectorService({ bus, client, config, declarations, registry, log })

  const collectorApp = createServiceApp({ authenticator, metrics: registry, ready: () => ready })
  mountCollectorRoutes(collectorApp, {
    bus,
    authenticator,
    metrics: registry,
    config: config.collector,
    onStoreFailure: (error) => log.error('events not stored', error),
  })
  finishServiceApp(collectorApp, (error) => log.error('collector request failed', error))

  // One registry, one /metrics (on the collector's port): two would double every sum().
  const dashboardApp = createServiceApp({
    authenticator,
    metrics: registry,
    ready: () => ready,
    serveMetrics: false,
  })
  // Prometheus and amtool point at the dashboard's port as their Alertmanager.
  mountAlertmanagerApi(dashboardApp, {
    authenticator,
    router: alertRouter.router,
    silences: alertRouter.silences,
    ready: () => ready,
  })
  dashboardApp.use(
    createDashboardRoutes({
      authenticator,
      client,
      findings: findingStore,
      slos: detector.sloEvaluator,
      dashboards: declarations.dashboards,
      metrics: registry,
    }),
  )
  finishServiceApp(dashboardApp, (error) => log.error('dashboard request failed', error))

  const collectorServer = await listen(collectorApp, config.collector.port, config.collector.host, {
    headersTimeoutMs: config.collector.headersTimeoutMs,
    portSetting: 'PALISADE_COLLECTOR_PORT',
  })
  const dashboardServer = await listen(dashboardApp, config.dashboardPort, config.dashboardHost, {
    portSetting: 'PALISADE_DASHBOARD_PORT',
  })
  ready = true

  let stopping: Promise<void> | undefined
  return {
    collectorUrl: urlOf(collectorServer),
    dashboardUrl: urlOf(dashboardServer),
    token: token.token,
    tokenOrigin: token.origin,
    tokenPath: token.path,
    bus,
    stop() {
      stopping ??= (async () => {
        ready = false
        // Servers first: in-flight requests finish (and are stored) before the bus closes.
        await Promise.all([closeServer(collectorServer), closeServer(dashboardServer)])
        // Then the producers of internal messages (the detector's findings, the SLO alerts), then
        // their consumers, and the bus last, so that nothing is published into a closed bus.
        await detector.stop()
        await ingester.close()
        await alertRouter.stop()
        await bus.close()
        await client.close()
      })()
      return stopping
    },
  }
}
