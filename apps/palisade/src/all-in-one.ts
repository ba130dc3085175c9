import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { type AlertRouterConfig, mountAlertmanagerApi, startAlertRouterService } from '@palisade/alert-router'
import { type Bus, createInProcessBus } from '@palisade/bus'
import {
  applyEventRetention,
  clickHouseAnswers,
  createApiKeyStore,
  createAuditLog,
  createEventWriter,
  createFindingStore,
  createQuarantineWriter,
  createSessionTable,
  migrate,
  migrationsDir,
  openClickHouse,
} from '@palisade/clickhouse'
import { mountCollectorRoutes } from '@palisade/collector'
import { createDashboardRoutes, createOidcSignIn, createSessionStore } from '@palisade/dashboard'
import type { Declarations } from '@palisade/declarations'
import { startDetectorService } from '@palisade/detector'
import {
  closeServer,
  createApiKeyAuthenticator,
  createKeyAdmin,
  createMetricsRegistry,
  createServiceApp,
  createTokenAuthenticator,
  finishServiceApp,
  listen,
  reportDependencyUp,
} from '@palisade/http-server'
import { ingesterGroup, subscribeIngester } from '@palisade/ingester'
import type { Log } from '@palisade/runtime'
import type { Express } from 'express'
import { Gauge } from 'prom-client'
import type { AllInOneConfig } from './config.ts'
import { auditLoadedDeclarations } from './declarations-audit.ts'
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
  /** The two HTTP apps, for the role × route test to walk. */
  apps: { collector: Express; dashboard: Express }
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
  // API keys from the store. The bootstrap token acts in the configured tenant as it always did,
  // and is a platform admin: whoever holds the process's token holds its store already, and someone
  // must be able to make the first platform-admin key.
  const audit = createAuditLog(client)
  const keyAdmin = await createKeyAdmin({
    table: createApiKeyStore(client),
    audit,
    onError: (error) => log.error('API keys not reloaded; the last known keys stay in force', error),
  })
  // Sessions are kept in the store: a restart signs nobody out.
  const sessionTable = createSessionTable(client)
  const sessions = createSessionStore({
    persistence: sessionTable,
    restored: await sessionTable.live(Date.now()),
    onPersistError: (error) => log.error('a dashboard session was not persisted', error),
  })
  const authenticator = createApiKeyAuthenticator(
    keyAdmin.keys,
    createTokenAuthenticator({ [config.tenant]: token.token }, 'platform-admin'),
  )
  for (const kind of await auditLoadedDeclarations(audit, declarations, config.tenant))
    log.info(`audit: ${kind} declarations changed since the last start`)
  const registry = createMetricsRegistry({ app: 'palisade' })
  let ready = false

  // A request is answered once the ingester stored its events; detectors, the risk scorer and the
  // router consume behind it (bounded queues), so their failures never fail ingestion.
  const bus = createInProcessBus({
    acknowledgingGroups: [ingesterGroup],
    // Its writers order their own writes and commit what queued meanwhile as one insert.
    concurrentGroups: [ingesterGroup],
    // Detectors at most this many events behind: bounded memory (events are ~1 KB each) and lag; past
    // it, requests wait for them (backpressure), so the rate sustained is the one both keep up with.
    maxQueuedMessages: 50_000,
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
    // Pages link back to their incident on this process's dashboard unless PALISADE_DASHBOARD_URL says where.
    config: {
      ...receivers,
      dashboardUrl: receivers.dashboardUrl ?? `http://${config.dashboardHost}:${config.dashboardPort}`,
    },
    registry,
    log,
    heartbeatTenant: config.tenant,
  })
  const ingester = await subscribeIngester(
    bus,
    { events: createEventWriter(client), quarantine: createQuarantineWriter(client), findings: findingStore },
    registry,
    config.collector.retentionDays,
  )
  // The only consumer of its in-process bus: it feeds every tenant, restored ones included.
  const detector = await startDetectorService({
    bus,
    client,
    config,
    declarations,
    registry,
    log,
    soleConsumer: true,
  })

  const collectorApp = createServiceApp({ authenticator, metrics: registry, ready: () => ready, audit })
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
    audit,
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
      intent: declarations.intent,
      keys: keyAdmin,
      audit,
      sessions,
      oidc: config.oidc ? createOidcSignIn(config.oidc) : undefined,
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
    apps: { collector: collectorApp, dashboard: dashboardApp },
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
        keyAdmin.stop()
        await sessions.settled()
        await bus.close()
        await client.close()
      })()
      return stopping
    },
  }
}
